package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.DeliveryMode;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19: the delivery modes and the simulator addresses, through the whole engine (real store, a
 * real SMTP server behind the transport, which mail must or must not reach); one subclass per
 * database, which proves that each store records the CAPTURED state.
 */
abstract class ModesContract {
  private DataSource dataSource;
  private String prefix;
  private GreenMail greenMail;
  private MailQueue queue;
  private final Events events = new Events();

  abstract DataSource createDataSource();

  @BeforeEach
  void setUp() {
    dataSource = createDataSource();
    prefix = TestDatabases.randomPrefix();
    greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
  }

  @AfterEach
  void tearDown() {
    if (queue != null) {
      queue.close();
    }
    greenMail.stop();
    TestDatabases.drop(dataSource, prefix);
    if (dataSource instanceof HikariDataSource h) {
      h.close();
    }
  }

  private MailQueue start(UnaryOperator<MailQueue.Builder> customize) {
    MailQueue.Builder b =
        MailQueue.builder()
            .store(JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true).build())
            .transport(
                SmtpTransport.relay("127.0.0.1", greenMail.getSmtp().getPort())
                    .security(Security.NONE)
                    .build())
            .listener(events)
            .retryPolicy(
                RetryPolicy.builder()
                    .initialDelay(Duration.ofMillis(100))
                    .maxDelay(Duration.ofMillis(500))
                    .build())
            .pollInterval(Duration.ofMillis(100));
    queue = customize.apply(b).build();
    queue.start();
    return queue;
  }

  private MessageId send(String... to) {
    return queue.enqueue(
        Mail.builder().from("app@example.com").to(to).subject("Hello").text("Body").build());
  }

  private MessageView awaitFinal(MessageId id) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> queue.find(id).map(v -> v.state().isTerminal()).orElse(false));
    return queue.find(id).orElseThrow();
  }

  /** The envelope recipients GreenMail received mail for. */
  private List<String> mailboxes() {
    return greenMail.getUserManager().listUser().stream().map(GreenMailUser::getEmail).toList();
  }

  private static Map<String, RecipientStatus> statuses(MessageView v) {
    return v.recipients().stream()
        .collect(
            java.util.stream.Collectors.toMap(
                r -> r.address().address(), MessageView.Recipient::status));
  }

  private static SmtpReply reply(MessageView v, String address) {
    return v.recipients().stream()
        .filter(r -> r.address().address().equals(address))
        .findFirst()
        .orElseThrow()
        .lastReply();
  }

  // --- modes ---------------------------------------------------------------------------------

  @Test
  void liveIsTheDefaultAndSendsToTheRecipients() {
    start(b -> b);
    assertThat(queue.mode()).isEqualTo(DeliveryMode.live());
    MessageView v = awaitFinal(send("bob@example.org"));

    assertThat(v.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(greenMail.getReceivedMessagesForDomain("example.org")).hasSize(1);
  }

  @Test
  void captureSendsNothingAndRecordsEveryRecipientCaptured() throws Exception {
    start(b -> b.mode(DeliveryMode.capture()));
    MessageId id = send("bob@example.org", "carol@example.net");
    MessageView v = awaitFinal(id);

    assertThat(v.state()).isEqualTo(MessageState.CAPTURED);
    assertThat(statuses(v).values()).containsOnly(RecipientStatus.CAPTURED);
    SmtpReply r = reply(v, "bob@example.org");
    assertThat(r.origin()).isEqualTo(SmtpReply.Origin.LOCAL);
    assertThat(r.text()).contains("captured (mode capture)");
    assertThat(greenMail.getReceivedMessages()).isEmpty();
    assertThat(queue.stats().count(MessageState.CAPTURED)).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.captured.size() == 1);
    assertThat(events.captured.get(0).recipients()).hasSize(2);
  }

  @Test
  void redirectSendsToTheInboxesWithTheOriginalRecipientsInAHeader() throws Exception {
    start(
        b ->
            b.mode(
                DeliveryMode.redirect(
                    MailAddress.of("qa@staging.test"), MailAddress.of("dev@staging.test"))));
    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("app@example.com")
                .to("bob@example.org")
                .cc("carol@example.net")
                .bcc("audit@example.com")
                .subject("Hello")
                .text("Body")
                .build());
    MessageView v = awaitFinal(id);

    assertThat(v.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(statuses(v).values()).containsOnly(RecipientStatus.DELIVERED);
    // GreenMail keeps one mailbox per envelope recipient: only the inboxes got mail
    assertThat(mailboxes()).containsExactlyInAnyOrder("qa@staging.test", "dev@staging.test");
    MimeMessage[] got = greenMail.getReceivedMessages();
    assertThat(got).hasSize(2);
    assertThat(MimeUtility.unfold(got[0].getHeader("X-Mailqueue-Original-To", null)))
        .isEqualTo("bob@example.org, carol@example.net, audit@example.com");
    assertThat(got[0].getSubject()).isEqualTo("Hello");
    assertThat(got[0].getMessageID()).isEqualTo(v.messageIdHeader());
  }

  @Test
  void allowSendsToListedDomainsAndAddressesAndCapturesTheRest() {
    start(b -> b.mode(DeliveryMode.allow(List.of("example.org", "ops@example.net"))));
    MessageView v =
        awaitFinal(
            send(
                "bob@example.org", "ops@example.net", "customer@example.net", "x@sub.example.org"));

    assertThat(v.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(statuses(v))
        .containsEntry("bob@example.org", RecipientStatus.DELIVERED)
        .containsEntry("ops@example.net", RecipientStatus.DELIVERED)
        .containsEntry("customer@example.net", RecipientStatus.CAPTURED)
        .containsEntry("x@sub.example.org", RecipientStatus.CAPTURED);
    assertThat(reply(v, "customer@example.net").text()).contains("mode allow");
    assertThat(greenMail.getReceivedMessages()).hasSize(2);
    assertThat(mailboxes()).containsExactlyInAnyOrder("bob@example.org", "ops@example.net");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.captured.size() == 1);
  }

  @Test
  void allowWithNothingListedAmongTheRecipientsEndsCaptured() {
    start(b -> b.mode(DeliveryMode.allow(List.of("example.org"))));
    MessageView v = awaitFinal(send("customer@example.net"));

    assertThat(v.state()).isEqualTo(MessageState.CAPTURED);
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  // --- simulator addresses (live mode: the transport would take anything, so nothing may reach it)

  @Test
  void bounceBouncesWithA550AndSuppressesTheAddress() {
    start(b -> b);
    MessageView v = awaitFinal(send("bounce+signup@simulator.invalid"));

    assertThat(v.state()).isEqualTo(MessageState.BOUNCED);
    SmtpReply r = reply(v, "bounce+signup@simulator.invalid");
    assertThat(r.code()).isEqualTo(550);
    assertThat(r.enhancedStatus()).isEqualTo("5.1.1");
    assertThat(r.origin()).isEqualTo(SmtpReply.Origin.LOCAL);
    assertThat(r.text()).contains("simulated");
    assertThat(queue.admin().suppression("bounce+signup@simulator.invalid")).isPresent();
    await().atMost(Duration.ofSeconds(10)).until(() -> events.bounced.size() == 1);
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  @Test
  void deferIsDeferredWith451OnTheFirstAttemptAndDeliveredOnTheNext() {
    start(b -> b);
    MessageView v = awaitFinal(send("defer@simulator.invalid"));

    assertThat(v.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(v.attempts()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.delivered.size() == 1);
    assertThat(events.deferred).hasSize(1);
    SmtpReply first = events.deferred.get(0).recipients().get(0).reply();
    assertThat(first.code()).isEqualTo(451);
    assertThat(first.enhancedStatus()).isEqualTo("4.3.0");
    assertThat(events.deferred.get(0).uncertain()).isFalse();
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  @Test
  void greylistIsGreylistedWith450OnTheFirstAttemptAndDeliveredOnRetry() {
    start(b -> b);
    MessageView v = awaitFinal(send("greylist@simulator.invalid"));

    assertThat(v.state()).isEqualTo(MessageState.DELIVERED);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.delivered.size() == 1);
    SmtpReply first = events.deferred.get(0).recipients().get(0).reply();
    assertThat(first.code()).isEqualTo(450);
    assertThat(first.enhancedStatus()).isEqualTo("4.7.1");
    assertThat(first.text()).contains("greylisted");
  }

  @Test
  void uncertainIsRecordedAsNoReplyAfterTheDataAndRetried() {
    start(b -> b);
    MessageView v = awaitFinal(send("uncertain@simulator.invalid"));

    assertThat(v.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(v.uncertainAttempts()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.delivered.size() == 1);
    assertThat(events.deferred).hasSize(1);
    assertThat(events.deferred.get(0).uncertain()).isTrue();
  }

  @Test
  void slowIsDeliveredAndACloseDuringItsDelayDoesNotWaitItOut() throws SQLException {
    // the simulated delay (2 s) is longer than the shutdown timeout: close() must cut it short
    // for the delivery to be recorded rather than abandoned under its lease
    start(b -> b.shutdownTimeout(Duration.ofMillis(1500)));
    MessageId id = send("slow@simulator.invalid");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> queue.find(id).map(v -> v.state() == MessageState.SENDING).orElse(false));
    queue.close();

    try (Connection c = dataSource.getConnection();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT m.state, r.status, r.reply_text FROM "
                        + prefix
                        + "message m JOIN "
                        + prefix
                        + "recipient r ON r.message_id = m.id")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("DELIVERED");
      assertThat(rs.getString(2)).isEqualTo("DELIVERED");
      assertThat(rs.getString(3)).contains("simulated");
    }
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  @Test
  void suppressedEndsSuppressedAndPutsTheAddressOnTheSuppressionList() {
    start(b -> b);
    MessageView v = awaitFinal(send("suppressed@simulator.invalid"));

    assertThat(v.state()).isEqualTo(MessageState.SUPPRESSED);
    assertThat(statuses(v))
        .containsEntry("suppressed@simulator.invalid", RecipientStatus.SUPPRESSED);
    assertThat(queue.admin().suppression("suppressed@simulator.invalid")).isPresent();
    await().atMost(Duration.ofSeconds(10)).until(() -> events.suppressed.size() == 1);
    // the next mail to it takes the store's own path: suppressed at enqueue
    MessageView next = awaitFinal(send("suppressed@simulator.invalid"));
    assertThat(next.state()).isEqualTo(MessageState.SUPPRESSED);
    assertThat(next.attempts()).isZero();
  }

  @Test
  void deliveredIsDeliveredWithoutReachingTheNetwork() {
    start(b -> b);
    MessageView v = awaitFinal(send("delivered@simulator.invalid", "success+x@SIMULATOR.invalid"));

    assertThat(v.state()).isEqualTo(MessageState.DELIVERED);
    assertThat(reply(v, "delivered@simulator.invalid").text()).contains("simulated: delivered");
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }

  @Test
  void simulatorAddressesAreAnsweredInCaptureModeToo() {
    start(b -> b.mode(DeliveryMode.capture()));
    MessageView v = awaitFinal(send("bounce@simulator.invalid", "bob@example.org"));

    assertThat(v.state()).isEqualTo(MessageState.BOUNCED);
    assertThat(statuses(v))
        .containsEntry("bounce@simulator.invalid", RecipientStatus.BOUNCED)
        .containsEntry("bob@example.org", RecipientStatus.CAPTURED);
  }

  static final class Events implements DeliveryListener {
    final List<DeliveryEvent> delivered = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> deferred = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> bounced = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> suppressed = new CopyOnWriteArrayList<>();
    final List<DeliveryEvent> captured = new CopyOnWriteArrayList<>();

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
    public void suppressed(DeliveryEvent e) {
      suppressed.add(e);
    }

    @Override
    public void captured(DeliveryEvent e) {
      captured.add(e);
    }
  }
}
