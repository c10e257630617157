package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.DummySSLServerSocketFactory;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.internal.MimeRenderer;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Happy paths against GreenMail, a real SMTP server in the same JVM. */
@Timeout(30)
class GreenMailRelayTest {
  private GreenMail greenMail;
  private SmtpTransport transport;

  @BeforeAll
  static void useGeneratedCertificate() throws Exception {
    TestCertificates certs = TestCertificates.localhost();
    System.setProperty(
        DummySSLServerSocketFactory.GREENMAIL_KEYSTORE_FILE_PROPERTY,
        certs.keyStoreFile.toString());
    System.setProperty(
        DummySSLServerSocketFactory.GREENMAIL_KEYSTORE_PASSWORD_PROPERTY,
        new String(TestCertificates.PASSWORD));
    System.setProperty(
        DummySSLServerSocketFactory.GREENMAIL_KEY_PASSWORD_PROPERTY,
        new String(TestCertificates.PASSWORD));
  }

  @AfterEach
  void stop() {
    if (transport != null) {
      transport.close();
    }
    if (greenMail != null) {
      greenMail.stop();
    }
  }

  private int start(String protocol) {
    greenMail =
        new GreenMail(new ServerSetup(0, "127.0.0.1", protocol).dynamicPort())
            .withConfiguration(
                GreenMailConfiguration.aConfig().withUser("user@example.com", "user", "pw"));
    greenMail.start();
    return protocol.equals(ServerSetup.PROTOCOL_SMTPS)
        ? greenMail.getSmtps().getPort()
        : greenMail.getSmtp().getPort();
  }

