package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Observability of the mail queue, each part present only when its library is: a health
 * indicator ({@code mailqueue}, off with {@code management.health.mailqueue.enabled=false}),
 * Micrometer meters ({@link MailQueueMetrics}) and the {@code mailqueue} actuator endpoint.
 */
@AutoConfiguration(after = MailQueueAutoConfiguration.class, afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
public class MailQueueActuatorAutoConfiguration {

  /** The health indicator; conditions from spring-boot-health are read only once it is known to be present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class HealthConfiguration {
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(MailQueue.class)
    @ConditionalOnEnabledHealthIndicator("mailqueue")
    static class Enabled {
      @Bean
      @ConditionalOnMissingBean(name = "mailqueueHealthIndicator")
      MailQueueHealthIndicator mailqueueHealthIndicator(MailQueue queue) {
        return new MailQueueHealthIndicator(queue);
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
    MailQueueMetrics mailQueueMetrics(MeterRegistry registry, ObjectProvider<MailQueue> queue) {
      return new MailQueueMetrics(registry, queue);
    }
  }

  /** The read-only endpoint; conditions from actuator-autoconfigure are read only once it is known to be present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
  static class EndpointConfiguration {
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBean(MailQueue.class)
    @ConditionalOnAvailableEndpoint(MailQueueEndpoint.class)
    static class Available {
      @Bean
      @ConditionalOnMissingBean
      MailQueueEndpoint mailQueueEndpoint(MailQueue queue) {
        return new MailQueueEndpoint(queue);
      }
    }
  }
}
