package dev.mailqueue.spring;

import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.DkimSigning;
import dev.mailqueue.smtp.RelayBuilder;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.MailTransport;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.mail.javamail.JavaMailSender;

/**
 * A {@link MailQueue} on the application's {@link DataSource}, delivering through an {@link
 * SmtpTransport} configured from {@code mailqueue.smtp.*} (falling back to {@code spring.mail.*}),
 * whose {@code enqueue} joins the current Spring transaction, as that of the {@link
 * TransactionalMailQueue} bean does. {@link JdbcMailStoreCustomizer}, {@link
 * SmtpTransportCustomizer} and {@link MailQueueCustomizer} beans adjust the builders for what
 * properties do not express. Off with {@code mailqueue.enabled=false}; each bean backs off when the
 * application defines its own.
 */
@AutoConfiguration(
    after = {DataSourceAutoConfiguration.class, SslAutoConfiguration.class},
    afterName = "org.springframework.boot.mail.autoconfigure.MailSenderAutoConfiguration")
@ConditionalOnBooleanProperty(name = "mailqueue.enabled", matchIfMissing = true)
@ConditionalOnSingleCandidate(DataSource.class)
@EnableConfigurationProperties(MailQueueProperties.class)
public class MailQueueAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(MailStore.class)
  JdbcMailStore mailQueueStore(
      DataSource dataSource,
      MailQueueProperties properties,
      ObjectProvider<JdbcMailStoreCustomizer> customizers) {
    MailQueueProperties.Jdbc jdbc = properties.getJdbc();
    boolean createSchema =
        switch (jdbc.getInitializeSchema()) {
          case ALWAYS -> true;
          case NEVER -> false;
          case EMBEDDED -> EmbeddedDatabaseConnection.isEmbedded(dataSource);
        };
    JdbcMailStore.Builder b =
        JdbcMailStore.builder(dataSource)
            .tablePrefix(jdbc.getTablePrefix())
            .createSchema(createSchema)
            .notifyOnEnqueue(jdbc.isNotifyOnEnqueue())
            .queryTimeout(jdbc.getQueryTimeout())
            .retainBodies(jdbc.isRetainBodies())
            .bounceSuppression(properties.getSuppression().isOnBounce())
            .bounceSuppressionTtl(properties.getSuppression().bounceTtlOrForEver());
    customizers.orderedStream().forEach(c -> c.customize(b));
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean(MailTransport.class)
  SmtpTransport mailQueueTransport(
      MailQueueProperties properties,
      Environment environment,
      ResourceLoader resourceLoader,
      ObjectProvider<SslBundles> sslBundles,
      ObjectProvider<SmtpTransportCustomizer> customizers) {
    SpringMailSettings mail = SpringMailSettings.of(environment, resourceLoader.getClassLoader());
    RelayBuilder b =
        SmtpTransportFactory.builder(properties.getSmtp(), mail, sslBundles.getIfAvailable());
    DkimSigning dkim = SmtpTransportFactory.dkim(properties.getDkim());
    if (dkim != null) {
      b.dkim(dkim);
    }
    customizers.orderedStream().forEach(c -> c.customize(b));
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean(MailQueue.class)
  MailQueue mailQueue(
      MailStore store,
      MailTransport transport,
      MailQueueProperties properties,
      ObjectProvider<DeliveryListener> listeners,
      Environment environment,
      DataSource dataSource,
      ObjectProvider<MailQueueCustomizer> customizers,
      ObjectProvider<MailQueueObserver> observerBeans) {
    // In-flight deliveries get the same time as every other SmartLifecycle phase on shutdown.
    Duration shutdownTimeout =
        properties.getShutdownTimeout() != null
            ? properties.getShutdownTimeout()
            : environment.getProperty(
                "spring.lifecycle.timeout-per-shutdown-phase",
                Duration.class,
                MailQueue.Builder.DEFAULT_SHUTDOWN_TIMEOUT);
    RetryPolicy retry = properties.getRetry().toPolicy();
    List<MailQueueObserver> observers = observerBeans.orderedStream().toList();
    MailQueueObserver observer = MailQueueObserver.of(observers);
    MailQueue.Builder b =
        MailQueue.builder()
            .store(store)
            .transport(
                observers.isEmpty() ? transport : new ObservedMailTransport(transport, observer))
            .listener(CompositeDeliveryListener.of(listeners.orderedStream().toList()))
            .workers(properties.getWorkers())
            .pollInterval(properties.getPollInterval())
            .lease(properties.getLease())
            .shutdownTimeout(shutdownTimeout)
            .maxMessageSize(properties.getMaxMessageSize().toBytes())
            .retention(properties.getRetention())
            .retryPolicy(retry)
            .mode(properties.toDeliveryMode());
    properties
        .getRetryByTag()
        .forEach((tag, override) -> b.retryPolicy(tag, override.toPolicy(retry)));
    if (properties.getMessageIdDomain() != null) {
      b.messageIdDomain(properties.getMessageIdDomain());
    }
    if (properties.getWorkerId() != null) {
      b.workerId(properties.getWorkerId());
    }
    customizers.orderedStream().forEach(c -> c.customize(b));
    // The one bean to inject: its enqueue joins the current transaction, as
    // TransactionalMailQueue's does.
    return new TransactionAwareMailQueue(b.build(), dataSource, observer);
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
    QueuedJavaMailSender queuedJavaMailSender(
        TransactionalMailQueue queue, Environment environment, ResourceLoader resourceLoader) {
      // spring.mail.properties.* as JavaMailSenderImpl gets them: mail.from is the default From.
      Properties javaMail = new Properties();
      javaMail.putAll(
          SpringMailSettings.of(environment, resourceLoader.getClassLoader()).properties());
      return new QueuedJavaMailSender(queue, javaMail);
    }
  }
}
