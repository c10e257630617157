package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabase;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;

class MailQueueActuatorTest {
  private static final Instant LATER = Instant.now().plus(Duration.ofHours(1));

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
          SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
          MailQueueAutoConfiguration.class, MailQueueActuatorAutoConfiguration.class))
      .withUserConfiguration(SwitchableDatabase.class)
      // a relay that is never reached; the mail here is scheduled an hour ahead, so it stays QUEUED
      .withPropertyValues("mailqueue.smtp.host=127.0.0.1", "mailqueue.smtp.port=1", "mailqueue.smtp.ehlo-name=test",
          "mailqueue.workers=1", "mailqueue.shutdown-timeout=1s", "mailqueue.poll-interval=1h",
          "management.endpoints.web.exposure.include=mailqueue");

  @Test
  void healthIsUpWithTheBacklogAndDownWhenTheDatabaseIsUnreachable() {
    runner.run(context -> {
      MailQueueHealthIndicator health = context.getBean(MailQueueHealthIndicator.class);
      Health up = health.health();
      assertThat(up.getStatus()).isEqualTo(Status.UP);
      assertThat(up.getDetails()).containsEntry("backlog", 0L).containsKey("oldestWaiting").containsKey("messages");

      context.getBean(SwitchableDataSource.class).down = true;
      Health down = health.health();
      assertThat(down.getStatus()).isEqualTo(Status.DOWN);
      assertThat(down.getDetails().toString()).contains("connection refused");
    });
  }

  @Test
  void healthIndicatorCanBeSwitchedOff() {
    runner.withPropertyValues("management.health.mailqueue.enabled=false")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(MailQueueHealthIndicator.class)
            .hasSingleBean(MailQueueMetrics.class));
  }

  @Test
  void gaugesShowTheBacklogAndCountersAreTaggedByOutcomeAndTagNeverByAddress() {
    runner.run(context -> {
      MeterRegistry meters = context.getBean(MeterRegistry.class);
      assertThat(meters.get("mailqueue.messages").tag("state", "queued").gauge().value()).isZero();

      context.getBean(TransactionalMailQueue.class).enqueue(Mail.builder().from("shop@example.com")
          .to("bob@example.org").subject("s").text("t").tag("welcome").notBefore(LATER).build());
      // the gauges read a snapshot at most STATS_MAX_AGE old; await instead of sleeping
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
          assertThat(meters.get("mailqueue.messages").tag("state", "queued").gauge().value()).isEqualTo(1.0));
      assertThat(meters.get("mailqueue.oldest.waiting").timeGauge().value()).isNotNegative();

      // the queue's listener is the metrics bean (one listener, so not wrapped)
      MailQueueMetrics metrics = context.getBean(MailQueueMetrics.class);
      metrics.delivered(event("welcome", 2));
      metrics.bounced(event(null, 1));
      assertThat(meters.get("mailqueue.recipients").tags("outcome", "delivered", "tag", "welcome").counter().count())
          .isEqualTo(2.0);
      assertThat(meters.get("mailqueue.recipients").tags("outcome", "bounced", "tag", MailQueueMetrics.NO_TAG)
          .counter().count()).isEqualTo(1.0);
      assertThat(meters.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags().toString())
          .doesNotContain("example.org"));
    });
  }

  @Test
  void endpointReadsStatsAndOneMessage() {
    runner.run(context -> {
      MailQueueEndpoint endpoint = context.getBean(MailQueueEndpoint.class);
      MessageId id = context.getBean(MailQueue.class).enqueue(Mail.builder().from("shop@example.com")
          .to("bob@example.org").text("t").notBefore(LATER).build());
      MailQueueEndpoint.StatsDescriptor stats = endpoint.stats();
      assertThat(stats.backlog()).isEqualTo(1);
      assertThat(stats.messages()).containsEntry("queued", 1L);
      assertThat(endpoint.message(id.toString()).state()).isEqualTo(MessageState.QUEUED);
      assertThat(endpoint.message(MessageId.generate().toString())).isNull();
      assertThat(endpoint.message("not-an-id")).isNull();
    });
  }

  @Test
  void endpointIsAbsentUnlessExposed() {
    runner.withPropertyValues("management.endpoints.web.exposure.include=health")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(MailQueueEndpoint.class));
  }

  private static DeliveryEvent event(String tag, int recipients) {
    List<RecipientOutcome> outcomes = new ArrayList<>();
    for (int i = 0; i < recipients; i++) {
      outcomes.add(new RecipientOutcome(MailAddress.of("r" + i + "@example.org"), RecipientStatus.DELIVERED,
          SmtpReply.local(250, "2.0.0", "ok")));
    }
    return new DeliveryEvent(MessageId.generate(), tag, 1, outcomes, null, false);
  }

  /** An embedded H2 database whose connections can be made to fail, as if the server were down. */
  @Configuration(proxyBeanMethods = false)
  static class SwitchableDatabase {
    @Bean(destroyMethod = "shutdown")
    SwitchableDataSource dataSource() {
      return new SwitchableDataSource(new EmbeddedDatabaseBuilder().generateUniqueName(true)
          .setType(EmbeddedDatabaseType.H2).build());
    }
  }

  static final class SwitchableDataSource extends DelegatingDataSource {
    private final EmbeddedDatabase database;
    volatile boolean down;

    SwitchableDataSource(EmbeddedDatabase database) {
      super(database);
      this.database = database;
    }

    void shutdown() {
      database.shutdown();
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (down) {
        throw new SQLException("connection refused (test)");
      }
      return super.getConnection();
    }
  }
}
