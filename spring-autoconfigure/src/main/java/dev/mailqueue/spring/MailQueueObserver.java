package dev.mailqueue.spring;

import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.util.List;

/**
 * What the starter's queue reports besides delivery outcomes: mail stored and SMTP attempts made.
 * Implemented by {@link MailQueueMetrics}; free of Micrometer types, so that the core
 * auto-configuration can look it up without Micrometer on the class path. Implementations are
 * quick, thread-safe and never throw.
 */
interface MailQueueObserver {
  /**
   * Mail with these tags (null for none) was stored: at the commit of the transaction that enqueued
   * it.
   */
  void enqueued(List<String> tags);

  /** The transport made one attempt for {@code mail}, taking {@code nanos}, with {@code result}. */
  void attempted(OutboundMail mail, DeliveryResult result, long nanos);

  /** All of {@code observers} as one. */
  static MailQueueObserver of(List<? extends MailQueueObserver> observers) {
    List<MailQueueObserver> all = List.copyOf(observers);
    return new MailQueueObserver() {
      @Override
      public void enqueued(List<String> tags) {
        all.forEach(o -> o.enqueued(tags));
      }

      @Override
      public void attempted(OutboundMail mail, DeliveryResult result, long nanos) {
        all.forEach(o -> o.attempted(mail, result, nanos));
      }
    };
  }
}
