package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.hangUp;
import static dev.mailqueue.smtp.ScriptedSmtpServer.hold;
import static dev.mailqueue.smtp.ScriptedSmtpServer.reply;
import static dev.mailqueue.smtp.ScriptedSmtpServer.silence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.DestinationLimits.Limit;
import dev.mailqueue.smtp.ShapingListener.BreakerState;
import dev.mailqueue.smtp.ShapingListener.Reason;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Per-destination shaping over real SMTP on 127.0.0.1. */
@Timeout(30)
class ShapingTransportTest {
  private static final String RELAY = "127.0.0.1";

  private ScriptedSmtpServer server;
  private ScriptedSmtpServer other;
  private SmtpTransport transport;
  private final Events events = new Events();

  /** Records every listener call as a string. */
  static final class Events implements ShapingListener {
    final List<String> breaker = new CopyOnWriteArrayList<>();
    final List<Integer> rates = new CopyOnWriteArrayList<>();
    final List<Reason> throttled = new CopyOnWriteArrayList<>();

    @Override
    public void throttled(String destination, Reason reason, Duration retryAfter) {
      throttled.add(reason);
    }

    @Override
    public void breakerStateChanged(String destination, BreakerState from, BreakerState to) {
      breaker.add(destination + ":" + to);
    }

    @Override
    public void rateChanged(String destination, int messagesPerPeriod, Duration period) {
      rates.add(messagesPerPeriod);
    }
  }

  @BeforeEach
  void start() throws IOException {
    server = new ScriptedSmtpServer();
    other = new ScriptedSmtpServer();
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    server.close();
    other.close();
  }

