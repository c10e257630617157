package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SMTPUTF8 against a real Postfix smtpd: one with {@code smtputf8_enable = yes}, one with {@code
 * no}. Starts a {@link PrivatePostfix} for the class where Postfix is installed and the tests run
 * as root; skipped elsewhere, unless {@code MAILQUEUE_REQUIRE_POSTFIX=true} (CI), which makes that
 * a failure. An instance started by hand is used instead when {@code MAILQUEUE_POSTFIX_SMTPUTF8}
 * and {@code MAILQUEUE_POSTFIX_NO_SMTPUTF8} ({@code host:port} of each smtpd) and {@code
 * MAILQUEUE_POSTFIX_MAILLOG} (its {@code maillog_file}) are set, as {@code
 * src/test/resources/postfix/smtputf8-drill.sh} does.
 */
@Timeout(60)
class PostfixSmtpUtf8Test {
  private static final String LATIN = "j\u00fcrg@example.com";
  private static final String TRUNCATES = "a\u0140\u013e\u0120ORCPT=x@example.com";
  private static final String SENDER = "\u0140ouis@example.com";
  private static final Pattern QUEUED_AS = Pattern.compile("queued as ([0-9A-Za-z]+)");
  private static final List<String> BY_HAND =
      List.of(
          "MAILQUEUE_POSTFIX_SMTPUTF8",
          "MAILQUEUE_POSTFIX_NO_SMTPUTF8",
          "MAILQUEUE_POSTFIX_MAILLOG");

  private static Optional<String> unavailable = Optional.empty();
  private static PrivatePostfix postfix;
  private static String utf8Server;
  private static String asciiServer;
  private static Path maillog;
  private SmtpTransport transport;

  @BeforeAll
  static void findOrStartPostfix() {
    List<String> set = BY_HAND.stream().filter(name -> System.getenv(name) != null).toList();
    if (!set.isEmpty()) {
      if (set.size() < BY_HAND.size()) {
        throw new IllegalStateException(
            "an instance started by hand needs all of " + BY_HAND + "; only " + set + " are set");
      }
      utf8Server = System.getenv(BY_HAND.get(0));
      asciiServer = System.getenv(BY_HAND.get(1));
      maillog = Path.of(System.getenv(BY_HAND.get(2)));
      return;
    }
    unavailable = PrivatePostfix.unavailable();
    if (unavailable.isEmpty()) {
      postfix = PrivatePostfix.start();
      utf8Server = postfix.smtpUtf8Server();
      asciiServer = postfix.asciiServer();
      maillog = postfix.maillog();
    }
  }

  // Not in @BeforeAll: Surefire reports an assumption that fails there as no test at all, without
  // the reason.
  @BeforeEach
  void skipWithoutPostfix() {
    assumeTrue(unavailable.isEmpty(), unavailable::orElseThrow);
  }

  @AfterAll
  static void stopPostfix() {
    if (postfix != null) {
      postfix.close();
      postfix = null;
    }
  }

  @AfterEach
  void stop() {
    if (transport != null) {
      transport.close();
    }
  }

  private static SmtpTransport relay(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return SmtpTransport.relay(
            hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(10))
        .attemptDeadline(Duration.ofSeconds(30))
        .build();
  }

  private static OutboundMail utf8Mail(String from, String... recipients) {
    byte[] mime =
        ("From: "
                + from
                + "\r\nTo: "
                + String.join(", ", recipients)
                + "\r\nSubject: drill\r\nMessage-ID: "
                + Mails.MESSAGE_ID
                + "\r\n\r\nbody\r\n")
            .getBytes(StandardCharsets.UTF_8);
    List<MailAddress> rcpts = Arrays.stream(recipients).map(MailAddress::of).toList();
    return new OutboundMail(
        MessageId.generate(), Mails.MESSAGE_ID, MailAddress.of(from), rcpts, mime, 1, null, true);
  }

  private String log() throws IOException {
    return new String(Files.readAllBytes(maillog), StandardCharsets.UTF_8);
  }

  @Test
  void postfixAcceptsTheUtf8EnvelopeAndLogsTheAddressesAsSent() {
    transport = relay(utf8Server);

    DeliveryResult r = transport.deliver(utf8Mail(SENDER, LATIN, TRUNCATES));

    assertThat(r.recipients())
        .extracting(RecipientOutcome::status)
        .containsExactly(RecipientStatus.DELIVERED, RecipientStatus.DELIVERED);
    Matcher m = QUEUED_AS.matcher(r.recipients().get(0).reply().text());
    assertThat(m.find())
        .as("Postfix's reply to the end of data: %s", r.recipients().get(0).reply())
        .isTrue();
    String queueId = m.group(1);
    // Postfix's own record of the envelope it received (the discard transport logs each recipient).
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(log())
                    .contains(queueId + ": from=<" + SENDER + ">")
                    .contains(queueId + ": to=<" + LATIN + ">")
                    .contains(queueId + ": to=<" + TRUNCATES + ">"));
  }

  @Test
  void postfixWithoutSmtpUtf8IsSentNoMailCommandAndTheRecipientsBounceWith567() throws IOException {
    int before = log().length();
    transport = relay(asciiServer);

    DeliveryResult r = transport.deliver(utf8Mail("sender@example.com", LATIN));
    transport.close();

    assertThat(r.recipients())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
              assertThat(o.reply().enhancedStatus()).isEqualTo("5.6.7");
            });
    // Postfix counts the commands of each session when it ends: EHLO and QUIT only.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(log().substring(before))
                    .containsPattern(
                        "postfix-ascii/smtpd\\[\\d+\\]: disconnect from \\S+ ehlo=1 quit=1 commands=2"));
  }
}
