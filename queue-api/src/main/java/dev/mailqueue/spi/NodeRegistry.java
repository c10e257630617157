package dev.mailqueue.spi;

import java.time.Duration;

/**
 * An optional capability of a {@link MailStore}: the nodes delivering from the store record that
 * they are alive, so that each can tell how many share the work and divide per-destination limits
 * among them (see {@link ClusterAware}). The engine of a started queue calls {@link #heartbeat} on
 * its housekeeping thread every {@code heartbeatInterval} and {@link #leave} when it closes. Times
 * come from the store's clock, never from the JVM's. Thread-safe.
 */
public interface NodeRegistry {
  /**
   * Records that {@code nodeId} is alive now and returns how many nodes, this one included,
   * recorded that within {@code liveness}; at least 1.
   *
   * @param nodeId this node's id (the queue's worker id)
   * @param liveness how recent a heartbeat must be for a node to count
   * @return the number of live nodes, at least 1
   */
  int heartbeat(String nodeId, Duration liveness);

  /**
   * Removes {@code nodeId} at once, so the other nodes stop counting it; unknown ids are ignored.
   *
   * @param nodeId the node's id
   */
  void leave(String nodeId);
}
