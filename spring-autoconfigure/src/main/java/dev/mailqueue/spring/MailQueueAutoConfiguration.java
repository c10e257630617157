package dev.mailqueue.spring;

import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.MailTransport;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.sql.init.DatabaseInitializationMode;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.mail.javamail.JavaMailSender;

/**
 * A {@link MailQueue} on the application's {@link DataSource}, delivering through an
 * {@link SmtpTransport} configured from {@code mailqueue.smtp.*} (falling back to
 * {@code spring.mail.*}), with a {@link TransactionalMailQueue} that enqueues in the current
 * Spring transaction. Off with {@code mailqueue.enabled=false}; each bean backs off when the
 * application defines its own.
 */
@AutoConfiguration(after = DataSourceAutoConfiguration.class,
    afterName = "org.springframework.boot.mail.autoconfigure.MailSenderAutoConfiguration")
@ConditionalOnBooleanProperty(name = "mailqueue.enabled", matchIfMissing = true)
@ConditionalOnSingleCandidate(DataSource.class)
@EnableConfigurationProperties(MailQueueProperties.class)
public class MailQueueAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(MailStore.class)
  JdbcMailStore mailQueueStore(DataSource dataSource, MailQueueProperties properties) {
    MailQueueProperties.Jdbc jdbc = properties.getJdbc();
    boolean createSchema = switch (jdbc.getInitializeSchema()) {
      case ALWAYS -> true;
      case NEVER -> false;
      case EMBEDDED -> EmbeddedDatabaseConnection.isEmbedded(dataSource);
    };
    return JdbcMailStore.builder(dataSource)
        .tablePrefix(jdbc.getTablePrefix())
        .createSchema(createSchema)
        .notifyOnEnqueue(jdbc.isNotifyOnEnqueue())
        .queryTimeout(jdbc.getQueryTimeout())
        .retainBodies(jdbc.isRetainBodies())
        .bounceSuppression(properties.getSuppression().isOnBounce())
        .bounceSuppressionTtl(properties.getSuppression().bounceTtlOrForEver())
        .build();
  }

  @Bean
  @ConditionalOnMissingBean(MailTransport.class)
  SmtpTransport mailQueueTransport(MailQueueProperties properties, Environment environment) {
    return SmtpTransportFactory.create(properties.getSmtp(), environment);
  }

  @Bean
  @ConditionalOnMissingBean(MailQueue.class)
  MailQueue mailQueue(MailStore store, MailTransport transport, MailQueueProperties properties,
                      ObjectProvider<DeliveryListener> listeners, Environment environment) {
    // In-flight deliveries get the same time as every other SmartLifecycle phase on shutdown.
    Duration shutdownTimeout = properties.getShutdownTimeout() != null ? properties.getShutdownTimeout()
        : environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase", Duration.class,
            MailQueue.Builder.DEFAULT_SHUTDOWN_TIMEOUT);
    RetryPolicy retry = properties.getRetry().toPolicy();
    MailQueue.Builder b = MailQueue.builder()
        .store(store)
        .transport(transport)
        .listener(CompositeDeliveryListener.of(listeners.orderedStream().toList()))
        .workers(properties.getWorkers())
        .pollInterval(properties.getPollInterval())
        .lease(properties.getLease())
        .shutdownTimeout(shutdownTimeout)
        .maxMessageSize(properties.getMaxMessageSize().toBytes())
        .retention(properties.getRetention())
        .retryPolicy(retry);
    properties.getRetryByTag().forEach((tag, override) -> b.retryPolicy(tag, override.toPolicy(retry)));
    if (properties.getMessageIdDomain() != null) {
      b.messageIdDomain(properties.getMessageIdDomain());
    }
    if (properties.getWorkerId() != null) {
      b.workerId(properties.getWorkerId());
    }
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean
  TransactionalMailQueue transactionalMailQueue(MailQueue queue, DataSource dataSource) {
    return new TransactionalMailQueue(queue, dataSource);
  }

  @Bean
  @ConditionalOnMissingBean
  MailQueueLifecycle mailQueueLifecycle(MailQueue queue) {
    return new MailQueueLifecycle(queue);
  }

  /** The opt-in {@link JavaMailSender} that enqueues instead of sending. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(JavaMailSender.class)
  @ConditionalOnBooleanProperty("mailqueue.replace-java-mail-sender")
  static class QueuedJavaMailSenderConfiguration {
    @Bean
    @Primary
    @ConditionalOnMissingBean
    QueuedJavaMailSender queuedJavaMailSender(TransactionalMailQueue queue) {
      return new QueuedJavaMailSender(queue);
    }
  }
}
