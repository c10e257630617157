package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import jakarta.mail.Address;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SMTPUTF8 (RFC 6531) over real SMTP on 127.0.0.1: the bytes of the envelope as the server receives
 * them, with and without the extension on either side.
 */
@Timeout(20)
class SmtpUtf8TransportTest {
  /** {@code ü}: written as a cast char it is the Latin-1 byte 0xFC, which is not UTF-8. */
  private static final String LATIN = "j\u00fcrg@example.com";

  /**
   * {@code ŀ}, {@code ľ}, {@code Ġ}: cast to a byte each they are {@code @}, {@code >} and a space,
   * so an ASCII encoder that truncates makes {@code RCPT TO:<a@> ORCPT=x@example.com>} of it.
   */
  private static final String TRUNCATES = "a\u0140\u013e\u0120ORCPT=x@example.com";

  private ScriptedSmtpServer server;
  private SmtpTransport transport;

  @BeforeEach
  void start() throws IOException {
    server = new ScriptedSmtpServer();
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    server.close();
  }

  private static RelayBuilder plain(int port) {
    return SmtpTransport.relay("127.0.0.1", port)
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(2))
        .attemptDeadline(Duration.ofSeconds(10));
  }

  private DeliveryResult send(OutboundMail mail) {
    if (transport == null) {
      transport = plain(server.port()).build();
    }
    return transport.deliver(mail);
  }

  private static OutboundMail mail(boolean smtpUtf8, String from, String... recipients) {
    byte[] mime =
        ("From: "
                + from
                + "\r\nTo: "
                + String.join(", ", recipients)
                + "\r\nSubject: Grüße\r\nMessage-ID: "
                + Mails.MESSAGE_ID
                + "\r\n\r\nbody\r\n")
            .getBytes(StandardCharsets.UTF_8);
    List<MailAddress> rcpts = Arrays.stream(recipients).map(MailAddress::of).toList();
    return new OutboundMail(
        MessageId.generate(),
        Mails.MESSAGE_ID,
        MailAddress.of(from),
        rcpts,
        mime,
        1,
        null,
        smtpUtf8);
  }

  /**
   * The octets of {@code command} in UTF-8 and CRLF, one char per octet (a readable, byte-exact
   * comparison).
   */
  private static String line(String command) {
    return octets((command + "\r\n").getBytes(StandardCharsets.UTF_8));
  }

  private static String octets(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static boolean hasNonAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return true;
      }
    }
    return false;
  }

  @Test
  void withTheExtensionTheEnvelopeGoesOutInUtf8AndMailFromCarriesSmtpUtf8() {
    server.offerSmtpUtf8(true);
    OutboundMail mail = mail(true, "\u0140ouis@example.com", LATIN, TRUNCATES);

    DeliveryResult r = send(mail);

    assertThat(r.recipients())
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
    ScriptedSmtpServer.Connection c = server.connection(0);
    assertThat(octets(c.rawCommand("MAIL FROM:")))
        .isEqualTo(line("MAIL FROM:<\u0140ouis@example.com> SMTPUTF8"));
    assertThat(octets(c.rawCommand("RCPT TO:<j"))).isEqualTo(line("RCPT TO:<" + LATIN + ">"));
    assertThat(octets(c.rawCommand("RCPT TO:<a"))).isEqualTo(line("RCPT TO:<" + TRUNCATES + ">"));
    assertThat(c.data())
        .singleElement()
        .satisfies(
            d ->
                assertThat(new String(d, StandardCharsets.UTF_8))
                    .startsWith(
                        "From: \u0140ouis@example.com\r\nTo: "
                            + LATIN
                            + ", "
                            + TRUNCATES
                            + "\r\nSubject: Grüße\r\n"));
  }

  @Test
  void withoutTheExtensionNothingIsSentAndEveryRecipientBouncesWith567() {
    DeliveryResult r = send(mail(true, "sender@example.com", LATIN, "ascii@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients())
        .hasSize(2)
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
              assertThat(o.reply().code()).isEqualTo(550);
              assertThat(o.reply().enhancedStatus()).isEqualTo("5.6.7");
              assertThat(o.reply().text())
                  .startsWith("local: ")
                  .contains("SMTPUTF8")
                  .contains("127.0.0.1");
            });
    assertThat(server.connection(0).sawCommand("MAIL")).isFalse();
    assertThat(server.connection(0).sawCommand("RCPT")).isFalse();

    // The connection said nothing wrong and is kept for the next message.
    assertThat(send(Mails.mail("b@example.com")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).hasSize(1);
  }

  @Test
  void asciiMailCarriesNoSmtpUtf8ParameterWhenTheServerOffersIt() {
    server.offerSmtpUtf8(true);

    DeliveryResult r = send(Mails.mail("b@example.com"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(octets(server.connection(0).rawCommand("MAIL FROM:")))
        .isEqualTo(line("MAIL FROM:<sender@example.com>"));
  }

  @Test
  void theParameterBelongsToOneTransactionOnASharedConnection() {
    server.offerSmtpUtf8(true);

    send(Mails.mail("one@example.com"));
    send(mail(true, "sender@example.com", LATIN));
    send(Mails.mail("three@example.com"));

    assertThat(server.connections()).hasSize(1);
    assertThat(server.connection(0).rawCommands())
        .filteredOn(b -> b[0] == 'M')
        .extracting(SmtpUtf8TransportTest::octets)
        .containsExactly(
            line("MAIL FROM:<sender@example.com>"),
            line("MAIL FROM:<sender@example.com> SMTPUTF8"),
            line("MAIL FROM:<sender@example.com>"));
    assertThat(server.connection(0).data()).hasSize(3);
  }

  @Test
  void aNonAsciiAddressInMailNotMarkedSmtpUtf8IsRefusedNeverTruncated() {
    server.offerSmtpUtf8(true);

    DeliveryResult latin = send(mail(false, "sender@example.com", LATIN));
    DeliveryResult truncating =
        send(mail(false, "sender@example.com", "ok@example.com", TRUNCATES));
    DeliveryResult sender = send(mail(false, "\u0140ouis@example.com", "ok@example.com"));

    for (DeliveryResult r : List.of(latin, truncating, sender)) {
      assertThat(r.recipients())
          .allSatisfy(
              o -> {
                assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
                assertThat(o.reply())
                    .extracting(SmtpReply::code, SmtpReply::enhancedStatus)
                    .containsExactly(550, "5.6.7");
              });
    }
    assertThat(server.connections())
        .allSatisfy(
            c -> {
              assertThat(c.sawCommand("MAIL")).isFalse();
              assertThat(hasNonAscii(c.raw())).isFalse();
            });
  }

  @Test
  void theClientRefusesToWriteANonAsciiCommandOutsideAUtf8Transaction() throws Exception {
    server.offerSmtpUtf8(true);
    Session session = Session.getInstance(new Properties());
    RecordingSmtpTransport t =
        new RecordingSmtpTransport(
            session,
            new URLName("smtp", "127.0.0.1", server.port(), null, null, null),
            "smtp",
            false);
    StoredMessage message =
        new StoredMessage(
            session,
            Mails.mime("body\r\n").getBytes(StandardCharsets.US_ASCII),
            "sender@example.com",
            false);
    InternetAddress rcpt = new InternetAddress();
    rcpt.setAddress(TRUNCATES);
    t.connect("127.0.0.1", server.port(), null, null);
    try {
      t.begin(true, false);
      assertThatThrownBy(() -> t.sendMessage(message, new Address[] {rcpt}))
          .isInstanceOf(RecordingSmtpTransport.NonAsciiCommandException.class);
      assertThat(t.isBroken()).as("the transaction is open half way").isTrue();
    } finally {
      t.close();
    }
    ScriptedSmtpServer.Connection c = server.connection(0);
    assertThat(c.closed.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(c.sawCommand("MAIL FROM:<sender@example.com>")).isTrue();
    assertThat(c.sawCommand("RCPT")).isFalse();
    assertThat(hasNonAscii(c.raw())).isFalse();
  }

  @Test
  void aRelayWithoutTheExtensionPassesTheMailToTheFailoverRelay() throws IOException {
    try (ScriptedSmtpServer offering = new ScriptedSmtpServer().offerSmtpUtf8(true)) {
      transport = plain(server.port()).failover("127.0.0.1", offering.port()).build();

      DeliveryResult r = transport.deliver(mail(true, "sender@example.com", LATIN));

      assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(server.connection(0).sawCommand("MAIL")).isFalse();
      assertThat(octets(offering.connection(0).rawCommand("RCPT")))
          .isEqualTo(line("RCPT TO:<" + LATIN + ">"));
    }
  }

  @Test
  void directModeTriesTheNextMxAndBouncesWhenNoneOffersTheExtension() throws IOException {
    try (ScriptedSmtpServer mx2 = new ScriptedSmtpServer()) {
      InetSocketAddress first =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
      InetSocketAddress second =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), mx2.port());
      MxLookup hosts =
          MxLookup.hosts(
              MxHost.of("mx1.example.com", 10, first), MxHost.of("mx2.example.com", 20, second));
      transport =
          SmtpTransport.direct()
              .mxResolver(d -> hosts)
              .allowDestinations("127.0.0.1")
              .security(Security.NONE)
              .ehloName("client.test")
              .connectTimeout(Duration.ofSeconds(2))
              .readTimeout(Duration.ofSeconds(2))
              .attemptDeadline(Duration.ofSeconds(10))
              .build();

      DeliveryResult bounced = transport.deliver(mail(true, "sender@example.com", LATIN));

      RecipientOutcome o = bounced.recipients().get(0);
      assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
      assertThat(o.reply().enhancedStatus()).isEqualTo("5.6.7");
      assertThat(o.reply().text()).contains("mx2.example.com");
      assertThat(server.connection(0).sawCommand("MAIL")).isFalse();
      assertThat(mx2.connection(0).sawCommand("MAIL")).isFalse();

      mx2.offerSmtpUtf8(true);
      transport.close();
      transport =
          SmtpTransport.direct()
              .mxResolver(d -> hosts)
              .allowDestinations("127.0.0.1")
              .security(Security.NONE)
              .ehloName("client.test")
              .build();

      DeliveryResult delivered = transport.deliver(mail(true, "sender@example.com", LATIN));

      assertThat(delivered.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(delivered.remoteHost()).startsWith("mx2.example.com");
      assertThat(octets(mx2.connection(1).rawCommand("RCPT")))
          .isEqualTo(line("RCPT TO:<" + LATIN + ">"));
    }
  }
}