  @Test
  void deliversTheStoredBytesWithTheirMessageId() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTP);
    transport = SmtpTransport.relay("127.0.0.1", port).ehloName("client.test").build();

    DeliveryResult r = transport.deliver(mail("one@example.com", "two@example.org"));

    assertThat(r.recipients())
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
    MimeMessage[] received = greenMail.getReceivedMessages();
    assertThat(received).hasSize(2);
    for (MimeMessage m : received) {
      assertThat(m.getMessageID()).isEqualTo(Mails.MESSAGE_ID);
      assertThat(m.getSubject()).isEqualTo("hi");
    }
  }

  /**
   * Attachments rendered by the real renderer, sent through the transport and decoded by the
   * receiving server: each arrives byte for byte. The payloads include ASCII with bare CR, bare LF
   * and NUL, which were sent as 7bit and lost their line ends to the SMTP data stream.
   */
  @Test
  void attachmentsArriveByteForByte() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTP);
    transport = SmtpTransport.relay("127.0.0.1", port).ehloName("client.test").build();
    List<byte[]> payloads = payloads(new Random(20260214));
    String[] types = {"application/octet-stream", "image/png", "text/plain"};
    MimeRenderer renderer = new MimeRenderer(64 * 1024 * 1024, null);
    for (String type : types) {
      Mail.Builder b =
          Mail.builder()
              .from("a@example.com")
              .to("user@example.com")
              .subject(type)
              .text("attached");
      for (int i = 0; i < payloads.size(); i++) {
        b.attachment("p" + i + ".bin", type, payloads.get(i));
      }
      MessageId id = MessageId.generate();
      MimeRenderer.Rendered rendered = renderer.render(b.build(), id);
      DeliveryResult r =
          transport.deliver(
              new OutboundMail(
                  id,
                  rendered.messageIdHeader(),
                  MailAddress.of("a@example.com"),
                  List.of(MailAddress.of("user@example.com")),
                  rendered.mime(),
                  1,
                  null,
                  false));
      assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    }

    MimeMessage[] received = greenMail.getReceivedMessages();
    assertThat(received).hasSize(types.length);
    for (MimeMessage m : received) {
      Multipart mixed = (Multipart) m.getContent();
      assertThat(mixed.getCount()).isEqualTo(payloads.size() + 1);
      for (int i = 0; i < payloads.size(); i++) {
        BodyPart part = mixed.getBodyPart(i + 1);
        assertThat(part.getFileName()).isEqualTo("p" + i + ".bin");
        assertThat(part.getInputStream().readAllBytes())
            .as("%s, payload %d", m.getSubject(), i)
            .isEqualTo(payloads.get(i));
      }
    }
  }

  /**
   * ASCII that looks like text but has bare CR, bare LF or NUL; only CR and LF; random bytes;
   * lengths 0 and up.
   */
  private static List<byte[]> payloads(Random random) {
    List<byte[]> payloads = new ArrayList<>();
    for (String s :
        new String[] {
          "",
          "a",
          "\r",
          "\n",
          "\n\r",
          "\r\r\n\n",
          "line1\nline2\n",
          "line1\rline2\r",
          "crlf\r\nthen bare lf\n",
          "ends with cr\r",
          "\u0000",
          "a\u0000b\r\n",
          "canonical\r\n",
          ".\r\n.\n.\r"
        }) {
      payloads.add(s.getBytes(StandardCharsets.ISO_8859_1));
    }
    for (int length : new int[] {1, 2, 3, 76, 77, 1000, 5000}) {
      byte[] onlyLineEnds = new byte[length];
      byte[] asciiWithLineEnds = new byte[length];
      byte[] anything = new byte[length];
      for (int i = 0; i < length; i++) {
        onlyLineEnds[i] = random.nextBoolean() ? (byte) '\r' : (byte) '\n';
        int c = random.nextInt(20);
        asciiWithLineEnds[i] =
            c == 0 ? (byte) '\r' : c == 1 ? (byte) '\n' : (byte) (0x20 + random.nextInt(0x5f));
      }
      random.nextBytes(anything);
      payloads.add(onlyLineEnds);
      payloads.add(asciiWithLineEnds);
      payloads.add(anything);
    }
    return payloads;
  }

  @Test
  void eightWorkersShareThePool() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTP);
    transport =
        SmtpTransport.relay("127.0.0.1", port)
            .ehloName("client.test")
            .maxConnectionsPerServer(4)
            .build();
    ExecutorService workers = Executors.newFixedThreadPool(8);
    List<Future<DeliveryResult>> results = new ArrayList<>();
    try {
      for (int i = 0; i < 160; i++) {
        String rcpt = "r" + i + "@example.com";
        results.add(workers.submit(() -> transport.deliver(mail(rcpt))));
      }
      for (Future<DeliveryResult> f : results) {
        assertThat(f.get().recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      }
    } finally {
      workers.shutdownNow();
    }
    assertThat(greenMail.waitForIncomingEmail(5_000, 160)).isTrue();
    assertThat(transport.idleConnections(0)).isBetween(1, 4);
  }

  @Test
  void implicitTlsWithAuthPlain() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTPS);
    transport =
        SmtpTransport.relay("127.0.0.1", port)
            .security(Security.IMPLICIT_TLS)
            .credentials("user", "pw")
            .trustStore(TestCertificates.localhost().trustStore())
            .readTimeout(Duration.ofSeconds(5))
            .build();

    DeliveryResult r = transport.deliver(mail("user@example.com"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(greenMail.getReceivedMessages()).hasSize(1);
    assertThat(greenMail.getReceivedMessages()[0].getMessageID()).isEqualTo(Mails.MESSAGE_ID);
  }

  @Test
  void wrongPasswordIsNotCounted() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTPS);
    transport =
        SmtpTransport.relay("127.0.0.1", port)
            .security(Security.IMPLICIT_TLS)
            .credentials("user", "wrong")
            .trustStore(TestCertificates.localhost().trustStore())
            .readTimeout(Duration.ofSeconds(5))
            .build();

    DeliveryResult r = transport.deliver(mail("user@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(r.recipients().get(0).reply().code()).isEqualTo(535);
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }
}
