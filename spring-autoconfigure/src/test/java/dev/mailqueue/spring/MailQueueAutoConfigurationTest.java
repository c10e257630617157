package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.DeliveryMode;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.MailTransport;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mail.javamail.JavaMailSender;

class MailQueueAutoConfigurationTest {

  /** H2 in memory (a unique database per context) and a relay that is never contacted. */
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class,
                  MailQueueAutoConfiguration.class,
                  MailQueueActuatorAutoConfiguration.class))
          .withPropertyValues(
              "mailqueue.smtp.host=127.0.0.1",
              "mailqueue.smtp.port=1",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.shutdown-timeout=1s");

  @Test
  void withADataSourceEverythingIsConfiguredAndStarted() {
    runner.run(
        context -> {
          assertThat(context)
              .hasNotFailed()
              .hasSingleBean(JdbcMailStore.class)
              .hasSingleBean(SmtpTransport.class)
              .hasSingleBean(MailQueue.class)
              .hasSingleBean(TransactionalMailQueue.class)
              .hasSingleBean(MailQueueLifecycle.class)
              .doesNotHaveBean(QueuedJavaMailSender.class);
          assertThat(context.getBean(MailQueueLifecycle.class).isRunning()).isTrue();
          // embedded database, default initialize-schema=embedded: the tables exist
          JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
          assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM mq_message", Integer.class))
              .isZero();
        });
  }

  @Test
  void withoutADataSourceThereIsNoQueue() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                MailQueueAutoConfiguration.class, MailQueueActuatorAutoConfiguration.class))
        .withPropertyValues("mailqueue.smtp.host=127.0.0.1")
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .doesNotHaveBean(MailQueue.class)
                    .doesNotHaveBean(JdbcMailStore.class)
                    .doesNotHaveBean(MailTransport.class)
                    .doesNotHaveBean(TransactionalMailQueue.class)
                    .doesNotHaveBean(MailQueueHealthIndicator.class));
  }

  @Test
  void disabledConfiguresNothing() {
    runner
        .withPropertyValues("mailqueue.enabled=false")
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .hasSingleBean(DataSource.class)
                    .doesNotHaveBean(MailQueue.class)
                    .doesNotHaveBean(JdbcMailStore.class)
                    .doesNotHaveBean(MailTransport.class)
                    .doesNotHaveBean(TransactionalMailQueue.class)
                    .doesNotHaveBean(MailQueueLifecycle.class)
                    .doesNotHaveBean(MailQueueProperties.class));
  }

  @Test
  void theApplicationsOwnMailQueueWins() {
    runner
        .withUserConfiguration(OwnQueue.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(MailQueue.class);
              assertThat(context.getBean(MailQueue.class))
                  .isSameAs(context.getBean(OwnQueue.class).queue);
              assertThat(context.getBean(TransactionalMailQueue.class).queue())
                  .isSameAs(context.getBean(MailQueue.class));
            });
  }

  @Test
  void theApplicationsOwnTransportWins() {
    runner
        .withPropertyValues("mailqueue.smtp.host=")
        .withUserConfiguration(OwnTransport.class)
        .run(
            context -> {
              assertThat(context)
                  .hasNotFailed()
                  .hasSingleBean(MailTransport.class)
                  .doesNotHaveBean(SmtpTransport.class)
                  .hasSingleBean(MailQueue.class);
              assertThat(context.getBean(MailTransport.class)).isSameAs(OwnTransport.TRANSPORT);
            });
  }

  @Test
  void withoutARelayStartupFailsSayingWhatToSet() {
    runner
        .withPropertyValues("mailqueue.smtp.host=")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("mailqueue.smtp.host (or spring.mail.host)"));
  }

  @Test
  void theRelayFallsBackToSpringMailProperties() {
    runner
        .withPropertyValues(
            "mailqueue.smtp.host=",
            "mailqueue.smtp.port=",
            "spring.mail.host=relay.example.com",
            "spring.mail.port=2525",
            "spring.mail.username=app",
            "spring.mail.password=s3cret",
            "spring.mail.properties.mail.smtp.starttls.required=true")
        .run(
            context -> {
              String transport = context.getBean(SmtpTransport.class).toString();
              assertThat(transport)
                  .contains("relay.example.com", "2525", "STARTTLS_REQUIRED", "app")
                  .doesNotContain("s3cret");
            });
  }

  /**
   * Without credentials too: a relay across a network gets STARTTLS required unless told otherwise.
   */
  @Test
  void aRemoteRelayWithoutCredentialsRequiresStartTlsUnlessSecurityIsNone() {
    runner
        .withPropertyValues(
            "mailqueue.smtp.host=",
            "mailqueue.smtp.port=",
            "spring.mail.host=relay.example.com",
            "spring.mail.port=25")
        .run(
            context ->
                assertThat(context.getBean(SmtpTransport.class).toString())
                    .contains("relay.example.com", "STARTTLS_REQUIRED"));
    runner
        .withPropertyValues(
            "mailqueue.smtp.host=relay.example.com",
            "mailqueue.smtp.port=25",
            "mailqueue.smtp.security=none")
        .run(
            context ->
                assertThat(context.getBean(SmtpTransport.class).toString())
                    .contains("security=NONE"));
  }

  @Test
  void mailqueueSmtpPropertiesOverrideSpringMail() {
    runner
        .withPropertyValues(
            "spring.mail.host=ignored.example.com",
            "mailqueue.smtp.host=smtp.example.org",
            "mailqueue.smtp.port=465",
            "mailqueue.smtp.security=implicit-tls")
        .run(
            context ->
                assertThat(context.getBean(SmtpTransport.class).toString())
                    .contains("smtp.example.org", "465", "IMPLICIT_TLS")
                    .doesNotContain("ignored"));
  }

  @Test
  void propertiesBindAndReachTheQueueBuilder() {
    runner
        .withPropertyValues(
            "mailqueue.workers=3",
            "mailqueue.poll-interval=250ms",
            "mailqueue.lease=2m",
            "mailqueue.max-message-size=10MB",
            "mailqueue.retry.initial-delay=1m",
            "mailqueue.retry.max-age=1d",
            "mailqueue.retry-by-tag.password-reset.max-age=30m",
            "mailqueue.jdbc.table-prefix=app_mq_",
            "mailqueue.jdbc.query-timeout=5s")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(JdbcMailStore.class).toString())
                  .contains("queryTimeoutSeconds=5");
              MailQueueProperties p = context.getBean(MailQueueProperties.class);
              assertThat(p.getWorkers()).isEqualTo(3);
              assertThat(p.getPollInterval()).isEqualTo(Duration.ofMillis(250));
              assertThat(p.getMaxMessageSize().toBytes()).isEqualTo(10L * 1024 * 1024);
              RetryPolicy base = p.getRetry().toPolicy();
              assertThat(base.initialDelay()).isEqualTo(Duration.ofMinutes(1));
              RetryPolicy reset = p.getRetryByTag().get("password-reset").toPolicy(base);
              assertThat(reset.maxAge()).isEqualTo(Duration.ofMinutes(30));
              assertThat(reset.initialDelay())
                  .as("inherited from mailqueue.retry")
                  .isEqualTo(Duration.ofMinutes(1));
              assertThat(reset.multiplier()).isEqualTo(RetryPolicy.DEFAULT_MULTIPLIER);
              JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
              assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM app_mq_message", Integer.class))
                  .isZero();
            });
  }

  @Test
  void defaultsAreTheCoreConstants() {
    MailQueueProperties p = new MailQueueProperties();
    assertThat(p.getWorkers()).isEqualTo(MailQueue.Builder.DEFAULT_WORKERS);
    assertThat(p.getPollInterval()).isEqualTo(MailQueue.Builder.DEFAULT_POLL_INTERVAL);
    assertThat(p.getShutdownTimeout())
        .as("unset: spring.lifecycle.timeout-per-shutdown-phase, else 30 s")
        .isNull();
    assertThat(p.getRetry().toPolicy()).isEqualTo(RetryPolicy.defaults());
    assertThat(p.getJdbc().getTablePrefix()).isEqualTo(JdbcMailStore.DEFAULT_TABLE_PREFIX);
    assertThat(p.getJdbc().getQueryTimeout()).isEqualTo(JdbcMailStore.DEFAULT_QUERY_TIMEOUT);
  }

  @Test
  void invalidValuesFailStartupWithTheBuildersMessage() {
    runner
        .withPropertyValues("mailqueue.workers=0")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("workers must be 1..1024"));
    runner
        .withPropertyValues("mailqueue.retry-by-tag.welcome.jitter=1.5")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("jitter"));
  }

  @Test
  void initializeSchemaNeverLeavesTablesToTheApplication() {
    runner
        .withPropertyValues("mailqueue.jdbc.initialize-schema=never")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasStackTraceContaining("mailqueue tables not found"));
  }

  @Test
  void theLifecycleClosesTheQueueWithTheContext() {
    runner.run(
        context -> {
          MailQueueLifecycle lifecycle = context.getBean(MailQueueLifecycle.class);
          MailQueue queue = context.getBean(MailQueue.class);
          context.close();
          assertThat(lifecycle.isRunning()).isFalse();
          assertThat(catchThrowable(queue::start)).hasMessageContaining("closed");
        });
  }

  @Test
  void javaMailSenderIsReplacedOnlyWhenAskedFor() {
    runner
        .withPropertyValues("mailqueue.replace-java-mail-sender=true")
        .run(
            context -> {
              assertThat(context).hasSingleBean(JavaMailSender.class);
              assertThat(context.getBean(JavaMailSender.class))
                  .isInstanceOf(QueuedJavaMailSender.class);
            });
    runner
        .withPropertyValues("mailqueue.replace-java-mail-sender=true")
        .withClassLoader(new FilteredClassLoader(JavaMailSender.class))
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .doesNotHaveBean(QueuedJavaMailSender.class)
                    .hasSingleBean(MailQueue.class));
  }

  @Test
  void withoutActuatorAndMicrometerTheCoreStillWorks() {
    runner
        .withClassLoader(
            new FilteredClassLoader(
                "org.springframework.boot.actuate",
                "org.springframework.boot.health",
                "io.micrometer"))
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .hasSingleBean(MailQueue.class)
                    .hasSingleBean(TransactionalMailQueue.class)
                    .doesNotHaveBean(MailQueueHealthIndicator.class)
                    .doesNotHaveBean(MailQueueMetrics.class)
                    .doesNotHaveBean(MailQueueEndpoint.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnTransport {
    static final MailTransport TRANSPORT =
        mail -> {
          throw new AssertionError("not called in this test");
        };

    @Bean
    MailTransport transport() {
      return TRANSPORT;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnQueue {
    MailQueue queue;

    @Bean
    MailQueue ownQueue(DataSource dataSource) {
      queue =
          MailQueue.builder()
              .store(JdbcMailStore.builder(dataSource).createSchema(true).build())
              .transport(OwnTransport.TRANSPORT)
              .build();
      return queue;
    }
  }

  @Test
  void suppressionPropertiesReachTheStore() {
    runner.run(
        context ->
            assertThat(context.getBean(JdbcMailStore.class).toString())
                .as("90 days by default")
                .contains("bounceSuppression=PT2160H"));
    runner
        .withPropertyValues("mailqueue.suppression.bounce-ttl=30d")
        .run(
            context ->
                assertThat(context.getBean(JdbcMailStore.class).toString())
                    .contains("bounceSuppression=PT720H"));
    runner
        .withPropertyValues("mailqueue.suppression.bounce-ttl=0")
        .run(
            context ->
                assertThat(context.getBean(JdbcMailStore.class).toString())
                    .contains("bounceSuppression=for ever"));
    runner
        .withPropertyValues("mailqueue.suppression.on-bounce=false")
        .run(
            context ->
                assertThat(context.getBean(JdbcMailStore.class).toString())
                    .contains("bounceSuppression=off"));
  }

  /** Issue 19: mailqueue.mode reaches the queue, its health and the recorded outcomes. */
  @Test
  void captureModeKeepsMailFromTheRelayAndShowsInHealth() {
    runner
        .withPropertyValues("mailqueue.mode=capture", "mailqueue.poll-interval=100ms")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              MailQueue queue = context.getBean(MailQueue.class);
              assertThat(queue.mode()).isEqualTo(DeliveryMode.capture());
              assertThat(context.getBean(MailQueueHealthIndicator.class).health().getDetails())
                  .containsEntry("mode", "capture");
              // the relay (port 1) is never reachable: only capture can finish the message
              MessageId id =
                  queue.enqueue(
                      Mail.builder()
                          .from("app@example.com")
                          .to("bob@example.org")
                          .text("t")
                          .build());
              await()
                  .atMost(Duration.ofSeconds(20))
                  .until(
                      () ->
                          queue
                              .find(id)
                              .map(v -> v.state() == MessageState.CAPTURED)
                              .orElse(false));
            });
  }

  @Test
  void redirectAndAllowModesBindTheirLists() {
    runner
        .withPropertyValues(
            "mailqueue.mode=redirect",
            "mailqueue.mode-redirect-to=qa@staging.test,dev@staging.test")
        .run(
            context ->
                assertThat(context.getBean(MailQueue.class).mode())
                    .isEqualTo(
                        DeliveryMode.redirect(
                            MailAddress.of("qa@staging.test"),
                            MailAddress.of("dev@staging.test"))));
    runner
        .withPropertyValues("mailqueue.mode=ALLOW", "mailqueue.mode-allow=example.com")
        .run(
            context ->
                assertThat(context.getBean(MailQueue.class).mode().toString())
                    .isEqualTo("allow example.com"));
    runner
        .withPropertyValues("mailqueue.mode=redirect")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasStackTraceContaining("mailqueue.mode=redirect")
                    .rootCause()
                    .hasMessageContaining("at least one inbox"));
  }
}
