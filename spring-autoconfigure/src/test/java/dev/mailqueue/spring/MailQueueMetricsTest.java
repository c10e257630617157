package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The enqueue counter, the per-destination attempt timer, the dispatch lag gauge and base units,
 * against a real SMTP server.
 */
class MailQueueMetricsTest {
  private static final Duration A_FEW_SECONDS = Duration.ofSeconds(5);
  private static GreenMail smtp;

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MetricsAutoConfiguration.class,
                  SimpleMetricsExportAutoConfiguration.class,
                  CompositeMeterRegistryAutoConfiguration.class,
                  DataSourceAutoConfiguration.class,
                  MailQueueAutoConfiguration.class,
                  MailQueueActuatorAutoConfiguration.class))
          .withPropertyValues(
              "mailqueue.smtp.host=127.0.0.1",
              "mailqueue.smtp.security=none",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.shutdown-timeout=2s",
              "mailqueue.poll-interval=1h");

  @BeforeAll
  static void startSmtpServer() {
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
  }

  @AfterAll
  static void stopSmtpServer() {
    smtp.stop();
  }

  @Test
  void enqueuedMailIsCountedAtCommitAndEachAttemptIsTimedPerDestination() {
    runner
        .withPropertyValues("mailqueue.smtp.port=" + smtp.getSmtp().getPort())
        .run(
            context -> {
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              MailQueue queue = context.getBean(MailQueue.class);
              TransactionTemplate tx =
                  new TransactionTemplate(
                      new DataSourceTransactionManager(context.getBean(DataSource.class)));
              int received = smtp.getReceivedMessages().length;

              tx.executeWithoutResult(
                  status -> {
                    queue.enqueue(mail("welcome"));
                    status.setRollbackOnly();
                  });
              assertThat(meters.find("mailqueue.enqueued").counters())
                  .as("nothing counted for a rollback")
                  .isEmpty();

              tx.executeWithoutResult(status -> queue.enqueue(mail("welcome")));
              context.getBean(TransactionalMailQueue.class).enqueue(mail(null));
              assertThat(meters.get("mailqueue.enqueued").tag("tag", "welcome").counter().count())
                  .isEqualTo(1.0);
              assertThat(
                      meters
                          .get("mailqueue.enqueued")
                          .tag("tag", MailQueueMetrics.NO_TAG)
                          .counter()
                          .count())
                  .isEqualTo(1.0);

              await()
                  .atMost(A_FEW_SECONDS)
                  .until(() -> smtp.getReceivedMessages().length == received + 2);
              await()
                  .atMost(A_FEW_SECONDS)
                  .untilAsserted(
                      () ->
                          assertThat(
                                  meters
                                      .find("mailqueue.smtp.attempt")
                                      .tag("outcome", "delivered")
                                      .timers()
                                      .stream()
                                      .mapToLong(Timer::count)
                                      .sum())
                              .isEqualTo(2));
              Timer attempt =
                  meters.get("mailqueue.smtp.attempt").tag("outcome", "delivered").timer();
              assertThat(attempt.getId().getTag("destination"))
                  .isNotEqualTo(MailQueueMetrics.NO_DESTINATION)
                  .doesNotContain("@");
              assertThat(attempt.totalTime(TimeUnit.NANOSECONDS)).isPositive();
            });
  }

  @Test
  void dispatchLagIsHowLongTheMostOverdueDueMessageWaitsToBeClaimed() {
    // the workers are started but never woken (poll once an hour, mail due in an hour at enqueue)
    runner
        .withPropertyValues("mailqueue.smtp.port=1")
        .run(
            context -> {
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              assertThat(meters.get("mailqueue.dispatch.lag").timeGauge().value(TimeUnit.SECONDS))
                  .isZero();

              context
                  .getBean(MailQueue.class)
                  .enqueue(
                      Mail.builder()
                          .from("shop@example.com")
                          .to("bob@example.org")
                          .subject("s")
                          .text("t")
                          .notBefore(Instant.now().plus(Duration.ofHours(1)))
                          .build());
              JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
              assertThat(context.getBean(JdbcMailStore.class).dispatchLag())
                  .as("not due yet")
                  .isZero();
              // The commit woke the worker (it found nothing due); on a busy machine that claim can
              // run
              // after the update below and take the message. With the workers stopped nothing
              // claims it.
              context.getBean(MailQueueLifecycle.class).stop();
              // due two minutes ago and still not claimed: the lag is at least those two minutes
              jdbc.update("UPDATE mq_message SET due_at = due_at - 3720000");
              assertThat(context.getBean(JdbcMailStore.class).dispatchLag())
                  .isGreaterThanOrEqualTo(Duration.ofMinutes(2));
              await()
                  .atMost(A_FEW_SECONDS)
                  .untilAsserted(
                      () ->
                          assertThat(
                                  meters
                                      .get("mailqueue.dispatch.lag")
                                      .timeGauge()
                                      .value(TimeUnit.SECONDS))
                              .isGreaterThanOrEqualTo(120));
            });
  }

  /** Issue 20: blocks against the sender are counted per destination and class. */
  @Test
  void blocksAgainstTheSenderAreCountedPerAttemptDestinationAndClass() {
    runner
        .withPropertyValues("mailqueue.smtp.port=1")
        .run(
            context -> {
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              MailQueueMetrics metrics = context.getBean(MailQueueMetrics.class);
              MailAddress bob = MailAddress.of("bob@example.org");
              MailAddress carol = MailAddress.of("carol@example.org");
              OutboundMail mail =
                  new OutboundMail(
                      MessageId.generate(),
                      "<m@example.com>",
                      MailAddress.of("shop@example.com"),
                      List.of(bob, carol),
                      "Subject: s\r\n\r\nt\r\n".getBytes(StandardCharsets.US_ASCII),
                      1,
                      null,
                      false);
              SmtpReply listed = SmtpReply.parse(550, "5.7.1 blocked using zen.spamhaus.org");
              DeliveryResult twoBlocked =
                  DeliveryResult.of(
                      List.of(
                          new RecipientOutcome(
                              bob, RecipientStatus.DEFERRED, listed, SenderBlock.REPUTATION),
                          new RecipientOutcome(
                              carol, RecipientStatus.DEFERRED, listed, SenderBlock.REPUTATION)),
                      "mx.example.org");
              DeliveryResult unknown =
                  DeliveryResult.all(
                      List.of(bob, carol),
                      RecipientStatus.BOUNCED,
                      SmtpReply.parse(550, "5.1.1 user unknown"),
                      "mx.example.org");

              metrics.attempted(mail, twoBlocked, 1_000_000);
              metrics.attempted(mail, unknown, 1_000_000);
              metrics.attempted(mail, twoBlocked, 1_000_000);

              Counter blocked =
                  meters
                      .get("mailqueue.smtp.blocked")
                      .tag("destination", "mx.example.org")
                      .tag("class", "reputation")
                      .counter();
              assertThat(blocked.count()).as("once per attempt, not per recipient").isEqualTo(2);
              assertThat(meters.find("mailqueue.smtp.blocked").tag("class", "policy").counter())
                  .isNull();
            });
  }

  @Test
  void everyListenerHearsBlocksSuppressionsAndCaptures() {
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    DeliveryListener first =
        new DeliveryListener() {
          @Override
          public void blocked(DeliveryEvent event) {
            heard.add("first blocked");
          }

          @Override
          public void suppressed(DeliveryEvent event) {
            heard.add("first suppressed");
          }

          @Override
          public void captured(DeliveryEvent event) {
            heard.add("first captured");
          }
        };
    DeliveryListener second =
        new DeliveryListener() {
          @Override
          public void blocked(DeliveryEvent event) {
            heard.add("second blocked");
          }

          @Override
          public void suppressed(DeliveryEvent event) {
            heard.add("second suppressed");
          }

          @Override
          public void captured(DeliveryEvent event) {
            heard.add("second captured");
          }
        };
    DeliveryListener both = CompositeDeliveryListener.of(List.of(first, second));
    DeliveryEvent event =
        new DeliveryEvent(
            MessageId.generate(),
            null,
            1,
            List.of(
                new RecipientOutcome(
                    MailAddress.of("bob@example.org"),
                    RecipientStatus.BOUNCED,
                    SmtpReply.parse(550, "5.7.515 access denied"),
                    SenderBlock.POLICY)),
            null,
            false);

    both.blocked(event);
    both.suppressed(event);
    both.captured(event);

    assertThat(heard)
        .containsExactly(
            "first blocked",
            "second blocked",
            "first suppressed",
            "second suppressed",
            "first captured",
            "second captured");
  }

  @Test
  void countersAndGaugesHaveBaseUnits() {
    runner
        .withPropertyValues("mailqueue.smtp.port=1")
        .run(
            context -> {
              MeterRegistry meters = context.getBean(MeterRegistry.class);
              context
                  .getBean(MailQueue.class)
                  .enqueueAll(
                      List.of(
                          Mail.builder()
                              .from("shop@example.com")
                              .to("bob@example.org")
                              .subject("s")
                              .text("t")
                              .notBefore(Instant.now().plus(Duration.ofHours(1)))
                              .build()));
              context
                  .getBean(MailQueueMetrics.class)
                  .delivered(
                      new DeliveryEvent(
                          new MessageId(UUID.randomUUID()), null, 1, List.of(), null, false));
              List<String> units =
                  meters.getMeters().stream()
                      .filter(
                          m ->
                              m.getId().getName().startsWith("mailqueue.")
                                  && (m instanceof Counter || m instanceof Gauge))
                      .map(m -> m.getId().getName() + "=" + m.getId().getBaseUnit())
                      .toList();
              assertThat(units)
                  .contains(
                      "mailqueue.enqueued=messages",
                      "mailqueue.recipients=recipients",
                      "mailqueue.messages=messages")
                  .noneMatch(u -> u.endsWith("=null"));
              assertThat(meters.get("mailqueue.oldest.waiting").timeGauge().baseTimeUnit())
                  .isEqualTo(TimeUnit.SECONDS);
              assertThat(meters.get("mailqueue.dispatch.lag").timeGauge().baseTimeUnit())
                  .isEqualTo(TimeUnit.SECONDS);
            });
  }

  private static Mail mail(String tag) {
    Mail.Builder b =
        Mail.builder().from("shop@example.com").to("bob@example.org").subject("s").text("t");
    return tag == null ? b.build() : b.tag(tag).build();
  }
}
