package dev.mailqueue.spring;

import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transport that reports every attempt of the one it wraps, with its duration, to a {@link
 * MailQueueObserver}. It passes the live-node count on when the wrapped transport is {@link
 * ClusterAware}, and describes itself as that transport does (the queue logs it at start).
 */
final class ObservedMailTransport implements MailTransport, ClusterAware {
  private static final Logger log = LoggerFactory.getLogger(ObservedMailTransport.class);

  private final MailTransport transport;
  private final MailQueueObserver observer;

  ObservedMailTransport(MailTransport transport, MailQueueObserver observer) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  @Override
  public DeliveryResult deliver(OutboundMail mail) {
    long start = System.nanoTime();
    DeliveryResult result = transport.deliver(mail);
    long nanos = System.nanoTime() - start;
    try {
      observer.attempted(mail, result, nanos);
    } catch (RuntimeException e) {
      // Measuring must never turn a recorded outcome into a failed attempt.
      log.warn("mail queue observer failed: {}", e.toString());
    }
    return result;
  }

  @Override
  public void liveNodes(int nodes) {
    if (transport instanceof ClusterAware cluster) {
      cluster.liveNodes(nodes);
    }
  }

  @Override
  public List<String> problems() {
    return transport.problems();
  }

  @Override
  public void close() {
    transport.close();
  }

  @Override
  public String toString() {
    return transport.toString();
  }
}
