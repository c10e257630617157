package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.drip;
import static dev.mailqueue.smtp.ScriptedSmtpServer.hold;
import static dev.mailqueue.smtp.ScriptedSmtpServer.silence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tarpits: servers that accept the connection, then drip one byte at a time or say nothing, so that
 * no read ever times out. In direct mode the time budgets of a message and of its mail to each
 * domain, the greeting timeout and the cap on sessions per MX host bound what they can take: a
 * worker for the budget rather than for every MX address's attempt deadline, and never more workers
 * than the cap. The drips stop by themselves after {@link #DRIP_TIME}, long after every bound
 * asserted here; each test sets the attempt deadline (the bound before the budgets) to {@link
 * #OLD_BOUND}.
 */
@Timeout(60)
class TarpitTest {
  private static final Duration DRIP_TIME = Duration.ofSeconds(90);
  private static final Duration OLD_BOUND = Duration.ofSeconds(30);
  private static final Duration DRIP_INTERVAL = Duration.ofMillis(100);

  private ScriptedSmtpServer tarpit;
  private ScriptedSmtpServer healthy;
  private SmtpTransport transport;
  private final Map<String, MxLookup> zone = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws IOException {
    tarpit =
        new ScriptedSmtpServer()
            .greeting(drip("220-tarpit.test still greeting ", DRIP_INTERVAL, DRIP_TIME));
    healthy = new ScriptedSmtpServer();
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    tarpit.close();
    healthy.close();
  }

  /**
   * Direct mode on 127.0.0.1, where only the budget under test is short: reads, the attempt
   * deadline, the greeting timeout and the budgets are {@link #OLD_BOUND}, which a test lowers.
   */
  private DirectBuilder direct() {
    return SmtpTransport.direct()
        .mxResolver(d -> zone.getOrDefault(d, new MxLookup.NoSuchDomain("not in the test zone")))
        .allowDestinations("127.0.0.1")
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(OLD_BOUND)
        .attemptDeadline(OLD_BOUND)
        .greetingTimeout(OLD_BOUND)
        .domainDeadline(OLD_BOUND)
        .messageDeadline(OLD_BOUND);
  }

  private static InetSocketAddress local(ScriptedSmtpServer server) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
  }

  private static OutboundMail attempt(int attempt, OutboundMail mail) {
    return new OutboundMail(
        mail.id(),
        mail.messageIdHeader(),
        mail.envelopeFrom(),
        mail.recipients(),
        mail.mime(),
        attempt,
        mail.tag(),
        mail.smtpUtf8());
  }

  private static RecipientOutcome outcome(DeliveryResult r, String address) {
    return r.recipients().stream()
        .filter(o -> o.recipient().address().equals(address))
        .findFirst()
        .orElseThrow();
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /**
   * Before: three MX addresses times the attempt deadline (here 90 s; by default 5 x 10 minutes).
   */
  @Test
  void aTarpitDomainIsDeferredWhenItsBudgetIsUsedUpAndItsOtherMxHostsAreNotTried() {
    zone.put(
        "tarpit.test",
        MxLookup.hosts(
            MxHost.of("mx1.tarpit.test", 10, local(tarpit)),
            MxHost.of("mx2.tarpit.test", 20, local(tarpit)),
            MxHost.of("mx3.tarpit.test", 30, local(tarpit))));
    transport = direct().domainDeadline(Duration.ofSeconds(2)).build();

    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail("a@tarpit.test"));

    assertThat(since(start)).isLessThan(Duration.ofSeconds(10));
    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients().get(0))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(
            RecipientStatus.DEFERRED,
            SmtpReply.local(
                451,
                "4.4.2",
                "time budget of 2000 ms for mail to tarpit.test used up; connection closed"));
    assertThat(r.remoteHost()).isEqualTo("mx1.tarpit.test[127.0.0.1]");
    assertThat(tarpit.connections()).as("mx2 and mx3 not tried").hasSize(1);
  }

  /**
   * Before: three domains times the attempt deadline. With shaping, each domain is a destination of
   * its own, delivered as a part of its own: the parts share the message's budget.
   */
  @ParameterizedTest(name = "shaping: {0}")
  @ValueSource(booleans = {false, true})
  void aMessageToThreeTarpitDomainsEndsWithinTheMessageBudgetNotThreeDomainBudgets(
      boolean shaping) {
    for (String d : List.of("t1.test", "t2.test", "t3.test")) {
      zone.put(d, MxLookup.hosts(MxHost.of("mx." + d, 10, local(tarpit))));
    }
    DirectBuilder b =
        direct().domainDeadline(Duration.ofSeconds(3)).messageDeadline(Duration.ofSeconds(4));
    transport = (shaping ? b.shaping(DestinationLimits.custom().build()) : b).build();

    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail("a@t1.test", "b@t2.test", "c@t3.test"));

    assertThat(since(start))
        .as("three domain budgets would be 9 s")
        .isLessThan(Duration.ofSeconds(8));
    assertThat(r.kind())
        .as("two domains were tried: the attempt counts")
        .isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients())
        .extracting(o -> o.recipient().address() + " " + o.status() + " " + o.reply())
        .containsExactly(
            "a@t1.test DEFERRED 451 4.4.2 local: time budget of 3000 ms for mail to t1.test used up; connection closed",
            "b@t2.test DEFERRED 451 4.4.2 local: time budget of 4000 ms for this message used up; connection closed",
            "c@t3.test DEFERRED 451 4.4.7 local: time budget of 4000 ms for this message used up before mail to "
                + "t3.test was tried");
    assertThat(tarpit.connections()).as("t3.test not tried").hasSize(2);
  }

  /** Without turns, the domains behind two tarpits would never be tried while the tarpits last. */
  @Test
  void aDomainTheMessageBudgetDidNotReachIsTriedFirstOnALaterAttempt() {
    zone.put("t1.test", MxLookup.hosts(MxHost.of("mx.t1.test", 10, local(tarpit))));
    zone.put("t2.test", MxLookup.hosts(MxHost.of("mx.t2.test", 10, local(tarpit))));
    zone.put("ok.test", MxLookup.hosts(MxHost.of("mx.ok.test", 10, local(healthy))));
    transport =
        direct()
            .domainDeadline(Duration.ofSeconds(2))
            .messageDeadline(Duration.ofMillis(2500))
            .build();
    OutboundMail mail = mail("a@t1.test", "b@t2.test", "c@ok.test");

    DeliveryResult first = transport.deliver(mail);
    DeliveryResult third = transport.deliver(attempt(3, mail));

    assertThat(outcome(first, "c@ok.test").reply())
        .isEqualTo(
            SmtpReply.local(
                451,
                "4.4.7",
                "time budget of 2500 ms for this message used up before mail to ok.test was tried"));
    assertThat(healthy.connections()).as("tried on the third attempt only").hasSize(1);
    assertThat(third.recipients())
        .as("listed as given")
        .extracting(o -> o.recipient().address() + " " + o.status())
        .containsExactly("a@t1.test DEFERRED", "b@t2.test DEFERRED", "c@ok.test DELIVERED");
    assertThat(third.recipients())
        .filteredOn(o -> o.status() == RecipientStatus.DEFERRED)
        .allSatisfy(o -> assertThat(o.reply().text()).contains("time budget of"));
  }

  /**
   * Before: the silent MX was given up after the read timeout and the dripping one after the
   * attempt deadline (60 s together here, 5 + 10 minutes by default). The greeting timeout bounds
   * the setting up of a session only: the healthy MX's slow reply to the data is waited for.
   */
  @Test
  void aSilentOrDrippingGreetingIsGivenUpAfterTheGreetingTimeoutButASlowTransactionIsNot()
      throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try (ScriptedSmtpServer silent = new ScriptedSmtpServer().greeting(silence())) {
      CountDownLatch accept = new CountDownLatch(1);
      healthy.on(".", hold(accept, "250 2.0.0 queued after a long look"));
      zone.put(
          "example.test",
          MxLookup.hosts(
              MxHost.of("mx1.example.test", 10, local(silent)),
              MxHost.of("mx2.example.test", 20, local(tarpit)),
              MxHost.of("mx3.example.test", 30, local(healthy))));
      transport = direct().greetingTimeout(Duration.ofSeconds(1)).build();

      // the reply to the data comes 2 s after MAIL FROM: twice the greeting timeout
      timer.execute(
          () -> {
            await()
                .atMost(Duration.ofSeconds(30))
                .until(
                    () ->
                        !healthy.connections().isEmpty()
                            && healthy.connection(0).sawCommand("MAIL"));
            timer.schedule(accept::countDown, 2, TimeUnit.SECONDS);
          });
      long start = System.nanoTime();
      DeliveryResult r = transport.deliver(mail("a@example.test"));

      assertThat(since(start)).isLessThan(Duration.ofSeconds(15));
      assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(r.remoteHost()).startsWith("mx3.example.test");
      assertThat(silent.connections()).hasSize(1);
      assertThat(silent.connection(0).sawCommand("EHLO")).isFalse();
      assertThat(tarpit.connections()).hasSize(1);
      assertThat(tarpit.connection(0).sawCommand("EHLO")).isFalse();
      assertThat(healthy.connection(0).data()).hasSize(1);
    } finally {
      timer.shutdownNow();
    }
  }

  /** Before: given up after the read timeout (here 30 s; 60 s by default). */
  @Test
  void aRelayThatAcceptsTheConnectionAndStaysSilentIsGivenUpAfterTheGreetingTimeout()
      throws Exception {
    try (ScriptedSmtpServer silent = new ScriptedSmtpServer().greeting(silence())) {
      transport =
          SmtpTransport.relay("127.0.0.1", silent.port())
              .security(Security.NONE)
              .ehloName("client.test")
              .readTimeout(OLD_BOUND)
              .attemptDeadline(OLD_BOUND)
              .greetingTimeout(Duration.ofMillis(500))
              .build();

      long start = System.nanoTime();
      DeliveryResult r = transport.deliver(mail("a@example.com"));

      assertThat(since(start)).isLessThan(Duration.ofSeconds(10));
      assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
      assertThat(r.recipients().get(0))
          .extracting(RecipientOutcome::status, RecipientOutcome::reply)
          .containsExactly(
              RecipientStatus.DEFERRED,
              SmtpReply.local(
                  451, "4.4.2", "greeting timeout: session not ready within 500 ms of connecting"));
    }
  }

  /**
   * Eight workers deliver at once: eight messages to eight domains whose MX is the same tarpit host
   * (under two addresses, as round-robin DNS hands them out), then one to a healthy domain. Before,
   * each address allowed 4 sessions, so the tarpit took all eight workers and the healthy mail
   * waited for the attempt deadline. Now the tarpit host holds its cap of two, the other six come
   * back at once, deferred without counting, and the healthy mail goes out.
   */
  @Test
  void oneTarpitHostHoldsAtMostItsCapOfWorkersWhileOtherMailFlows() throws Exception {
    ExecutorService workers = Executors.newFixedThreadPool(8);
    try (ScriptedSmtpServer tarpit2 =
        new ScriptedSmtpServer()
            .greeting(drip("220-tarpit.test still greeting ", DRIP_INTERVAL, DRIP_TIME))) {
      for (int i = 0; i < 8; i++) {
        zone.put(
            "t" + i + ".test",
            MxLookup.hosts(MxHost.of("mx.tarpit.test", 10, local(i % 2 == 0 ? tarpit : tarpit2))));
      }
      zone.put("ok.test", MxLookup.hosts(MxHost.of("mx.ok.test", 10, local(healthy))));
      transport = direct().build();
      assertThat(SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_MX_HOST).isEqualTo(2);

      List<Future<DeliveryResult>> toTarpit = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String rcpt = "user@t" + i + ".test";
        toTarpit.add(workers.submit(() -> transport.deliver(mail(rcpt))));
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> tarpit.connections().size() + tarpit2.connections().size() >= 2);
      Future<DeliveryResult> toHealthy = workers.submit(() -> transport.deliver(mail("a@ok.test")));

      // before: a TimeoutException, every worker being held by the tarpit for the attempt deadline
      DeliveryResult ok = toHealthy.get(10, TimeUnit.SECONDS);
      assertThat(ok.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(healthy.connection(0).data()).hasSize(1);

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> toTarpit.stream().filter(Future::isDone).count() == 6);
      for (Future<DeliveryResult> f : toTarpit) {
        if (f.isDone()) {
          DeliveryResult r = f.get();
          assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
          assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(1));
          assertThat(r.recipients().get(0))
              .extracting(RecipientOutcome::status, RecipientOutcome::reply)
              .containsExactly(
                  RecipientStatus.DEFERRED,
                  SmtpReply.local(
                      451, "4.4.5", "all 2 connections to MX host mx.tarpit.test are busy"));
        }
      }
      assertThat(toTarpit).as("two held by the tarpit").filteredOn(f -> !f.isDone()).hasSize(2);
      assertThat(tarpit.connections().size() + tarpit2.connections().size())
          .as("over both addresses")
          .isEqualTo(2);
    } finally {
      workers.shutdownNow();
    }
  }
}
