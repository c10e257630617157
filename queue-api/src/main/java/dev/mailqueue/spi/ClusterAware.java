package dev.mailqueue.spi;

/**
 * An optional capability of a {@link MailTransport}: it hears how many nodes deliver from the same
 * store, so that limits meant for all of them together (per-destination rate and concurrency) can
 * be divided among them. The engine calls {@link #liveNodes} on its housekeeping thread after the
 * first heartbeat and whenever the count changes, when its store is a {@link NodeRegistry}; a
 * transport never told assumes it is alone.
 */
public interface ClusterAware {
  /**
   * {@code nodes} nodes (at least 1, this one included) now deliver from the same store; returns
   * quickly.
   *
   * @param nodes the live node count, at least 1
   */
  void liveNodes(int nodes);
}
