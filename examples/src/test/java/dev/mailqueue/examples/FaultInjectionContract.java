package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.MessageView.Recipient;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.examples.EndToEndContract.RecordingListener;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.smtp.MxHost;
import dev.mailqueue.smtp.MxLookup;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.MailTransport;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The promise at its edges, end to end on a real database: whatever a server replies, whatever DNS
 * names, whatever the database refuses for a while, a decided outcome is recorded once and the mail
 * is sent once. One subclass per database. Leases are short (3 s) so that a message whose outcome
 * was dropped would be sent again within the test.
 */
abstract class FaultInjectionContract {
  static final Duration SHORT_LEASE = Duration.ofSeconds(3);

  protected DataSource dataSource;
  protected String prefix;
  protected MailQueue queue;
  protected SmtpSink sink;
  private SmtpTransport defaultTransport;
  protected final RecordingListener events = new RecordingListener();

  abstract DataSource createDataSource();

  @BeforeEach
  void setUp() throws Exception {
    dataSource = createDataSource();
    prefix = TestDatabases.randomPrefix();
    sink = new SmtpSink(FaultInjectionContract::hostileReplies, true);
  }

  @AfterEach
  void tearDown() {
    if (queue != null) {
      queue.close();
    }
    if (defaultTransport != null) {
      defaultTransport.close();
    }
    if (sink != null) {
      sink.close();
    }
    if (dataSource == null) {
      return;
    }
    TestDatabases.drop(dataSource, prefix);
    if (dataSource instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception ignored) {
        // the test is over
      }
    }
  }

  /**
   * Recipients named "nul", "esc" and "latin" get replies with a NUL, terminal escapes and 8-bit
   * octets.
   */
  private static String hostileReplies(String rcpt) {
    if (rcpt.startsWith("nul")) {
      return "550 5.1.1 <" + rcpt + ">: user\u0000unknown";
    }
    if (rcpt.startsWith("esc")) {
      return "250 2.1.5 ok\u001b[2J\u001b]0;owned\u0007\u009b31m";
    }
    if (rcpt.startsWith("plain")) {
      return "550 No such user here"; // no enhanced status code, as many servers answer
    }
    if (rcpt.startsWith("latin")) {
      return "250 2.1.5 d\u00e9j\u00e0 vu \u00ff\u0080";
    }
    return "250 2.1.5 Ok";
  }

  protected JdbcMailStore store() {
    return JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true).build();
  }

  protected MailQueue start(Function<MailQueue.Builder, MailQueue.Builder> customize) {
    // closed in tearDown too: a test that replaces it leaves it to nobody else, and its threads,
    // started late, would count as this queue's in
    // closeOnAnInterruptedThreadStillEndsEveryThreadOfTheQueue
    defaultTransport =
        SmtpTransport.relay("127.0.0.1", sink.port()).security(Security.NONE).build();
    MailQueue.Builder b =
        MailQueue.builder()
            .store(store())
            .transport(defaultTransport)
            .listener(events)
            .lease(SHORT_LEASE)
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

  /** Direct mode where every domain's MX is the sink, under the name {@code mxName(domain)}. */
  protected MailTransport directToSink(Function<String, String> mxName) {
    InetSocketAddress sinkAddress =
        new InetSocketAddress(InetAddress.getLoopbackAddress(), sink.port());
    return SmtpTransport.direct()
        .mxResolver(domain -> MxLookup.hosts(MxHost.of(mxName.apply(domain), 10, sinkAddress)))
        .allowDestinations("127.0.0.1")
        .ehloName("queue.example.com")
        .build();
  }

  protected MessageView awaitFinal(MessageId id, Duration atMost) {
    await()
        .atMost(atMost)
        .until(() -> queue.find(id).map(v -> v.state().isTerminal()).orElse(false));
    return queue.find(id).orElseThrow();
  }

  protected MessageView awaitFinal(MessageId id) {
    return awaitFinal(id, Duration.ofSeconds(20));
  }

  /** How many copies the sink accepted for this recipient. */
  protected long copiesFor(String rcpt) {
    return sink.received().stream().filter(r -> r.recipients().contains(rcpt)).count();
  }

  /** The remote host column of the message's attempts, as stored. */
  protected List<String> storedRemoteHosts(MessageId id) throws SQLException {
    List<String> hosts = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        var ps =
            c.prepareStatement(
                "SELECT remote_host FROM " + prefix + "attempt WHERE message_id = ?")) {
      ps.setObject(1, idParameter(id));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          hosts.add(rs.getString(1));
        }
      }
    }
    return hosts;
  }

  /** How this database's id column takes a message id. */
  Object idParameter(MessageId id) {
    return id.value();
  }

  /**
   * A store that throws on a completion (group or single) while {@code refuse} says so: the
   * database refusing a write, as a constraint, an encoding error or an outage would.
   */
  protected static MailStore refusing(MailStore real, Predicate<Completion> refuse) {
    return (MailStore)
        Proxy.newProxyInstance(
            FaultInjectionContract.class.getClassLoader(),
            new Class<?>[] {MailStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("complete") && refuse.test((Completion) args[1])) {
                throw new IllegalStateException("the database refused the completion (injected)");
              }
              if (method.getName().equals("completeAll")) {
                for (Object c : (List<?>) args[1]) {
                  if (refuse.test((Completion) c)) {
                    throw new IllegalStateException(
                        "the database refused the group of completions (injected)");
                  }
                }
              }
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void aLongMxHostNameIsRecordedOnceAndTheMailSentOnce() throws Exception {
    String label = "mx-with-a-very-long-name-of-sixty-three-characters-for-the-test";
    assertThat(label).hasSize(63);
    // 253 characters, the longest name DNS allows; with "[127.0.0.1]" it is longer than the column
    String longName = label + "." + label + "." + label + "." + "x".repeat(48) + ".long-mx.test";
    assertThat(longName).hasSize(253);
    start(b -> b.transport(directToSink(domain -> longName)));
    MessageId id =
        queue.enqueue(
            Mail.builder().from("a@example.com").to("bob@long-mx.test").text("hi").build());

    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(view.attempts()).isEqualTo(1);
    assertThat(copiesFor("bob@long-mx.test")).isEqualTo(1);
    assertThat(storedRemoteHosts(id))
        .singleElement()
        .satisfies(h -> assertThat(h).startsWith(label).hasSizeLessThanOrEqualTo(255));
  }

  @Test
  void aMailToTenDomainsIsRecordedOnceAndSentOncePerDomain() throws Exception {
    start(b -> b.transport(directToSink(domain -> "inbound-smtp-cluster-node-01." + domain)));
    Mail.Builder mail = Mail.builder().from("a@example.com").text("to many domains");
    for (int i = 0; i < 10; i++) {
      mail.to("user@customer-domain-number-" + i + ".test");
    }
    MessageId id = queue.enqueue(mail.build());

    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(view.attempts()).isEqualTo(1);
    for (int i = 0; i < 10; i++) {
      assertThat(copiesFor("user@customer-domain-number-" + i + ".test"))
          .as("domain %d", i)
          .isEqualTo(1);
    }
    assertThat(storedRemoteHosts(id))
        .singleElement()
        .satisfies(
            h ->
                assertThat(h)
                    .hasSizeLessThanOrEqualTo(255)
                    .startsWith("inbound-smtp-cluster-node-01.")
                    .endsWith("more)"));
  }

  @Test
  void nulEscapesAndEightBitOctetsInRepliesAreStoredSanitised() {
    start(b -> b);
    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("a@example.com")
                .to("nul@example.org", "esc@example.org", "latin@example.org")
                .text("hostile replies")
                .build());

    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.BOUNCED);
    assertThat(view.attempts()).isEqualTo(1);
    assertThat(copiesFor("esc@example.org")).isEqualTo(1);
    Recipient nul = recipient(view, "nul@example.org");
    assertThat(nul.status()).isEqualTo(RecipientStatus.BOUNCED);
    assertThat(nul.lastReply().enhancedStatus()).isEqualTo("5.1.1");
    assertThat(nul.lastReply().text()).isEqualTo("<nul@example.org>: user\\x00unknown");
    Recipient esc = recipient(view, "esc@example.org");
    assertThat(esc.status()).isEqualTo(RecipientStatus.DELIVERED);
    for (Recipient r : view.recipients()) {
      assertThat(r.lastReply().text().chars())
          .as(r.address().address())
          .noneMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> events.bounced.size() == 1);
  }

  /**
   * Found by a first-day user with Postfix's smtp-sink: the suppression check threw on a missing
   * enhanced code.
   */
  @Test
  void aBounceWithoutAnEnhancedStatusCodeIsRecordedAndSuppressesNothing() {
    start(b -> b);
    MessageId id =
        queue.enqueue(
            Mail.builder().from("a@example.com").to("plain@example.org").text("x").build());

    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.BOUNCED);
    assertThat(view.attempts()).isEqualTo(1);
    Recipient r = recipient(view, "plain@example.org");
    assertThat(r.lastReply().code()).isEqualTo(550);
    assertThat(r.lastReply().enhancedStatus()).isNull();
    assertThat(r.lastReply().text()).isEqualTo("No such user here");
    assertThat(queue.admin().suppression("plain@example.org")).isEmpty();
    assertThat(copiesFor("plain@example.org")).isZero();
  }

  @Test
  void aDatabaseThatRefusesTheFirstCompletionsStillRecordsTheOutcomeOnceAndSendsOnce() {
    AtomicInteger refusals = new AtomicInteger();
    // the group commit and the one-by-one fallback both fail, then the database is back
    MailStore flaky = refusing(store(), c -> refusals.incrementAndGet() <= 3);
    start(b -> b.store(flaky));
    MessageId id =
        queue.enqueue(
            Mail.builder().from("a@example.com").to("once@example.org").text("1").build());

    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(view.attempts()).isEqualTo(1);
    assertThat(refusals.get()).isGreaterThan(3);
    assertThat(copiesFor("once@example.org")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.delivered.size() == 1);
    assertThat(events.delivered)
        .singleElement()
        .satisfies(e -> assertThat(e.messageId()).isEqualTo(id));
  }

  @Test
  void anOutcomeWhoseTextsTheDatabaseRefusesIsRecordedWithItsCodesAndNotSentAgain() {
    // A value the database will never take (as PostgreSQL with a NUL): only the reduced record
    // fits.
    MailStore picky = refusing(store(), c -> c.summary() != null && !c.summary().text().isEmpty());
    start(b -> b.store(picky));
    MessageId id =
        queue.enqueue(
            Mail.builder().from("a@example.com").to("picky@example.org").text("1").build());

    MessageView view = awaitFinal(id);
    assertThat(view.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(view.attempts()).isEqualTo(1);
    assertThat(copiesFor("picky@example.org")).isEqualTo(1);
    Recipient r = recipient(view, "picky@example.org");
    assertThat(r.lastReply().code()).isEqualTo(250);
    assertThat(r.lastReply().text()).isEmpty();
    // the listener still hears the server's own words
    await().atMost(Duration.ofSeconds(10)).until(() -> events.delivered.size() == 1);
    DeliveryEvent e = events.delivered.get(0);
    assertThat(e.recipients().get(0).reply().text()).isNotEmpty();
  }

  @Test
  void aListenerThatBlocksDelaysNeitherRecordingNorClaiming() throws Exception {
    CountDownLatch listenerMayReturn = new CountDownLatch(1);
    AtomicInteger told = new AtomicInteger();
    RecordingListener blocking =
        new RecordingListener() {
          @Override
          public void delivered(DeliveryEvent e) {
            try {
              listenerMayReturn.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
            }
            told.incrementAndGet();
          }
        };
    start(b -> b.listener(blocking).workers(2));
    List<MessageId> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(
          queue.enqueue(
              Mail.builder()
                  .from("a@example.com")
                  .to("slow" + i + "@example.org")
                  .text("x")
                  .build()));
    }
    try {
      for (MessageId id : ids) {
        assertThat(awaitFinal(id).state()).isEqualTo(MessageState.DELIVERED);
      }
      assertThat(told.get()).as("the listener is still blocked in its first call").isZero();
    } finally {
      listenerMayReturn.countDown();
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> told.get() == 20);
  }

  static Recipient recipient(MessageView view, String address) {
    return view.recipients().stream()
        .filter(r -> r.address().address().equals(address))
        .findFirst()
        .orElseThrow();
  }
}
