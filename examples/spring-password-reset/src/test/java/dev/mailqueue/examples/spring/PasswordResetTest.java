package dev.mailqueue.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.spring.TransactionalMailQueue;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The application on H2, delivering to GreenMail on a free port of 127.0.0.1. Its workers poll only
 * once an hour, so delivery within seconds comes from the wake-up after each commit.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "mailqueue.smtp.host=127.0.0.1",
      "mailqueue.smtp.security=none",
      "mailqueue.smtp.ehlo-name=app.test",
      "mailqueue.workers=2",
      "mailqueue.poll-interval=1h",
      "mailqueue.shutdown-timeout=5s",
      "spring.main.banner-mode=off"
    })
@ActiveProfiles("test") // not the default "demo": no seeded user, no sink of the application's own
class PasswordResetTest {
  private static final String ALICE = "alice@example.org";
  private static final Duration A_FEW_SECONDS = Duration.ofSeconds(5);
  private static final Pattern TOKEN = Pattern.compile("Your reset code: ([A-Za-z0-9_-]{43})");
  private static final GreenMail smtp = startSmtpServer();

  @Autowired PasswordResetService resets;
  @Autowired TransactionalMailQueue queue;
  @Autowired JdbcTemplate jdbc;
  @Autowired MailQueue mailQueue;
  @Autowired PlatformTransactionManager transactions;
  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();

  @DynamicPropertySource
  static void relayPort(DynamicPropertyRegistry registry) {
    registry.add("mailqueue.smtp.port", () -> smtp.getSmtp().getPort());
  }

  private static GreenMail startSmtpServer() {
    GreenMail greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    return greenMail;
  }

  @AfterAll
  static void stopSmtpServer() {
    smtp.stop();
  }

  @BeforeEach
  void oneUserNoMail() throws Exception {
    jdbc.update("DELETE FROM password_reset");
    jdbc.update("DELETE FROM users");
    jdbc.update("INSERT INTO users (email) VALUES (?)", ALICE);
    smtp.purgeEmailFromAllMailboxes();
  }

