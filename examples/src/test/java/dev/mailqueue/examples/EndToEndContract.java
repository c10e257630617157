package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.SendQuota;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.DeliveryResult;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The whole path, enqueue to SMTP server, on a real database; one subclass per database. */
abstract class EndToEndContract {
  protected DataSource dataSource;
  private String prefix;
  private MailQueue queue;

  /**
   * startQueue's transport; tests that replace it leave it unclosed by the queue, so tearDown
   * closes it.
   */
  private SmtpTransport defaultTransport;

  protected SmtpSink sink;
  private GreenMail greenMail;
  protected final RecordingListener events = new RecordingListener();
  private final Map<String, AtomicInteger> rcptCalls = new ConcurrentHashMap<>();

  /** Recipients named "held" get their reply only once this is counted down (or after 30 s). */
  private final CountDownLatch heldRecipients = new CountDownLatch(1);

  abstract DataSource createDataSource();

  @BeforeEach
  void setUp() throws Exception {
    dataSource = createDataSource();
    prefix = TestDatabases.randomPrefix();
    sink = new SmtpSink(this::policy, true);
  }

  /**
   * Recipients named "greylisted" get 451 on their first RCPT; "unknown" always 550; "busy" always
   * 451; "held" wait for {@link #heldRecipients}.
   */
  private String policy(String rcpt) {
    int n = rcptCalls.computeIfAbsent(rcpt, k -> new AtomicInteger()).incrementAndGet();
    if (rcpt.startsWith("held")) {
      try {
        heldRecipients.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (rcpt.startsWith("unknown")) {
      return "550 5.1.1 <" + rcpt + ">: user unknown";
    }
    if (rcpt.startsWith("listed")) {
      return "550 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using"
          + " zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1";
    }
    if (rcpt.startsWith("dmarc")) {
      return "550 5.7.1 Email rejected per DMARC policy for example.com";
    }
    if (rcpt.startsWith("busy") || (rcpt.startsWith("greylisted") && n == 1)) {
      return "451 4.7.1 greylisted, try again later";
    }
    return "250 2.1.5 Ok";
  }

  protected MailQueue startQueue(
      int port, Function<MailQueue.Builder, MailQueue.Builder> customize) {
    return startQueue(port, UnaryOperator.identity(), customize);
  }

  protected MailQueue startQueue(
      int port,
      UnaryOperator<JdbcMailStore.Builder> customizeStore,
      Function<MailQueue.Builder, MailQueue.Builder> customize) {
    JdbcMailStore store =
        customizeStore
            .apply(JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true))
            .build();
    // closed in tearDown too: a test that replaces it leaves it to nobody else, and its threads,
    // started late, would count as this queue's in
    // closeOnAnInterruptedThreadStillEndsEveryThreadOfTheQueue
    defaultTransport = SmtpTransport.relay("127.0.0.1", port).security(Security.NONE).build();
    MailQueue.Builder b =
        MailQueue.builder()
            .store(store)
            .transport(defaultTransport)
            .listener(events)
            .retryPolicy(
                RetryPolicy.builder()
                    .initialDelay(Duration.ofMillis(200))
                    .maxDelay(Duration.ofSeconds(1))
                    .build())
            .pollInterval(Duration.ofMillis(100));
    queue = customize.apply(b).build();
    queue.start();
    return queue;
  }

  @AfterEach
  void tearDown() {
    if (queue != null) {
      queue.close();
    }
    if (defaultTransport != null) {
      defaultTransport.close();
    }
    if (greenMail != null) {
      greenMail.stop();
    }
    sink.close();
    TestDatabases.drop(dataSource, prefix);
    if (dataSource instanceof HikariDataSource h) {
      h.close();
    }
  }

  protected MessageView awaitFinal(MessageId id) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> queue.find(id).map(v -> v.state().isTerminal()).orElse(false));
    return queue.find(id).orElseThrow();
  }

  private int rows() throws SQLException {
    try (Connection c = dataSource.getConnection();
        ResultSet rs =
            c.createStatement().executeQuery("SELECT COUNT(*) FROM " + prefix + "message")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void contentArrivesIntactThroughGreenMail() throws Exception {
    greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    startQueue(greenMail.getSmtp().getPort(), b -> b);
    byte[] pdf = {'%', 'P', 'D', 'F', 0, 1, 2, (byte) 0xFF};
    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("Shop <shop@example.com>")
                .to("Bob Müller <bob@example.org>")
                .subject("Ihre Bestellung – Grüße ✓")
                .text("Hallo Bob,\nvielen Dank.")
                .html("<p>Hallo <b>Bob</b></p>")
                .attachment("Rechnung-Nr-1.pdf", "application/pdf", pdf)
                .build());
    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.DELIVERED);

    MimeMessage received = greenMail.getReceivedMessages()[0];
    assertThat(received.getMessageID()).isEqualTo(view.messageIdHeader());
    assertThat(received.getSubject()).isEqualTo("Ihre Bestellung – Grüße ✓");
    Multipart mixed = (Multipart) received.getContent();
    Multipart alternative = (Multipart) mixed.getBodyPart(0).getContent();
    assertThat(alternative.getBodyPart(0).getContent().toString())
        .isEqualTo("Hallo Bob,\r\nvielen Dank.");
    assertThat(alternative.getBodyPart(1).getContent().toString())
        .isEqualTo("<p>Hallo <b>Bob</b></p>");
    assertThat(MimeUtility.decodeText(mixed.getBodyPart(1).getFileName()))
        .isEqualTo("Rechnung-Nr-1.pdf");
    assertThat(mixed.getBodyPart(1).getInputStream().readAllBytes()).isEqualTo(pdf);
    assertThat(events.delivered).hasSize(1);
  }

  @Test
  void bccRecipientsGetTheMailButNoBccHeader() throws Exception {
    startQueue(sink.port(), b -> b);
    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("to@example.org")
                .bcc("hidden@example.org")
                .subject("s")
                .text("t")
                .build());
    assertThat(awaitFinal(id).state()).isEqualTo(MessageState.DELIVERED);
    SmtpSink.Received r = sink.received().get(0);
    assertThat(r.recipients()).containsExactlyInAnyOrder("to@example.org", "hidden@example.org");
    assertThat(r.text()).doesNotContainIgnoringCase("bcc:").doesNotContain("hidden@example.org");
  }

  @Test
  void rollbackSendsNothingAndCommitDelivers() throws Exception {
    startQueue(sink.port(), b -> b);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      queue.enqueue(
          c, Mail.builder().from("a@example.com").to("rolledback@example.org").text("no").build());
      c.rollback();
      MessageId committed =
          queue.enqueue(
              c,
              Mail.builder().from("a@example.com").to("committed@example.org").text("yes").build());
      c.commit();
      queue.wakeUp();
      assertThat(awaitFinal(committed).state()).isEqualTo(MessageState.DELIVERED);
    }
    assertThat(rows()).isEqualTo(1);
    assertThat(sink.received())
        .extracting(r -> r.recipients().get(0))
        .containsExactly("committed@example.org");
  }

  @Test
  void temporaryFailureIsRetriedAndPermanentFailureBouncesOnce() {
    startQueue(sink.port(), b -> b);
    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("greylisted@example.org", "unknown@example.org", "ok@example.org")
                .text("t")
                .tag("receipt")
                .build());
    MessageView view = awaitFinal(id);

    assertThat(view.state()).isEqualTo(MessageState.BOUNCED);
    assertThat(view.attempts()).isEqualTo(2);
    assertThat(view.recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(
            RecipientStatus.DELIVERED, RecipientStatus.BOUNCED, RecipientStatus.DELIVERED);
    assertThat(view.recipients().get(1).lastReply().code()).isEqualTo(550);
    assertThat(view.recipients().get(1).lastReply().enhancedStatus()).isEqualTo("5.1.1");
    assertThat(rcptCalls.get("unknown@example.org")).hasValue(1);
    assertThat(rcptCalls.get("greylisted@example.org")).hasValue(2);
    assertThat(rcptCalls.get("ok@example.org")).hasValue(1);

    assertThat(events.deferred)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.attempt()).isEqualTo(1);
              assertThat(e.tag()).isEqualTo("receipt");
              assertThat(e.nextAttemptAt()).isNotNull();
              assertThat(e.recipients())
                  .singleElement()
                  .satisfies(r -> assertThat(r.reply().code()).isEqualTo(451));
            });
    assertThat(events.bounced).singleElement().satisfies(e -> assertThat(e.attempt()).isEqualTo(1));
    assertThat(events.delivered).hasSize(2);
    assertThat(events.delivered).extracting(DeliveryEvent::attempt).containsExactly(1, 2);
    assertThat(sink.received()).hasSize(2);
    assertThat(sink.received().get(0).text()).contains(view.messageIdHeader());
    assertThat(sink.received().get(1).text()).contains(view.messageIdHeader());
  }

  @Test
  void closeAfterItsTimeoutGivesBackTheMailNoWorkerStarted() throws Exception {
    CountDownLatch sending = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    MailQueue q =
        startQueue(
            sink.port(),
            b ->
                b.workers(1)
                    .shutdownTimeout(Duration.ofMillis(300))
                    .transport(
                        mail -> {
                          sending.countDown();
                          try {
                            never.await(
                                10, TimeUnit.SECONDS); // until close() gives up and interrupts
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          }
                          return DeliveryResult.all(
                              mail.recipients(),
                              RecipientStatus.DEFERRED,
                              SmtpReply.parse(451, "4.3.0 interrupted"),
                              null);
                        }));
    q.enqueue(mail("stuck@example.org"));
    assertThat(sending.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < 4; i++) {
      q.enqueue(mail("waiting" + i + "@example.org"));
    }
    // One worker, eight claim slots: the four wait, claimed, behind the stuck delivery.
    await().atMost(Duration.ofSeconds(10)).until(() -> countInState("SENDING") == 5);

    q.close();

    assertThat(countInState("QUEUED"))
        .as("claimed but never started: due again at once")
        .isEqualTo(4);
  }

  private static Mail mail(String to) {
    return Mail.builder().from("shop@example.com").to(to).subject("s").text("t").build();
  }

  private int countInState(String state) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM "
                    + prefix
                    + "message WHERE state = ? AND (due_at IS NULL OR due_at <= ?)")) {
      ps.setString(1, state);
      ps.setLong(2, System.currentTimeMillis() + (state.equals("SENDING") ? 3_600_000 : 1_000));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** One line per recipient and outcome, as Postfix logs, on its own logger, without the body. */
  @Test
  void everyOutcomeIsLoggedOneLinePerRecipientInPostfixForm() throws Exception {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      startQueue(sink.port(), b -> b);
      MessageId id =
          queue.enqueue(
              Mail.builder()
                  .from("a@example.com")
                  .to("ok@example.org", "unknown@example.org")
                  .subject("secret subject")
                  .text("the secret body")
                  .build());
      awaitFinal(id);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  err.toString(java.nio.charset.StandardCharsets.UTF_8)
                      .contains("to=<unknown@example.org>"));
    } finally {
      System.setErr(original);
    }
    String log = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(log)
        .containsPattern(
            "dev\\.mailqueue\\.delivery - id=[0-9a-f-]{36} to=<ok@example\\.org> "
                + "relay=127\\.0\\.0\\.1 delay=\\d+\\.\\ds tries=1 dsn=2\\.0\\.0 status=sent \\(250 2\\.0\\.0 Ok: queued\\)");
    assertThat(log)
        .containsPattern(
            "to=<unknown@example\\.org> relay=127\\.0\\.0\\.1 delay=\\d+\\.\\ds tries=1 "
                + "dsn=5\\.1\\.1 status=bounced \\(550 5\\.1\\.1 <unknown@example\\.org>: user unknown\\)");
    assertThat(log).doesNotContain("secret");
  }

  /**
   * A wake-up that arrives while every claim slot is taken is kept until slots free: the mail
   * enqueued then is claimed at once, not at the next poll (here an hour away).
   */
  @Test
  void mailEnqueuedWhileEveryClaimSlotIsTakenIsClaimedWhenSlotsFree() {
    int workers = 2;
    int slots = workers * 8; // DefaultMailQueue.CLAIMED_PER_WORKER
    MailQueue queue =
        startQueue(sink.port(), b -> b.pollInterval(Duration.ofHours(1)).workers(workers));
    List<Mail> held = new java.util.ArrayList<>();
    for (int i = 0; i < slots; i++) {
      held.add(
          Mail.builder().from("a@example.com").to("held" + i + "@example.org").text("t").build());
    }
    queue.enqueueAll(held);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> queue.stats().countsByState().get(MessageState.SENDING) == slots);
    MessageId late =
        queue.enqueue(
            Mail.builder().from("a@example.com").to("late@example.org").text("t").build());
    heldRecipients.countDown();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> queue.find(late).map(v -> v.state() == MessageState.DELIVERED).orElse(false));
  }

  @Test
  void aListenerThrowingAnErrorDoesNotStopRecordingLaterOutcomes() {
    AtomicInteger calls = new AtomicInteger();
    DeliveryListener failingOnce =
        new DeliveryListener() {
          @Override
          public void delivered(DeliveryEvent e) {
            if (calls.incrementAndGet() == 1) {
              throw new AssertionError("a bug in the application's listener");
            }
            events.delivered(e);
          }
        };
    startQueue(sink.port(), b -> b.listener(failingOnce));
    MessageId first =
        queue.enqueue(Mail.builder().from("a@example.com").to("one@example.org").text("1").build());
    assertThat(awaitFinal(first).state()).isEqualTo(MessageState.DELIVERED);
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() == 1);

    MessageId second =
        queue.enqueue(Mail.builder().from("a@example.com").to("two@example.org").text("2").build());
    assertThat(awaitFinal(second).state()).isEqualTo(MessageState.DELIVERED);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> events.delivered.stream().anyMatch(e -> e.messageId().equals(second)));
  }

  @Test
  void closeOnAnInterruptedThreadStillEndsEveryThreadOfTheQueue() {
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    startQueue(sink.port(), b -> b);
    MessageId id =
        queue.enqueue(Mail.builder().from("a@example.com").to("one@example.org").text("1").build());
    assertThat(awaitFinal(id).state()).isEqualTo(MessageState.DELIVERED);
    List<Thread> mine =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> !before.contains(t) && t.getName().startsWith("mailqueue-"))
            .toList();
    assertThat(mine)
        .extracting(Thread::getName)
        .anyMatch(n -> n.startsWith("mailqueue-completer-"));

    Thread.currentThread()
        .interrupt(); // as when close() runs in a shutdown path that was interrupted
    try {
      queue.close();
    } finally {
      Thread.interrupted();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(mine)
                    .filteredOn(Thread::isAlive)
                    .as(() -> "alive, with their stacks: " + stacks(mine))
                    .extracting(Thread::getName)
                    .isEmpty());
  }

  @Test
  void mailThatExpiresWhileWaitingForAWorkerIsNotSent() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    SmtpTransport relay =
        SmtpTransport.relay("127.0.0.1", sink.port()).security(Security.NONE).build();
    AtomicInteger calls = new AtomicInteger();
    dev.mailqueue.spi.MailTransport holdingTheFirst =
        new dev.mailqueue.spi.MailTransport() {
          @Override
          public DeliveryResult deliver(dev.mailqueue.spi.OutboundMail mail) {
            if (calls.incrementAndGet() == 1) {
              firstStarted.countDown();
              try {
                releaseFirst.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return relay.deliver(mail);
          }

          @Override
          public void close() {
            relay.close();
          }
        };
    startQueue(sink.port(), b -> b.workers(1).transport(holdingTheFirst));
    MessageId first =
        queue.enqueue(Mail.builder().from("a@example.com").to("one@example.org").text("1").build());
    assertThat(firstStarted.await(20, TimeUnit.SECONDS)).isTrue();
    MessageId shortLived =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("two@example.org")
                .text("2")
                .lifetime(Duration.ofSeconds(2))
                .build());
    // Claimed (the one worker's claim depth has room), then its lifetime ends while it waits.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> queue.find(shortLived).map(v -> v.state() == MessageState.SENDING).orElse(false));
    Instant expiresAt = queue.find(shortLived).orElseThrow().expiresAt();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Instant.now().isAfter(expiresAt.plusMillis(200)));
    releaseFirst.countDown();

    assertThat(awaitFinal(first).state()).isEqualTo(MessageState.DELIVERED);
    assertThat(awaitFinal(shortLived).state()).isEqualTo(MessageState.EXPIRED);
    assertThat(calls.get()).as("the expired one never reached the transport").isEqualTo(1);
  }

  @Test
  void mailNeedingSmtpUtf8IsNotSentToAServerWithoutItAndBouncesWith567() {
    startQueue(sink.port(), b -> b);
    // The sink offers no SMTPUTF8. The first two need it (a UTF-8 address; a UTF-8 display name in
    // the From header, so only the stored bytes tell), the third only allows it.
    MessageId address =
        queue.enqueue(
            Mail.builder()
                .smtpUtf8(true)
                .from("a@example.com")
                .to("jörg@example.org")
                .text("t")
                .build());
    MessageId header =
        queue.enqueue(
            Mail.builder()
                .smtpUtf8(true)
                .from("Jörg <a@example.com>")
                .to("ok@example.org")
                .text("t")
                .build());
    MessageId ascii =
        queue.enqueue(
            Mail.builder()
                .smtpUtf8(true)
                .from("a@example.com")
                .to("ok@example.org")
                .text("t")
                .build());

    for (MessageId id : List.of(address, header)) {
      MessageView view = awaitFinal(id);
      assertThat(view.state()).isEqualTo(MessageState.BOUNCED);
      assertThat(view.recipients())
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.status()).isEqualTo(RecipientStatus.BOUNCED);
                assertThat(r.lastReply())
                    .extracting(SmtpReply::code, SmtpReply::enhancedStatus)
                    .containsExactly(550, "5.6.7");
                assertThat(r.lastReply().text())
                    .as("the engine marked it as needing SMTPUTF8")
                    .contains("SMTPUTF8 is required, but was not offered");
              });
    }
    assertThat(awaitFinal(ascii).state()).isEqualTo(MessageState.DELIVERED);
    assertThat(sink.received())
        .singleElement()
        .satisfies(r -> assertThat(r.recipients()).containsExactly("ok@example.org"));
  }

  @Test
  void anOutcomeWhoseCommitReplyWasLostIsStillReportedOnce() {
    JdbcMailStore real =
        JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true).build();
    java.util.concurrent.atomic.AtomicBoolean failedOnce =
        new java.util.concurrent.atomic.AtomicBoolean();
    // The group commit happens, then the connection breaks before its reply arrives.
    dev.mailqueue.spi.MailStore commitThenFail =
        (dev.mailqueue.spi.MailStore)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {dev.mailqueue.spi.MailStore.class},
                (proxy, method, args) -> {
                  Object result;
                  try {
                    result = method.invoke(real, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                  if (method.getName().equals("completeAll")
                      && failedOnce.compareAndSet(false, true)) {
                    throw new IllegalStateException(
                        "connection reset while reading the reply to COMMIT");
                  }
                  return result;
                });
    startQueue(sink.port(), b -> b.store(commitThenFail));
    MessageId id =
        queue.enqueue(Mail.builder().from("a@example.com").to("one@example.org").text("1").build());
    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(view.attempts()).isEqualTo(1);
    assertThat(failedOnce).isTrue();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> events.delivered.stream().anyMatch(e -> e.messageId().equals(id)));
    assertThat(events.delivered).filteredOn(e -> e.messageId().equals(id)).hasSize(1);
  }

  @Test
  void enqueueAllDeliversEveryMailOfTheBatch() {
    startQueue(sink.port(), b -> b);
    List<MessageId> ids =
        queue.enqueueAll(
            List.of(
                Mail.builder().from("a@example.com").to("one@example.org").text("1").build(),
                Mail.builder().from("a@example.com").to("two@example.org").text("2").build()));
    assertThat(ids).hasSize(2).doesNotHaveDuplicates();
    for (MessageId id : ids) {
      assertThat(awaitFinal(id).state()).isEqualTo(MessageState.DELIVERED);
    }
  }

  @Test
  void messagePastItsLifetimeExpires() {
    startQueue(sink.port(), b -> b);
    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("busy@example.org")
                .text("t")
                .tag("password-reset")
                .lifetime(Duration.ofSeconds(1))
                .build());
    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.EXPIRED);
    assertThat(view.recipients().get(0).status()).isEqualTo(RecipientStatus.EXPIRED);
    assertThat(view.recipients().get(0).lastReply().code()).isEqualTo(451);
    assertThat(events.expired)
        .singleElement()
        .satisfies(e -> assertThat(e.tag()).isEqualTo("password-reset"));
    assertThat(sink.received()).isEmpty();
  }

  @Test
  void invalidInputIsRejectedAndNothingIsStored() throws Exception {
    startQueue(sink.port(), b -> b.maxMessageSize(4096));
    List<Runnable> bad =
        List.of(
            () ->
                queue.enqueue(
                    Mail.builder()
                        .from("a@example.com")
                        .to("b@example.org")
                        .subject("x\r\nBcc: c@evil.example")
                        .text("t")
                        .build()),
            () ->
                queue.enqueue(
                    Mail.builder().from("a@example.com").to("b@example.org\r\n").text("t").build()),
            () ->
                queue.enqueue(
                    Mail.builder()
                        .from("a@example.com")
                        .to("b@example.org")
                        .text("t")
                        .header("X-A", "v\nInjected: yes")
                        .build()),
            () ->
                queue.enqueue(
                    Mail.builder()
                        .from("a@example.com")
                        .to("b@example.org")
                        .text("t")
                        .attachment("big.bin", "application/octet-stream", new byte[8192])
                        .build()),
            () -> queue.enqueue(Mail.builder().to("b@example.org").text("t").build()));
    for (Runnable r : bad) {
      assertThatThrownBy(r::run).isInstanceOf(InvalidMailException.class);
    }
    assertThatThrownBy(
            () ->
                queue.enqueueAll(
                    List.of(
                        Mail.builder()
                            .from("a@example.com")
                            .to("b@example.org")
                            .text("fine")
                            .build(),
                        Mail.builder()
                            .from("a@example.com")
                            .to("b@example.org")
                            .text("t")
                            .attachment("big.bin", "application/octet-stream", new byte[8192])
                            .build())))
        .isInstanceOf(InvalidMailException.class)
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo("mails[1].size"));
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      assertThatThrownBy(
              () ->
                  queue.enqueue(
                      c,
                      Mail.builder()
                          .from("a@example.com")
                          .to("b@example.org")
                          .text("t")
                          .attachment("big.bin", "application/octet-stream", new byte[8192])
                          .build()))
          .isInstanceOf(InvalidMailException.class);
      c.commit();
    }
    assertThat(rows()).isZero();
  }

  @Test
  void aNewsletterScopedSuppressionStopsTheNewsletterButNotTheReceipt() {
    startQueue(sink.port(), b -> b);
    queue.admin().suppress("reader@example.org", "newsletter", "unsubscribed", null);
    MessageId newsletter =
        queue.enqueue(
            Mail.builder()
                .from("news@example.com")
                .to("reader@example.org")
                .tag("newsletter")
                .text("news")
                .build());
    MessageId receipt =
        queue.enqueue(
            Mail.builder()
                .from("shop@example.com")
                .to("Reader@example.org")
                .tag("receipt")
                .text("receipt")
                .build());
    assertThat(awaitFinal(newsletter).state()).isEqualTo(MessageState.SUPPRESSED);
    assertThat(awaitFinal(receipt).state()).isEqualTo(MessageState.DELIVERED);
  }

  @Test
  void hardBounceSuppressesTheAddressForLaterMail() {
    startQueue(sink.port(), b -> b);
    MessageId first =
        queue.enqueue(
            Mail.builder().from("a@example.com").to("unknown@example.org").text("1").build());
    assertThat(awaitFinal(first).state()).isEqualTo(MessageState.BOUNCED);
    assertThat(queue.admin().suppression("Unknown@example.org"))
        .get()
        .satisfies(s -> assertThat(s.reply().enhancedStatus()).isEqualTo("5.1.1"));

    MessageId second =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("unknown@example.org", "ok@example.org")
                .text("2")
                .build());
    MessageView view = awaitFinal(second);
    assertThat(view.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(view.recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(RecipientStatus.SUPPRESSED, RecipientStatus.DELIVERED);
    MessageId third =
        queue.enqueue(
            Mail.builder().from("a@example.com").to("unknown@example.org").text("3").build());
    MessageView thirdView = awaitFinal(third);
    assertThat(thirdView.recipients().get(0).status()).isEqualTo(RecipientStatus.SUPPRESSED);
    assertThat(thirdView.state())
        .as("nothing was sent: not DELIVERED")
        .isEqualTo(MessageState.SUPPRESSED);

    assertThat(rcptCalls.get("unknown@example.org")).as("never tried again").hasValue(1);
    assertThat(sink.received())
        .singleElement()
        .satisfies(r -> assertThat(r.recipients()).containsExactly("ok@example.org"));
    assertThat(events.bounced).hasSize(1);
    assertThat(events.delivered).hasSize(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.suppressed.size() == 2);
    assertThat(events.suppressed)
        .extracting(DeliveryEvent::messageId)
        .containsExactlyInAnyOrder(second, third);
    assertThat(events.suppressed)
        .allSatisfy(
            e ->
                assertThat(e.recipients())
                    .singleElement()
                    .satisfies(
                        o -> {
                          assertThat(o.recipient().address()).isEqualTo("unknown@example.org");
                          assertThat(o.status()).isEqualTo(RecipientStatus.SUPPRESSED);
                        }));
    assertThat(queue.stats().count(MessageState.SUPPRESSED))
        .as("counted apart from delivered")
        .isEqualTo(1);
  }

  /**
   * Issue 20: a block against the sender (a Spamhaus listing, a DMARC rejection) never puts the
   * address on the suppression list, even when the store is told to suppress on 5.7.1, while "user
   * unknown" still does; the listener hears the block.
   */
  @Test
  void blocksAgainstTheSenderNeverSuppressTheAddressButUserUnknownDoes() {
    startQueue(
        sink.port(),
        store -> store.suppressOnBounce(Set.of("5.1.1", "5.7.1")),
        b ->
            b.retryPolicy(
                RetryPolicy.builder().initialDelay(Duration.ofMillis(100)).maxAttempts(2).build()));
    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("listed@example.org", "dmarc@example.org", "unknown@example.org")
                .text("receipt")
                .build());

    MessageView view = awaitFinal(id);

    assertThat(view.recipients())
        .extracting(MessageView.Recipient::status)
        .as("the listing defers until the attempts run out; the DMARC rejection bounces")
        .containsExactly(RecipientStatus.EXPIRED, RecipientStatus.BOUNCED, RecipientStatus.BOUNCED);
    assertThat(rcptCalls.get("listed@example.org")).hasValue(2);
    assertThat(queue.admin().suppression("listed@example.org")).isEmpty();
    assertThat(queue.admin().suppression("dmarc@example.org")).isEmpty();
    assertThat(queue.admin().suppression("unknown@example.org")).isPresent();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(events.blocked)
                    .flatExtracting(DeliveryEvent::recipients)
                    .extracting(o -> o.recipient().address() + " " + o.block())
                    .containsExactlyInAnyOrder(
                        "listed@example.org REPUTATION",
                        "dmarc@example.org POLICY",
                        "listed@example.org REPUTATION"));
  }

  @Test
  void suppressingAnAddressEndsItsMailAlreadyQueuedSuppressedAndTellsTheListener() {
    startQueue(sink.port(), b -> b);
    MessageId later =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("complainer@example.org")
                .notBefore(Instant.now().plus(Duration.ofHours(2)))
                .text("later")
                .build());
    assertThat(queue.find(later).orElseThrow().state()).isEqualTo(MessageState.QUEUED);

    queue.admin().suppress("Complainer@example.org", "complaint", null);

    MessageView view = awaitFinal(later);
    assertThat(view.state()).isEqualTo(MessageState.SUPPRESSED);
    assertThat(view.recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(RecipientStatus.SUPPRESSED);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.suppressed.size() == 1);
    assertThat(events.suppressed.get(0).messageId()).isEqualTo(later);
    assertThat(sink.received()).isEmpty();
  }

  @Test
  void runawaySenderIsHeldUntilAnAdministratorReleasesIt() {
    startQueue(sink.port(), s -> s.sendQuota(SendQuota.perSender(1, Duration.ofHours(1))), b -> b);
    MessageId allowed =
        queue.enqueue(
            Mail.builder().from("loop@example.com").to("one@example.org").text("1").build());
    MessageId excess =
        queue.enqueue(
            Mail.builder().from("loop@example.com").to("two@example.org").text("2").build());
    assertThat(awaitFinal(allowed).state()).isEqualTo(MessageState.DELIVERED);
    assertThat(queue.find(excess).orElseThrow().state()).isEqualTo(MessageState.HOLD);
    assertThat(queue.admin().list(dev.mailqueue.MessageFilter.state(MessageState.HOLD)))
        .extracting(dev.mailqueue.MessageSummary::id)
        .containsExactly(excess);
    assertThat(sink.received()).hasSize(1);

    assertThat(queue.admin().release(excess)).isTrue();
    queue.wakeUp();
    assertThat(awaitFinal(excess).state()).isEqualTo(MessageState.DELIVERED);
    assertThat(sink.received())
        .extracting(r -> r.recipients().get(0))
        .containsExactly("one@example.org", "two@example.org");
  }

  /** Records every listener call. */
  /** Where each live thread is, for the failure message of a thread that did not end. */
  private static String stacks(List<Thread> threads) {
    StringBuilder sb = new StringBuilder();
    for (Thread t : threads) {
      if (t.isAlive()) {
        sb.append('\n').append(t.getName()).append(' ').append(t.getState());
        for (StackTraceElement e : t.getStackTrace()) {
          sb.append("\n    at ").append(e);
        }
      }
    }
    return sb.toString();
  }

  static class RecordingListener implements DeliveryListener {
    final List<DeliveryEvent> delivered = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> deferred = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> bounced = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> expired = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> suppressed = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> blocked = new CopyOnWriteArrayList<>();

    @Override
    public void blocked(DeliveryEvent e) {
      blocked.add(e);
    }

    @Override
    public void delivered(DeliveryEvent e) {
      delivered.add(e);
    }

    @Override
    public void deferred(DeliveryEvent e) {
      deferred.add(e);
    }

    @Override
    public void bounced(DeliveryEvent e) {
      bounced.add(e);
    }

    @Override
    public void expired(DeliveryEvent e) {
      expired.add(e);
    }

    @Override
    public void suppressed(DeliveryEvent e) {
      suppressed.add(e);
    }
  }
}
