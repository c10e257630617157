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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SMTPUTF8 against a real Postfix smtpd: one with {@code smtputf8_enable = yes}, one with
 * {@code no}. Runs only where such an instance was started for it, as
 * {@code src/test/resources/postfix/smtputf8-drill.sh} does (it needs root and Postfix), which
 * passes {@code MAILQUEUE_POSTFIX_SMTPUTF8} and {@code MAILQUEUE_POSTFIX_NO_SMTPUTF8}
 * ({@code host:port} of each smtpd) and {@code MAILQUEUE_POSTFIX_MAILLOG} (the instance's
 * {@code maillog_file}); skipped everywhere else.
 */
@Timeout(60)
class PostfixSmtpUtf8Test {
  private static final String LATIN = "j\u00fcrg@example.com";
  private static final String TRUNCATES = "a\u0140\u013e\u0120ORCPT=x@example.com";
  private static final String SENDER = "\u0140ouis@example.com";
  private static final Pattern QUEUED_AS = Pattern.compile("queued as ([0-9A-Za-z]+)");

  private String utf8Server;
  private String asciiServer;
  private Path maillog;
  private SmtpTransport transport;

  @BeforeEach
  void findThePostfixInstance() {
    utf8Server = System.getenv("MAILQUEUE_POSTFIX_SMTPUTF8");
    asciiServer = System.getenv("MAILQUEUE_POSTFIX_NO_SMTPUTF8");
    String log = System.getenv("MAILQUEUE_POSTFIX_MAILLOG");
    assumeTrue(utf8Server != null && asciiServer != null && log != null, "no Postfix instance for this test: "
        + "run queue-smtp/src/test/resources/postfix/smtputf8-drill.sh (needs root and Postfix)");
    maillog = Path.of(log);
  }

  @AfterEach
  void stop() {
    if (transport != null) {
      transport.close();
    }
  }

  private static SmtpTransport relay(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return SmtpTransport.relay(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))
        .security(Security.NONE).ehloName("client.test").connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(10)).attemptDeadline(Duration.ofSeconds(30)).build();
  }

  private static OutboundMail utf8Mail(String from, String... recipients) {
    byte[] mime = ("From: " + from + "\r\nTo: " + String.join(", ", recipients) + "\r\nSubject: drill\r\nMessage-ID: "
        + Mails.MESSAGE_ID + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8);
    List<MailAddress> rcpts = Arrays.stream(recipients).map(MailAddress::of).toList();
    return new OutboundMail(MessageId.generate(), Mails.MESSAGE_ID, MailAddress.of(from), rcpts, mime, 1, null, true);
  }

  private String log() throws IOException {
    return new String(Files.readAllBytes(maillog), StandardCharsets.UTF_8);
  }

  @Test
  void postfixAcceptsTheUtf8EnvelopeAndLogsTheAddressesAsSent() {
    transport = relay(utf8Server);

    DeliveryResult r = transport.deliver(utf8Mail(SENDER, LATIN, TRUNCATES));

    assertThat(r.recipients()).extracting(RecipientOutcome::status)
        .containsExactly(RecipientStatus.DELIVERED, RecipientStatus.DELIVERED);
    Matcher m = QUEUED_AS.matcher(r.recipients().get(0).reply().text());
    assertThat(m.find()).as("Postfix's reply to the end of data: %s", r.recipients().get(0).reply()).isTrue();
    String queueId = m.group(1);
    // Postfix's own record of the envelope it received (the discard transport logs each recipient).
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(log())
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

    assertThat(r.recipients()).singleElement().satisfies(o -> {
      assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
      assertThat(o.reply().enhancedStatus()).isEqualTo("5.6.7");
    });
    // Postfix counts the commands of each session when it ends: EHLO and QUIT only.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(log().substring(before))
        .containsPattern("postfix-ascii/smtpd\\[\\d+\\]: disconnect from \\S+ ehlo=1 quit=1 commands=2"));
  }
}