  @Test
  void resetMailWithAValidTokenArrivesWithinSeconds() throws Exception {
    MessageId id = resets.requestReset(ALICE);

    await().atMost(A_FEW_SECONDS).until(() -> smtp.getReceivedMessages().length == 1);
    MimeMessage mail = smtp.getReceivedMessages()[0];
    assertThat(recipients(mail)).containsExactly(ALICE);
    assertThat(mail.getSubject()).isEqualTo("Reset your password");
    assertThat(resets.emailForToken(token(mail))).contains(ALICE);
    assertThat(resets.emailForToken("not-a-token")).isEmpty();

    MessageView queued = queue.queue().find(id).orElseThrow();
    assertThat(queued.tag()).isEqualTo("password-reset");
    assertThat(queued.priority()).isEqualTo(Priority.HIGH);
    assertThat(Duration.between(queued.createdAt(), queued.expiresAt()))
        .isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void unknownUserStoresNothingAndSendsNothing() {
    String key = UUID.randomUUID().toString();
    // the service queues the mail before it looks the user up: only the rollback keeps it from
    // leaving
    assertThatThrownBy(() -> resets.requestReset("mallory@example.org", key))
        .isInstanceOf(UnknownUserException.class);
    assertThat(messagesWithKey(key)).isZero();
    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM password_reset", Integer.class)).isZero();

    // a later committed request is delivered alone: the rolled-back mail never existed
    resets.requestReset(ALICE);
    await().atMost(A_FEW_SECONDS).until(() -> smtp.getReceivedMessages().length >= 1);
    assertThat(Arrays.stream(smtp.getReceivedMessages()).flatMap(m -> recipients(m).stream()))
        .containsExactly(ALICE);
  }

  /**
   * Injecting MailQueue rather than TransactionalMailQueue is no mistake: its enqueue joins the
   * transaction too.
   */
  @Test
  void theMailQueueBeanSendsNothingForARolledBackTransaction() {
    TransactionTemplate tx = new TransactionTemplate(transactions);
    tx.executeWithoutResult(
        status -> {
          mailQueue.enqueue(
              Mail.builder()
                  .from("shop@example.com")
                  .to("mallory@example.org")
                  .subject("rolled back")
                  .text("never sent")
                  .build());
          status.setRollbackOnly();
        });
    assertThat(
            jdbc.queryForObject(
                "SELECT COUNT(*) FROM mq_message m JOIN mq_recipient r ON r.message_id = m.id "
                    + "WHERE r.address = ?",
                Integer.class,
                "mallory@example.org"))
        .isZero();

    // a later committed mail is delivered alone: the rolled-back one never existed
    tx.executeWithoutResult(
        status ->
            mailQueue.enqueue(
                Mail.builder()
                    .from("shop@example.com")
                    .to(ALICE)
                    .subject("committed")
                    .text("sent")
                    .build()));
    await().atMost(A_FEW_SECONDS).until(() -> smtp.getReceivedMessages().length >= 1);
    assertThat(Arrays.stream(smtp.getReceivedMessages()).flatMap(m -> recipients(m).stream()))
        .containsExactly(ALICE);
  }

  @Test
  void aRepeatedRequestStoresOneMessageAndOneToken() throws Exception {
    String key = UUID.randomUUID().toString();
    MessageId first = resets.requestReset(ALICE, key);
    MessageId repeated = resets.requestReset(ALICE, key);

    assertThat(repeated).isEqualTo(first);
    assertThat(messagesWithKey(key)).isEqualTo(1);
    assertThat(
            jdbc.queryForObject(
                "SELECT COUNT(*) FROM password_reset WHERE request_key = ?", Integer.class, key))
        .isEqualTo(1);

    // a request with another key, committed after the repetition, is the second and last mail
    resets.requestReset(ALICE, UUID.randomUUID().toString());
    await().atMost(A_FEW_SECONDS).until(() -> smtp.getReceivedMessages().length >= 2);
    assertThat(smtp.getReceivedMessages()).hasSize(2);
    // the mail of the first request carries the token that was stored for it
    for (MimeMessage mail : smtp.getReceivedMessages()) {
      assertThat(resets.emailForToken(token(mail))).contains(ALICE);
    }
  }

  @Test
  void endpointAcceptsKnownAndUnknownAddressesAlikeAndRefusesMalformedOnes() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(post(ALICE, key)).isEqualTo(202);
    assertThat(post(ALICE, key)).isEqualTo(202);
    assertThat(post("mallory@example.org", null)).isEqualTo(202);
    assertThat(post("not-an-address", null)).isEqualTo(400);
    assertThat(post(ALICE, "x".repeat(PasswordResetService.MAX_REQUEST_KEY_LENGTH + 1)))
        .isEqualTo(400);

    assertThat(messagesWithKey(key)).isEqualTo(1);
    await().atMost(A_FEW_SECONDS).until(() -> smtp.getReceivedMessages().length >= 1);
    assertThat(Arrays.stream(smtp.getReceivedMessages()).flatMap(m -> recipients(m).stream()))
        .containsExactly(ALICE);
  }

  @Test
  void theQueueIsNotReachableOverHttpWithoutAuthenticationAndHealthNamesNoRecipient()
      throws Exception {
    MessageId id = resets.requestReset(ALICE);

    assertThat(get("/actuator/mailqueue").statusCode()).isEqualTo(404);
    assertThat(get("/actuator/mailqueue/" + id).statusCode()).isEqualTo(404);
    assertThat(get("/actuator").body()).doesNotContain("mailqueue");
    HttpResponse<String> health = get("/actuator/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body())
        .contains("\"mailqueue\"")
        .doesNotContain(ALICE)
        .doesNotContain("alice");
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private int post(String email, String idempotencyKey) throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/password-reset?email=" + email))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private int messagesWithKey(String requestKey) {
    // the queue's own table: the idempotency key is the tag and the request key
    Integer n =
        jdbc.queryForObject(
            "SELECT COUNT(*) FROM mq_message WHERE idempotency_key = ?",
            Integer.class,
            PasswordResetService.TAG + ":" + requestKey);
    return n == null ? 0 : n;
  }

  private static String token(MimeMessage mail) throws IOException, MessagingException {
    Matcher m = TOKEN.matcher((String) mail.getContent());
    assertThat(m.find()).as("a reset code in the mail").isTrue();
    return m.group(1);
  }

  private static List<String> recipients(MimeMessage mail) {
    try {
      Address[] to = mail.getAllRecipients();
      return to == null ? List.of() : Arrays.stream(to).map(Address::toString).toList();
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }
}
