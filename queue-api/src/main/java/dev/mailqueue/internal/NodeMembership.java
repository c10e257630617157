package dev.mailqueue.internal;

import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.NodeRegistry;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's entry in the store's node registry: a heartbeat on the housekeeping thread, the
 * live-node count passed to a {@link ClusterAware} transport when it changes, and the leave on
 * close. A failed heartbeat keeps the last count (a database outage stops delivery anyway).
 */
final class NodeMembership {
  private static final Logger log = LoggerFactory.getLogger(NodeMembership.class);

  /** A node silent for this many heartbeat intervals no longer counts. */
  static final int LIVENESS_INTERVALS = 3;

  private final NodeRegistry registry;
  private final ClusterAware cluster;
  private final String nodeId;
  private final Duration liveness;
  private int lastCount;
  private boolean failing;
  private boolean left;

  NodeMembership(NodeRegistry registry, MailTransport transport, String nodeId, Duration interval) {
    this.registry = registry;
    this.cluster = transport instanceof ClusterAware c ? c : null;
    this.nodeId = nodeId;
    this.liveness = interval.multipliedBy(LIVENESS_INTERVALS);
  }

  synchronized void heartbeat() {
    if (left) {
      return;
    }
    int count;
    try {
      count = Math.max(1, registry.heartbeat(nodeId, liveness));
    } catch (RuntimeException e) {
      if (!failing) {
        failing = true;
        log.warn(
            "node heartbeat of {} failed; per-destination limits stay divided by {} until it works again "
                + "(if the node table is missing, run the schema script again)",
            nodeId,
            Math.max(1, lastCount),
            e);
      } else {
        log.debug("node heartbeat of {} failed again", nodeId, e);
      }
      return;
    }
    if (failing) {
      failing = false;
      log.info("node heartbeat of {} works again", nodeId);
    }
    if (count != lastCount) {
      if (count == 1) {
        log.info("node {} is the only live node of its store", nodeId);
      } else {
        log.info(
            "{} live nodes deliver from the store{}",
            count,
            cluster == null ? "" : ": per-destination limits are divided among them");
      }
      lastCount = count;
      if (cluster != null) {
        try {
          cluster.liveNodes(count);
        } catch (RuntimeException e) {
          log.warn("transport failed on liveNodes({})", count, e);
        }
      }
    }
  }

  synchronized void leave() {
    if (left) {
      return;
    }
    left = true;
    try {
      registry.leave(nodeId);
    } catch (RuntimeException e) {
      log.warn(
          "removing node {} from the registry failed; the others stop counting it after {}",
          nodeId,
          liveness,
          e);
    }
  }
}
