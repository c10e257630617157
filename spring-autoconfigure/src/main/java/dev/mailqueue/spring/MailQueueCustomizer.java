package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;

/**
 * A bean that adjusts the starter's {@link MailQueue.Builder} after {@code mailqueue.*} was applied
 * to it and before the queue is built: for what properties do not express, such as {@code
 * heartbeatInterval(...)} or {@code listenerThreads(...)}. Every customizer bean is applied, in
 * {@code @Order}/{@code Ordered} order. A customizer that calls {@code listener(...)} replaces the
 * starter's listener, which passes every outcome to each {@code DeliveryListener} bean (metrics
 * included): declare a {@code DeliveryListener} bean instead. Not applied when the application
 * defines its own {@code MailQueue} bean.
 */
@FunctionalInterface
public interface MailQueueCustomizer {
  /**
   * Adjusts {@code builder}; called once, at startup, on the thread creating the bean.
   *
   * @param builder the builder with the starter's settings applied; not yet built
   */
  void customize(MailQueue.Builder builder);
}