  private RelayBuilder relay(DestinationLimits limits) {
    return SmtpTransport.relay(RELAY, server.port())
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(2))
        .shaping(limits)
        .shapingListener(events);
  }

  private static DestinationLimits.Builder limits(Limit limit) {
    return DestinationLimits.custom().defaults(limit);
  }

  /**
   * What the engine does with a result, in miniature: a NOT_COUNTED result is tried again after its
   * retryAfter without counting, anything else is final. Returns every result, held back or not.
   */
  private static List<DeliveryResult> drain(SmtpTransport t, List<OutboundMail> mails)
      throws InterruptedException {
    ScheduledExecutorService workers = Executors.newScheduledThreadPool(4);
    List<DeliveryResult> results = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(mails.size());
    try {
      for (OutboundMail m : mails) {
        workers.execute(
            new Runnable() {
              @Override
              public void run() {
                DeliveryResult r = t.deliver(m);
                results.add(r);
                if (r.kind() == DeliveryResult.Kind.NOT_COUNTED) {
                  workers.schedule(this, r.retryAfter().toNanos(), TimeUnit.NANOSECONDS);
                } else {
                  done.countDown();
                }
              }
            });
      }
      assertThat(done.await(20, TimeUnit.SECONDS)).as("every mail finished").isTrue();
      return List.copyOf(results);
    } finally {
      workers.shutdownNow();
    }
  }

  private static List<OutboundMail> mails(int n, String recipient) {
    List<OutboundMail> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(mail(recipient));
    }
    return list;
  }

  private static Duration span(List<Long> arrivals) {
    return Duration.ofNanos(Collections.max(arrivals) - Collections.min(arrivals));
  }

  private static long delivered(List<DeliveryResult> results) {
    return results.stream()
        .filter(r -> r.recipients().get(0).status() == RecipientStatus.DELIVERED)
        .count();
  }

  @Test
  void throttledMailArrivesAtTheConfiguredRateWithoutConsumingAttempts() throws Exception {
    transport =
        relay(limits(Limit.ofDefaults().withRate(2, Duration.ofSeconds(1))).build()).build();

    long start = System.nanoTime();
    List<DeliveryResult> results = drain(transport, mails(5, "bob@example.com"));

    assertThat(delivered(results)).isEqualTo(5);
    assertThat(server.arrivals()).hasSize(5);
    Duration took = Duration.ofNanos(Collections.max(server.arrivals()) - start);
    assertThat(took)
        .as("5 messages at 2/s")
        .isGreaterThanOrEqualTo(Duration.ofMillis(1500))
        .isLessThan(Duration.ofSeconds(6));
    // the held-back attempts never reached the server and did not count
    long mailFrom =
        server.connections().stream()
            .flatMap(c -> c.commands().stream())
            .filter(c -> c.startsWith("MAIL FROM"))
            .count();
    assertThat(mailFrom).isEqualTo(5);
    List<DeliveryResult> held =
        results.stream().filter(r -> r.kind() != DeliveryResult.Kind.NORMAL).toList();
    assertThat(held)
        .isNotEmpty()
        .allSatisfy(
            r -> {
              assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
              assertThat(r.retryAfter()).isPositive().isLessThan(Duration.ofSeconds(3));
              assertThat(r.recipients().get(0).reply().toString())
                  .isEqualTo("451 4.7.0 local: local rate limit for " + RELAY);
            });
    assertThat(events.throttled).containsOnly(Reason.RATE);
  }

  @Test
  void theDecoratorShapesAnyTransportPerDomain() throws Exception {
    SmtpTransport plain =
        SmtpTransport.relay(RELAY, server.port())
            .security(Security.NONE)
            .ehloName("client.test")
            .build();
    transport = plain;
    try (ShapingTransport shaped =
        ShapingTransport.builder(plain)
            .limits(
                DestinationLimits.custom()
                    .domain("slow.test", Limit.ofDefaults().withRate(1, Duration.ofSeconds(1)))
                    .build())
            .listener(events)
            .build()) {
      assertThat(shaped.deliver(mail("a@slow.test")).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);
      DeliveryResult held = shaped.deliver(mail("b@slow.test"));
      assertThat(held.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
      // another domain has its own (default) budget
      assertThat(shaped.deliver(mail("c@fast.test")).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);
      assertThat(server.arrivals()).hasSize(2);
    }
  }

  @Test
  void aRateLimitedDomainNextToADeliveredOneIsNotCountedAndKeepsItsRetryAfter() throws Exception {
    SmtpTransport plain =
        SmtpTransport.relay(RELAY, server.port())
            .security(Security.NONE)
            .ehloName("client.test")
            .build();
    transport = plain;
    try (ShapingTransport shaped =
        ShapingTransport.builder(plain)
            .limits(
                DestinationLimits.custom()
                    .domain("slow.test", Limit.ofDefaults().withRate(1, Duration.ofMinutes(1)))
                    .build())
            .listener(events)
            .build()) {
      assertThat(shaped.deliver(mail("a@slow.test")).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);

      DeliveryResult r = shaped.deliver(mail("b@slow.test", "c@fast.test"));

      assertThat(outcome(r, "c@fast.test").status()).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(outcome(r, "b@slow.test").status()).isEqualTo(RecipientStatus.DEFERRED);
      assertThat(outcome(r, "b@slow.test").reply().text())
          .isEqualTo("local: local rate limit for slow.test");
      assertThat(r.kind())
          .as("b was never tried: no attempt consumed")
          .isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
      assertThat(r.retryAfter())
          .as("when the limiter has a permit again, not the normal backoff")
          .isGreaterThan(Duration.ofSeconds(30))
          .isLessThanOrEqualTo(Duration.ofMinutes(1));
      assertThat(server.arrivals()).hasSize(2);
      assertThat(events.throttled).containsExactly(Reason.RATE);
    }
  }

  @Test
  void aRateLimitedDomainNextToATriedDeferralCountsButKeepsItsRetryAfter() throws Exception {
    SmtpTransport plain =
        SmtpTransport.relay(RELAY, server.port())
            .security(Security.NONE)
            .ehloName("client.test")
            .build();
    transport = plain;
    server.on("RCPT TO:<c@", reply("451 4.7.1 greylisted, try again later"));
    try (ShapingTransport shaped =
        ShapingTransport.builder(plain)
            .limits(
                DestinationLimits.custom()
                    .domain("slow.test", Limit.ofDefaults().withRate(1, Duration.ofMinutes(1)))
                    .build())
            .listener(events)
            .build()) {
      shaped.deliver(mail("a@slow.test"));

      DeliveryResult r = shaped.deliver(mail("b@slow.test", "c@fast.test"));

      assertThat(r.recipients())
          .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED));
      assertThat(outcome(r, "c@fast.test").reply().code()).isEqualTo(451);
      assertThat(r.kind())
          .as("c was tried and deferred by the server")
          .isEqualTo(DeliveryResult.Kind.NORMAL);
      assertThat(r.retryAfter())
          .isGreaterThan(Duration.ofSeconds(30))
          .isLessThanOrEqualTo(Duration.ofMinutes(1));
    }
  }

  @Test
  void concurrencyLimitDefersInsteadOfWaiting() throws Exception {
    transport = relay(limits(Limit.ofDefaults().withMaxConcurrentSessions(1)).build()).build();
    CountDownLatch release = new CountDownLatch(1);
    server.on(".", hold(release, "250 2.0.0 Ok: queued"));

    CompletableFuture<DeliveryResult> first =
        CompletableFuture.supplyAsync(() -> transport.deliver(mail("a@example.com")));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> server.connections().stream().anyMatch(c -> c.sawCommand("DATA")));
    long start = System.nanoTime();
    DeliveryResult second = transport.deliver(mail("b@example.com"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    release.countDown();

    assertThat(second.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(second.recipients().get(0).reply().enhancedStatus()).isEqualTo("4.7.0");
    assertThat(took).as("held back at once, not after waiting").isLessThan(Duration.ofSeconds(1));
    assertThat(first.get(10, TimeUnit.SECONDS).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    assertThat(events.throttled).containsExactly(Reason.CONCURRENCY);
  }

  @Test
  void breakerOpensAfterConnectionFailuresAndClosesAfterAHalfOpenProbe() throws Exception {
    transport =
        relay(
                limits(Limit.ofDefaults())
                    .failuresToOpen(3)
                    .openDuration(Duration.ofMillis(700))
                    .build())
            .build();
    server.greeting(hangUp());

    for (int i = 0; i < 3; i++) {
      DeliveryResult r = transport.deliver(mail("bob@example.com"));
      assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
      assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DEFERRED);
    }
    assertThat(events.breaker).containsExactly(RELAY + ":OPEN");
    DeliveryResult held = transport.deliver(mail("bob@example.com"));
    assertThat(held.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(held.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(700));
    assertThat(held.recipients().get(0).reply().toString())
        .startsWith("451 4.4.1 local: destination " + RELAY);
    assertThat(server.connections()).as("no connection while open").hasSize(3);

    server.greeting(reply("220 back again"));
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                transport.deliver(mail("bob@example.com")).recipients().get(0).status()
                    == RecipientStatus.DELIVERED);
    assertThat(events.breaker)
        .containsExactly(RELAY + ":OPEN", RELAY + ":HALF_OPEN", RELAY + ":CLOSED");
    assertThat(server.connections()).as("three failures and one probe").hasSize(4);
    assertThat(transport.deliver(mail("bob@example.com")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
  }

  @Test
  void aFailedProbeOpensTheBreakerAgainAnd421CountsAsFailure() throws Exception {
    transport =
        relay(
                limits(Limit.ofDefaults())
                    .failuresToOpen(2)
                    .openDuration(Duration.ofMillis(300))
                    .build())
            .build();
    server.greeting(reply("421 4.3.2 shutting down"));
    transport.deliver(mail("bob@example.com"));
    transport.deliver(mail("bob@example.com"));
    assertThat(events.breaker).containsExactly(RELAY + ":OPEN");

    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> transport.deliver(mail("bob@example.com")).kind() == DeliveryResult.Kind.NORMAL);
    assertThat(events.breaker)
        .containsExactly(RELAY + ":OPEN", RELAY + ":HALF_OPEN", RELAY + ":OPEN");
  }

  @Test
  void userUnknownNeverOpensTheBreaker() throws Exception {
    transport = relay(limits(Limit.ofDefaults()).failuresToOpen(2).build()).build();
    for (int i = 0; i < 5; i++) {
      server.on("RCPT", reply("550 5.1.1 <nobody@example.com>: user unknown"));
    }
    for (int i = 0; i < 5; i++) {
      DeliveryResult r = transport.deliver(mail("nobody@example.com"));
      assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
      assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.BOUNCED);
    }
    assertThat(events.breaker).isEmpty();
    long rcpts =
        server.connections().stream()
            .flatMap(c -> c.commands().stream())
            .filter(c -> c.startsWith("RCPT"))
            .count();
    assertThat(rcpts).as("every attempt reached the server").isEqualTo(5);
  }

  @Test
  void oneOpenBreakerDoesNotDelayAnotherDestination() throws Exception {
    server.greeting(silence()); // dead.test: accepts the connection, never greets
    Map<String, MxLookup> zone = new ConcurrentHashMap<>();
    zone.put("dead.test", MxLookup.hosts(MxHost.of("mx.dead.test", 10, local(server.port()))));
    zone.put("live.test", MxLookup.hosts(MxHost.of("mx.live.test", 10, local(other.port()))));
    transport =
        SmtpTransport.direct()
            .mxResolver(zone::get)
            .allowDestinations("127.0.0.1")
            .security(Security.NONE)
            .ehloName("client.test")
            .connectTimeout(Duration.ofSeconds(1))
            .readTimeout(Duration.ofMillis(500))
            .shaping(DestinationLimits.custom().failuresToOpen(2).build())
            .shapingListener(events)
            .build();

    transport.deliver(mail("a@dead.test"));
    transport.deliver(mail("a@dead.test"));
    assertThat(events.breaker).containsExactly("mx.dead.test:OPEN");

    long start = System.nanoTime();
    DeliveryResult both = transport.deliver(mail("b@dead.test", "b@live.test"));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(took)
        .as("no wait for the dead destination's read timeout")
        .isLessThan(Duration.ofMillis(400));
    // the only recipient left was held back untried: no attempt consumed, due when the breaker may
    // let it through
    assertThat(both.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(both.retryAfter())
        .as("until the breaker half-opens, not a short busy retry")
        .isGreaterThan(Duration.ofMinutes(4))
        .isLessThanOrEqualTo(DestinationLimits.DEFAULT_OPEN_DURATION);
    assertThat(outcome(both, "b@live.test").status()).isEqualTo(RecipientStatus.DELIVERED);
    RecipientOutcome dead = outcome(both, "b@dead.test");
    assertThat(dead.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(dead.reply().toString()).contains("destination mx.dead.test is not responding");
    assertThat(server.connections()).hasSize(2);
    assertThat(other.arrivals()).hasSize(1);
  }

  @Test
  void groupsShareOneBudgetAcrossDomainsByMxHost() throws Exception {
    Map<String, MxLookup> zone = new ConcurrentHashMap<>();
    zone.put(
        "one.test", MxLookup.hosts(MxHost.of("alt1.aspmx.l.google.com", 10, local(server.port()))));
    zone.put("two.test", MxLookup.hosts(MxHost.of("aspmx.l.google.com", 10, local(server.port()))));
    transport =
        SmtpTransport.direct()
            .mxResolver(zone::get)
            .allowDestinations("127.0.0.1")
            .security(Security.NONE)
            .ehloName("client.test")
            .shaping(
                DestinationLimits.custom()
                    .group(
                        "google",
                        Limit.ofDefaults().withRate(1, Duration.ofMinutes(1)),
                        "google.com")
                    .build())
            .shapingListener(events)
            .build();

    assertThat(transport.deliver(mail("a@one.test")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    DeliveryResult second = transport.deliver(mail("a@two.test"));
    assertThat(second.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(second.recipients().get(0).reply().text())
        .isEqualTo("local: local rate limit for google");
    assertThat(second.retryAfter())
        .isGreaterThan(Duration.ofSeconds(1))
        .isLessThanOrEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void slowDownReplyLowersTheRate() throws Exception {
    transport =
        relay(
                limits(Limit.ofDefaults().withRate(10, Duration.ofSeconds(1)))
                    .slowDownHold(Duration.ofHours(1))
                    .build())
            .build();
    server.on("RCPT", reply("451 4.7.0 Too many messages, slow down"));

    DeliveryResult first = transport.deliver(mail("bob@example.com"));
    assertThat(first.recipients().get(0).status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(events.rates).containsExactly(5);

    List<DeliveryResult> results = drain(transport, mails(15, "bob@example.com"));
    assertThat(delivered(results)).isEqualTo(15);
    // At 10/s the 15 would fit in two periods (at most about 1 s apart); at 5/s they need three.
    assertThat(span(server.arrivals())).isGreaterThanOrEqualTo(Duration.ofMillis(1700));
    assertThat(events.breaker).isEmpty();
  }

  @Test
  void aLoweredRateRecoversStepwise() throws Exception {
    transport =
        relay(
                limits(Limit.ofDefaults().withRate(8, Duration.ofSeconds(1)))
                    .slowDownHold(Duration.ofMillis(1500))
                    .build())
            .build();
    server.on(
        "RCPT",
        reply("421 4.7.0 Too many connections, try again later"),
        reply("421 4.7.0 Too many connections, try again later"));

    // one message every 100 ms: the first 421 halves the rate and ends the period, the first
    // message of the next period meets the second 421; then the rate doubles after each hold
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              transport.deliver(mail("bob@example.com"));
              return events.rates.size() == 4;
            });
    assertThat(events.rates).containsExactly(4, 2, 4, 8);
  }

  @Test
  void messagesPerSessionOfTheDestinationLimitsEachConnection() throws Exception {
    transport = relay(limits(Limit.ofDefaults().withMessagesPerSession(2)).build()).build();
    for (int i = 0; i < 5; i++) {
      assertThat(transport.deliver(mail("bob@example.com")).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);
    }
    assertThat(server.connections()).as("2 + 2 + 1 messages").hasSize(3);
    assertThat(transport.toString()).contains("shaping=DestinationLimits[");
  }

  @Test
  void slowDownRulesMatchCodeEnhancedStatusAndText() {
    DestinationLimits limits = DestinationLimits.ofDefaults();
    assertThat(limits.isSlowDown(SmtpReply.parse(421, "4.7.0 Too many connections"))).isTrue();
    assertThat(limits.isSlowDown(SmtpReply.parse(450, "4.7.1 rate limit exceeded"))).isTrue();
    assertThat(limits.isSlowDown(SmtpReply.parse(451, "4.7.1 Please try again later"))).isTrue();
    assertThat(limits.isSlowDown(SmtpReply.parse(451, "4.3.0 try again later"))).isFalse();
    assertThat(limits.isSlowDown(SmtpReply.parse(450, "4.2.1 mailbox busy"))).isFalse();
    assertThat(limits.isSlowDown(SmtpReply.parse(550, "5.7.1 rate limit"))).isFalse();
  }

  private static InetSocketAddress local(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  private static RecipientOutcome outcome(DeliveryResult r, String address) {
    return r.recipients().stream()
        .filter(o -> o.recipient().address().equals(address))
        .findFirst()
        .orElseThrow();
  }
}
