package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.hold;
import static dev.mailqueue.smtp.ScriptedSmtpServer.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.RecipientStatus;
import dev.mailqueue.smtp.DestinationLimits.Limit;
import dev.mailqueue.smtp.ShapingListener.Reason;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Per-destination limits divided among the live nodes of one store, over real SMTP on 127.0.0.1.
 */
@Timeout(30)
class ShapingAcrossNodesTest {
  private static final String RELAY = "127.0.0.1";

  private ScriptedSmtpServer server;
  private SmtpTransport smtp;
  private final ShapingTransportTest.Events events = new ShapingTransportTest.Events();

  @BeforeEach
  void start() throws IOException {
    server = new ScriptedSmtpServer();
  }

  @AfterEach
  void stop() throws IOException {
    if (smtp != null) {
      smtp.close();
    }
    server.close();
  }

  private RelayBuilder relay() {
    return SmtpTransport.relay(RELAY, server.port())
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(5));
  }

  /** The relay as one destination, shaped by a decorator whose shapes the test can inspect. */
  private ShapingTransport shaped(Limit limit) {
    smtp = relay().build();
    return ShapingTransport.builder(smtp)
        .relay(RELAY)
        .limits(DestinationLimits.custom().defaults(limit).build())
        .listener(events)
        .build();
  }

  /**
   * Delivers every mail, trying held-back ones again after their retryAfter, as the engine does.
   */
  private static void drain(MailTransport t, int count) throws InterruptedException {
    ScheduledExecutorService workers = Executors.newScheduledThreadPool(4);
    CountDownLatch done = new CountDownLatch(count);
    try {
      for (int i = 0; i < count; i++) {
        OutboundMail m = mail("bob@example.com");
        workers.execute(
            new Runnable() {
              @Override
              public void run() {
                DeliveryResult r = t.deliver(m);
                if (r.kind() == DeliveryResult.Kind.NOT_COUNTED) {
                  workers.schedule(this, r.retryAfter().toNanos(), TimeUnit.NANOSECONDS);
                } else {
                  assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
                  done.countDown();
                }
              }
            });
      }
      assertThat(done.await(20, TimeUnit.SECONDS)).as("every mail delivered").isTrue();
    } finally {
      workers.shutdownNow();
    }
  }

  private long dataCommands() {
    return server.connections().stream()
        .flatMap(c -> c.commands().stream())
        .filter(c -> c.equals("DATA"))
        .count();
  }

  private Duration span() {
    List<Long> arrivals = server.arrivals();
    return Duration.ofNanos(Collections.max(arrivals) - Collections.min(arrivals));
  }

  @Test
  void twoLiveNodesHalveTheRateMeasuredAtTheServer() throws Exception {
    smtp =
        relay()
            .shaping(
                DestinationLimits.custom()
                    .defaults(Limit.ofDefaults().withRate(6, Duration.ofSeconds(1)))
                    .build())
            .shapingListener(events)
            .build();
    smtp.liveNodes(2);

    drain(smtp, 9);

    assertThat(server.arrivals()).hasSize(9);
    // At 6/s the 9 would fit in two periods (at most about 1 s apart); at 3/s they need three.
    assertThat(span()).isGreaterThanOrEqualTo(Duration.ofMillis(1700));
    assertThat(events.rates).as("created at this node's share, never changed").isEmpty();
    assertThat(events.throttled).containsOnly(Reason.RATE);
  }

  @Test
  void oneLiveNodeSendsAtTheFullRateAgain() throws Exception {
    try (ShapingTransport t = shaped(Limit.ofDefaults().withRate(6, Duration.ofSeconds(1)))) {
      t.liveNodes(3);
      drain(t, 1);
      assertThat(t.currentRate(RELAY)).isEqualTo(2);

      t.liveNodes(1);
      assertThat(t.currentRate(RELAY)).isEqualTo(6);
      assertThat(events.rates).containsExactly(6);
    }
  }

  @Test
  void sharesRoundTheRateDownAndTheSessionsUp() {
    assertThat(DestinationShaper.rateShare(10, 3)).isEqualTo(3);
    assertThat(DestinationShaper.rateShare(1, 2)).as("at least one per period").isEqualTo(1);
    assertThat(DestinationShaper.sessionShare(10, 3)).isEqualTo(4);
    assertThat(DestinationShaper.sessionShare(10, 2)).isEqualTo(5);
    assertThat(DestinationShaper.sessionShare(1, 5)).isEqualTo(1);
  }

  @Test
  void aLowerSessionShareWaitsForDeliveriesInProgressWithoutBlocking() throws Exception {
    try (ShapingTransport t = shaped(Limit.ofDefaults().withMaxConcurrentSessions(3))) {
      t.liveNodes(2);
      CountDownLatch release = new CountDownLatch(1);
      server.on(".", hold(release, "250 2.0.0 Ok: queued"), hold(release, "250 2.0.0 Ok: queued"));
      CompletableFuture<DeliveryResult> first =
          CompletableFuture.supplyAsync(() -> t.deliver(mail("a@example.com")));
      CompletableFuture<DeliveryResult> second =
          CompletableFuture.supplyAsync(() -> t.deliver(mail("b@example.com")));
      await().atMost(Duration.ofSeconds(5)).until(() -> dataCommands() == 2);
      assertThat(t.currentSessions(RELAY)).as("3 sessions over 2 nodes, rounded up").isEqualTo(2);
      DeliveryResult third = t.deliver(mail("c@example.com"));
      assertThat(third.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
      assertThat(third.recipients().get(0).reply().text()).endsWith("(2 sessions)");

      long start = System.nanoTime();
      t.liveNodes(3); // one session each: the second running delivery is over the new share
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("never waits for deliveries")
          .isLessThan(Duration.ofMillis(500));
      release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);
      assertThat(second.get(10, TimeUnit.SECONDS).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);

      CountDownLatch releaseNext = new CountDownLatch(1);
      server.on(".", hold(releaseNext, "250 2.0.0 Ok: queued"));
      CompletableFuture<DeliveryResult> only =
          CompletableFuture.supplyAsync(() -> t.deliver(mail("d@example.com")));
      await().atMost(Duration.ofSeconds(5)).until(() -> dataCommands() == 3);
      DeliveryResult overShare = t.deliver(mail("e@example.com"));
      releaseNext.countDown();
      assertThat(overShare.kind()).as("one session now").isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
      assertThat(overShare.recipients().get(0).reply().text()).endsWith("(1 sessions)");
      assertThat(only.get(10, TimeUnit.SECONDS).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);

      t.liveNodes(1);
      assertThat(t.currentSessions(RELAY)).isEqualTo(3);
    }
  }

  @Test
  void aSlowedDownRateStaysAsLowWhenNodesLeave() throws Exception {
    try (ShapingTransport t = shaped(Limit.ofDefaults().withRate(10, Duration.ofSeconds(1)))) {
      t.liveNodes(2);
      server.on("RCPT", reply("451 4.7.0 Too many messages, slow down"));
      assertThat(t.deliver(mail("bob@example.com")).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DEFERRED);
      assertThat(t.currentRate(RELAY)).as("half of this node's 5").isEqualTo(2);

      t.liveNodes(1);
      assertThat(t.currentRate(RELAY)).as("recovers step by step, not at once").isEqualTo(2);
      t.liveNodes(4);
      assertThat(t.currentRate(RELAY)).as("never above the share").isEqualTo(2);
      t.liveNodes(10);
      assertThat(t.currentRate(RELAY)).isEqualTo(1);
    }
  }
}
