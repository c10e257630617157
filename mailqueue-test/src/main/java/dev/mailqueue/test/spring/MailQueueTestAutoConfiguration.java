package dev.mailqueue.test.spring;

import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spring.MailQueueAutoConfiguration;
import dev.mailqueue.spring.MailQueueCustomizer;
import dev.mailqueue.spring.MailQueueProperties;
import dev.mailqueue.test.MailQueueExtension;
import dev.mailqueue.test.Mailbox;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * What {@link AutoConfigureMailQueue} imports: a {@link Mailbox} bean, its capturing transport as
 * the primary {@link MailTransport} (so the starter builds no SMTP transport), and a last {@link
 * MailQueueCustomizer} that passes every event to the application's {@link DeliveryListener} beans
 * and then to the mailbox, and retries deferrals after {@value
 * MailQueueExtension#DEFAULT_RETRY_DELAY_MILLIS} ms. Runs before {@link
 * MailQueueAutoConfiguration}.
 */
@AutoConfiguration(before = MailQueueAutoConfiguration.class)
@ConditionalOnClass(MailQueueAutoConfiguration.class)
public final class MailQueueTestAutoConfiguration {

  /** Made by Spring through {@link AutoConfigureMailQueue}. */
  public MailQueueTestAutoConfiguration() {}

  /**
   * The mailbox the test autowires.
   *
   * @param queue the application's queue, asked for lazily
   * @return the mailbox
   */
  @Bean
  @ConditionalOnMissingBean
  public Mailbox mailQueueMailbox(ObjectProvider<MailQueue> queue) {
    return new Mailbox(queue::getObject);
  }

  /**
   * The capturing transport, primary over a transport bean of the application's own.
   *
   * @param mailbox the mailbox it captures into
   * @return the transport
   */
  @Bean
  @Primary
  public MailTransport mailQueueCapturingTransport(Mailbox mailbox) {
    return mailbox.transport();
  }

  /**
   * Routes the events through the mailbox (after the application's listeners) and shortens the
   * retry delays, keeping the configured attempts and lifetimes.
   *
   * @param mailbox the mailbox
   * @param listeners the application's listener beans
   * @param properties {@code mailqueue.*}
   * @return the customizer, applied after every other
   */
  @Bean
  @Order(Ordered.LOWEST_PRECEDENCE)
  public MailQueueCustomizer mailQueueMailboxCustomizer(
      Mailbox mailbox,
      ObjectProvider<DeliveryListener> listeners,
      ObjectProvider<MailQueueProperties> properties) {
    return builder -> {
      List<DeliveryListener> others = listeners.orderedStream().toList();
      builder.listener(mailbox.listener(others));
      MailQueueProperties p = properties.getIfAvailable(MailQueueProperties::new);
      MailQueueProperties.Retry retry = p.getRetry();
      builder.retryPolicy(fast(retry.getMaxAttempts(), retry.getMaxAge()));
      p.getRetryByTag()
          .forEach(
              (tag, override) ->
                  builder.retryPolicy(
                      tag,
                      fast(
                          override.getMaxAttempts() != null
                              ? override.getMaxAttempts()
                              : retry.getMaxAttempts(),
                          override.getMaxAge() != null
                              ? override.getMaxAge()
                              : retry.getMaxAge())));
    };
  }

  private static RetryPolicy fast(int maxAttempts, Duration maxAge) {
    return MailQueueExtension.TEST_RETRY_POLICY.toBuilder()
        .maxAttempts(maxAttempts)
        .maxAge(maxAge)
        .build();
  }
}
