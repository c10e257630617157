package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.HealthThresholds;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.application.AvailabilityHealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabase;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;

class MailQueueActuatorTest {
  private static final Instant LATER = Instant.now().plus(Duration.ofHours(1));

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MetricsAutoConfiguration.class,
                  SimpleMetricsExportAutoConfiguration.class,
                  CompositeMeterRegistryAutoConfiguration.class,
                  MailQueueAutoConfiguration.class,
                  MailQueueActuatorAutoConfiguration.class))
          .withUserConfiguration(SwitchableDatabase.class)
          // a relay that is never reached; the mail here is scheduled an hour ahead, so it stays
          // QUEUED
          .withPropertyValues(
              "mailqueue.smtp.host=127.0.0.1",
              "mailqueue.smtp.port=1",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.shutdown-timeout=1s",
              "mailqueue.poll-interval=1h");

  @Test
  void healthIsUpWithTheBacklogAndDownWhenTheDatabaseIsUnreachable() {
    runner.run(
        context -> {
          MailQueueHealthIndicator health = context.getBean(MailQueueHealthIndicator.class);
          Health up = health.health();
          assertThat(up.getStatus()).isEqualTo(Status.UP);
          assertThat(up.getDetails())
              .containsEntry("backlog", 0L)
              .containsKey("oldestWaitingMs")
              .containsKey("counts");

          context.getBean(SwitchableDataSource.class).down = true;
          Health down = health.health();
          assertThat(down.getStatus()).isEqualTo(Status.DOWN);
          assertThat(down.getDetails().toString()).contains("connection refused");
        });
  }

  @Test
  void healthIsDownWhenTheWorkersAreNotRunning() {
    runner.run(
        context -> {
          MailQueueHealthIndicator health = context.getBean(MailQueueHealthIndicator.class);
          assertThat(health.health().getStatus()).isEqualTo(Status.UP);
          context.getBean(MailQueue.class).close();
          Health down = health.health();
          assertThat(down.getStatus()).isEqualTo(Status.DOWN);
          assertThat(down.getDetails()).containsEntry("workers", "not running");
        });
  }

  @Test
  void healthIsDegradedBeyondTheThresholdsWithTheReasons() {
    runner
        .withPropertyValues("mailqueue.health.max-deferred=0")
        .run(
            context -> {
              MailQueueHealthIndicator health = context.getBean(MailQueueHealthIndicator.class);
              assertThat(health.health().getStatus()).isEqualTo(Status.UP);

              // the relay refuses the connection: a temporary failure, so the message is deferred
              MailQueue queue = context.getBean(MailQueue.class);
              MessageId id =
                  queue.enqueue(
                      Mail.builder()
                          .from("shop@example.com")
                          .to("bob@example.org")
                          .text("t")
                          .build());
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> queue.find(id).orElseThrow().state() == MessageState.DEFERRED);

              Health degraded = health.health();
              assertThat(degraded.getStatus()).isEqualTo(MailQueueHealthIndicator.DEGRADED);
              assertThat(degraded.getDetails())
                  .containsEntry("backlog", 1L)
                  .containsKey("oldestWaitingMs");
              assertThat(degraded.getDetails().get("reasons").toString())
                  .contains("1 messages deferred (limit 0)");
            });
  }

  @Test
  void thresholdsDefaultToTheCoreConstantsAndBindFromProperties() {
    assertThat(new MailQueueProperties().getHealth().toThresholds())
        .isEqualTo(HealthThresholds.defaults());
    runner
        .withPropertyValues(
            "mailqueue.health.max-oldest-waiting=2m", "mailqueue.health.max-deferred=7")
        .run(
            context ->
                assertThat(context.getBean(MailQueueProperties.class).getHealth().toThresholds())
                    .isEqualTo(new HealthThresholds(Duration.ofMinutes(2), 7)));
  }

  @Test
  void healthIsNotInTheLivenessGroupAndDegradedCountsOnlyWhenOrdered() {
    ApplicationContextRunner withHealthEndpoint =
        runner
            .withConfiguration(
                AutoConfigurations.of(
                    EndpointAutoConfiguration.class,
                    ApplicationAvailabilityAutoConfiguration.class,
                    HealthContributorAutoConfiguration.class,
                    HealthContributorRegistryAutoConfiguration.class,
                    HealthEndpointAutoConfiguration.class,
                    AvailabilityHealthContributorAutoConfiguration.class,
                    AvailabilityProbesAutoConfiguration.class))
            // any message older than a millisecond is too old
            .withPropertyValues("mailqueue.health.max-oldest-waiting=1ms");
    withHealthEndpoint.run(
        context -> {
          HealthEndpointGroups groups = context.getBean(HealthEndpointGroups.class);
          assertThat(groups.getPrimary().isMember("mailqueue")).isTrue();
          assertThat(groups.get("liveness")).as("probes are on by default").isNotNull();
          assertThat(groups.get("liveness").isMember("livenessState")).isTrue();
          assertThat(groups.get("liveness").isMember("mailqueue")).isFalse();
          assertThat(groups.get("readiness").isMember("mailqueue")).isFalse();

          started(context);
          enqueueLater(context.getBean(MailQueue.class));
          HealthEndpoint endpoint = context.getBean(HealthEndpoint.class);
          await()
              .atMost(Duration.ofSeconds(5))
              .untilAsserted(
                  () ->
                      assertThat(
                              ((CompositeHealthDescriptor) endpoint.health())
                                  .getComponents()
                                  .get("mailqueue")
                                  .getStatus())
                          .isEqualTo(MailQueueHealthIndicator.DEGRADED));
          assertThat(endpoint.health().getStatus())
              .as("a status not in the order is left out of the aggregate")
              .isEqualTo(Status.UP);
        });
    withHealthEndpoint
        .withPropertyValues(
            "management.endpoint.health.status.order=down,out-of-service,degraded,up")
        .run(
            context -> {
              started(context);
              enqueueLater(context.getBean(MailQueue.class));
              HealthEndpoint endpoint = context.getBean(HealthEndpoint.class);
              await()
                  .atMost(Duration.ofSeconds(5))
                  .untilAsserted(
                      () ->
                          assertThat(endpoint.health().getStatus())
                              .isEqualTo(MailQueueHealthIndicator.DEGRADED));
            });
  }

  @Test
  void healthIndicatorCanBeSwitchedOff() {
    runner
        .withPropertyValues("management.health.mailqueue.enabled=false")
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .doesNotHaveBean(MailQueueHealthIndicator.class)
                    .hasSingleBean(MailQueueMetrics.class));
  }

  @Test
  void gaugesShowTheBacklogAndCountersAreTaggedByOutcomeAndTagNeverByAddress() {
    runner.run(
        context -> {
          MeterRegistry meters = context.getBean(MeterRegistry.class);
          assertThat(meters.get("mailqueue.messages").tag("state", "queued").gauge().value())
              .isZero();

          context
              .getBean(TransactionalMailQueue.class)
              .enqueue(
                  Mail.builder()
                      .from("shop@example.com")
                      .to("bob@example.org")
                      .subject("s")
                      .text("t")
                      .tag("welcome")
                      .notBefore(LATER)
                      .build());
          // the gauges read a snapshot at most STATS_MAX_AGE old; await instead of sleeping
          await()
              .atMost(Duration.ofSeconds(5))
              .untilAsserted(
                  () ->
                      assertThat(
                              meters
                                  .get("mailqueue.messages")
                                  .tag("state", "queued")
                                  .gauge()
                                  .value())
                          .isEqualTo(1.0));
          assertThat(meters.get("mailqueue.oldest.waiting").timeGauge().value()).isNotNegative();

          // the queue's listener is the metrics bean (one listener, so not wrapped)
          MailQueueMetrics metrics = context.getBean(MailQueueMetrics.class);
          metrics.delivered(event("welcome", 2));
          metrics.bounced(event(null, 1));
          assertThat(
                  meters
                      .get("mailqueue.recipients")
                      .tags("outcome", "delivered", "tag", "welcome")
                      .counter()
                      .count())
              .isEqualTo(2.0);
          assertThat(
                  meters
                      .get("mailqueue.recipients")
                      .tags("outcome", "bounced", "tag", MailQueueMetrics.NO_TAG)
                      .counter()
                      .count())
              .isEqualTo(1.0);
          assertThat(meters.getMeters())
              .allSatisfy(
                  m -> assertThat(m.getId().getTags().toString()).doesNotContain("example.org"));
        });
  }

  @Test
  void deliveryTimerMeasuresFromEnqueueToTheFinalOutcomeTaggedByOutcomeAndTag() {
    runner.run(
        context -> {
          MeterRegistry meters = context.getBean(MeterRegistry.class);
          MailQueueMetrics metrics = context.getBean(MailQueueMetrics.class);
          MessageId threeSecondsOld = enqueuedAt(System.currentTimeMillis() - 3_000);
          metrics.deferred(event(threeSecondsOld, "welcome", 1));
          metrics.delivered(event(threeSecondsOld, "welcome", 2));
          metrics.expired(event(threeSecondsOld, null, 1));

          Timer delivered =
              meters
                  .get("mailqueue.delivery")
                  .tags("outcome", "delivered", "tag", "welcome")
                  .timer();
          assertThat(delivered.count())
              .as("once per message and outcome, not per recipient")
              .isEqualTo(1);
          assertThat(delivered.totalTime(TimeUnit.MILLISECONDS)).isBetween(3_000.0, 60_000.0);
          assertThat(
                  meters
                      .get("mailqueue.delivery")
                      .tags("outcome", "expired", "tag", MailQueueMetrics.NO_TAG)
                      .timer()
                      .count())
              .isEqualTo(1);
          assertThat(meters.find("mailqueue.delivery").tag("outcome", "deferred").timer())
              .as("a deferral is not an outcome")
              .isNull();
          assertThat(meters.get("mailqueue.delivery").timers())
              .allSatisfy(
                  t ->
                      assertThat(t.getId().getTags())
                          .extracting(tag -> tag.getKey())
                          .containsExactlyInAnyOrder("outcome", "tag"));
        });
  }

  @Test
  void messageTagsBecomeTagValuesUpToALimit() {
    runner.run(
        context -> {
          MeterRegistry meters = context.getBean(MeterRegistry.class);
          MailQueueMetrics metrics = context.getBean(MailQueueMetrics.class);
          for (int i = 0; i < MailQueueMetrics.MAX_TAG_VALUES + 5; i++) {
            metrics.delivered(event("campaign-" + i, 1));
          }
          assertThat(meters.get("mailqueue.recipients").tag("outcome", "delivered").counters())
              .hasSize(MailQueueMetrics.MAX_TAG_VALUES + 1);
          assertThat(
                  meters
                      .get("mailqueue.recipients")
                      .tags("outcome", "delivered", "tag", MailQueueMetrics.OTHER_TAG)
                      .counter()
                      .count())
              .isEqualTo(5.0);
          assertThat(
                  meters
                      .get("mailqueue.delivery")
                      .tags("tag", MailQueueMetrics.OTHER_TAG)
                      .timer()
                      .count())
              .isEqualTo(5);
          metrics.delivered(event("campaign-0", 1));
          assertThat(
                  meters
                      .get("mailqueue.recipients")
                      .tags("outcome", "delivered", "tag", "campaign-0")
                      .counter()
                      .count())
              .as("a tag seen before keeps its value")
              .isEqualTo(2.0);
        });
  }

  /**
   * What a running application has published: live and accepting traffic (the runner publishes
   * neither).
   */
  private static void started(ApplicationContext context) {
    AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
    AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
  }

  private static void enqueueLater(MailQueue queue) {
    queue.enqueue(
        Mail.builder()
            .from("shop@example.com")
            .to("bob@example.org")
            .text("t")
            .notBefore(LATER)
            .build());
  }

  /** A version 7 id, as the queue generates them, enqueued at {@code millis}. */
  private static MessageId enqueuedAt(long millis) {
    return new MessageId(new UUID((millis << 16) | 0x7000L, 0x8000000000000001L));
  }

  private static DeliveryEvent event(String tag, int recipients) {
    return event(MessageId.generate(), tag, recipients);
  }

  private static DeliveryEvent event(MessageId id, String tag, int recipients) {
    List<RecipientOutcome> outcomes = new ArrayList<>();
    for (int i = 0; i < recipients; i++) {
      outcomes.add(
          new RecipientOutcome(
              MailAddress.of("r" + i + "@example.org"),
              RecipientStatus.DELIVERED,
              SmtpReply.local(250, "2.0.0", "ok")));
    }
    return new DeliveryEvent(id, tag, 1, outcomes, null, false);
  }

  /** An embedded H2 database whose connections can be made to fail, as if the server were down. */
  @Configuration(proxyBeanMethods = false)
  static class SwitchableDatabase {
    @Bean(destroyMethod = "shutdown")
    SwitchableDataSource dataSource() {
      return new SwitchableDataSource(
          new EmbeddedDatabaseBuilder()
              .generateUniqueName(true)
              .setType(EmbeddedDatabaseType.H2)
              .build());
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
