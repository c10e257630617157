package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.spi.MailStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Observability of the mail queue, each part present only when its library is: a health indicator
 * ({@code mailqueue}, off with {@code management.health.mailqueue.enabled=false}, thresholds from
 * {@code mailqueue.health.*}), Micrometer meters ({@link MailQueueMetrics}) and the {@code
 * mailqueue} actuator endpoint (recipients masked unless {@code
 * mailqueue.endpoint.show-recipients=true}), read-only unless {@code
 * mailqueue.endpoint.write-enabled=true} and {@code
 * management.endpoint.mailqueue.access=unrestricted}.
 */
@AutoConfiguration(
    after = MailQueueAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
public class MailQueueActuatorAutoConfiguration {

  /**
   * The health indicator; conditions from spring-boot-health are read only once it is known to be
   * present.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class HealthConfiguration {
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(MailQueue.class)
    @ConditionalOnEnabledHealthIndicator("mailqueue")
    @EnableConfigurationProperties(MailQueueProperties.class)
    static class Enabled {
      @Bean
      @ConditionalOnMissingBean(name = "mailqueueHealthIndicator")
      MailQueueHealthIndicator mailqueueHealthIndicator(
          MailQueue queue, MailQueueProperties properties) {
        return new MailQueueHealthIndicator(queue, properties.getHealth().toThresholds());
      }
    }
  }

  /** Counters and gauges. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  @ConditionalOnBean({MailQueue.class, MeterRegistry.class})
  static class MetricsConfiguration {
    @Bean
    @ConditionalOnMissingBean
    MailQueueMetrics mailQueueMetrics(
        MeterRegistry registry, ObjectProvider<MailQueue> queue, ObjectProvider<MailStore> store) {
      // The dispatch lag is a question to the JDBC store; another store gets no such gauge.
      Supplier<Duration> dispatchLag =
          store.getIfUnique() instanceof JdbcMailStore jdbc ? jdbc::dispatchLag : null;
      return new MailQueueMetrics(registry, queue, dispatchLag);
    }
  }

  /**
   * The endpoint, with write operations only when enabled: they are then not refused but absent;
   * when enabled, Boot still leaves them out unless the endpoint's access is unrestricted (its
   * default is read-only). Conditions from actuator-autoconfigure are read only once it is known to
   * be present.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
  static class EndpointConfiguration {
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(MailQueue.class)
    @ConditionalOnAvailableEndpoint(MailQueueEndpoint.class)
    @EnableConfigurationProperties(MailQueueProperties.class)
    static class Available {
      @Bean
      @ConditionalOnMissingBean
      @ConditionalOnBooleanProperty(
          name = "mailqueue.endpoint.write-enabled",
          havingValue = false,
          matchIfMissing = true)
      MailQueueEndpoint mailQueueEndpoint(MailQueue queue, MailQueueProperties properties) {
        return new MailQueueEndpoint(queue, properties.getEndpoint().isShowRecipients());
      }

      @Bean
      @ConditionalOnMissingBean(MailQueueEndpoint.class)
      @ConditionalOnBooleanProperty("mailqueue.endpoint.write-enabled")
      WritableMailQueueEndpoint writableMailQueueEndpoint(
          MailQueue queue, MailQueueProperties properties) {
        return new WritableMailQueueEndpoint(queue, properties.getEndpoint().isShowRecipients());
      }
    }
  }
}
