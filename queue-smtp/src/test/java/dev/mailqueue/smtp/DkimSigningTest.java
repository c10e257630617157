package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.internal.MimeRenderer;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mail signed by the transport arrives at a real SMTP peer ({@link ScriptedSmtpServer}) with a
 * signature that an independent verifier (dkimpy, {@link DkimVerifier}) accepts, the public key
 * served by a test DNS server ({@link DnsStub}): every mail shape, RSA and Ed25519.
 */
class DkimSigningTest {
  private static DkimKey rsa;
  private static DkimKey ed25519;

  private DnsStub dns;
  private ScriptedSmtpServer server;
  private SmtpTransport transport;

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    rsa = DkimKey.of("example.com", "rsa2026", g.generateKeyPair().getPrivate());
    ed25519 =
        DkimKey.of(
            "example.com",
            "ed2026",
            KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate());
  }

  @BeforeEach
  void start() throws IOException {
    DkimVerifier.assumeAvailable();
    dns = new DnsStub();
    dns.txt(rsa.dnsName(), rsa.dnsRecord()).txt(ed25519.dnsName(), ed25519.dnsRecord());
    server = new ScriptedSmtpServer().offerSmtpUtf8(true);
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    server.close();
    dns.close();
  }

  static Stream<Arguments> shapes() {
    List<Arguments> out = new ArrayList<>();
    for (String keys : List.of("rsa", "ed25519", "both")) {
      for (Shape s : Shape.values()) {
        out.add(Arguments.of(keys, s));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("shapes")
  void everyMailShapeVerifies(String keys, Shape shape) throws Exception {
    DkimSigning.Builder b = DkimSigning.builder().checkDnsAtStart(false);
    if (!keys.equals("ed25519")) {
      b.key(rsa);
    }
    if (!keys.equals("rsa")) {
      b.key(ed25519);
    }
    byte[] received = sendAndReceive(b.build(), shape.mail.get());

    assertThat(signatureCount(received)).isEqualTo(keys.equals("both") ? 2 : 1);
    DkimVerifier.Verdict v = DkimVerifier.verify(received, dns.address());
    assertThat(v.passed()).as(v.output()).isTrue();
  }

  @Test
  void fromIsOverSignedSoThatAnAddedFromBreaksTheSignature() throws Exception {
    byte[] received =
        sendAndReceive(DkimSigning.builder().key(rsa).checkDnsAtStart(false).build(), text());
    assertThat(new String(received, StandardCharsets.US_ASCII)).contains("h=from:from:to:");
    assertThat(DkimVerifier.verify(received, dns.address()).passed()).isTrue();

    byte[] forged = insertAfterSignature(received, "From: ceo@example.com\r\n");
    assertThat(DkimVerifier.verify(forged, dns.address()).passed()).isFalse();
  }

  @Test
  void aChangedBodyFailsVerification() throws Exception {
    byte[] received =
        sendAndReceive(DkimSigning.builder().key(ed25519).checkDnsAtStart(false).build(), text());
    String s = new String(received, StandardCharsets.US_ASCII);
    byte[] changed = s.replace("Hello", "Hallo").getBytes(StandardCharsets.US_ASCII);

    assertThat(DkimVerifier.verify(changed, dns.address()).passed()).isFalse();
  }

  @Test
  void aSubdomainIsSignedByItsParentsKeyAndAnUnknownDomainGoesUnsigned() throws Exception {
    DkimSigning signing = DkimSigning.builder().key(rsa).checkDnsAtStart(false).build();
    byte[] sub =
        sendAndReceive(signing, rendered(Mail.builder().from("n@news.example.com").text("x")));
    assertThat(new String(sub, StandardCharsets.US_ASCII)).contains("d=example.com;");
    assertThat(DkimVerifier.verify(sub, dns.address()).passed()).isTrue();

    transport.close();
    transport = null;
    byte[] other =
        sendAndReceive(signing, rendered(Mail.builder().from("a@example.org").text("x")));
    assertThat(signatureCount(other)).isZero();
  }

  @Test
  void theFallbackDomainSignsMailFromDomainsWithoutAKey() throws Exception {
    DkimSigning signing =
        DkimSigning.builder()
            .key(ed25519)
            .fallbackDomain("example.com")
            .checkDnsAtStart(false)
            .build();
    byte[] received =
        sendAndReceive(signing, rendered(Mail.builder().from("a@example.org").text("x")));

    assertThat(new String(received, StandardCharsets.US_ASCII)).contains("d=example.com;");
    assertThat(DkimVerifier.verify(received, dns.address()).passed()).isTrue();
  }

  @Test
  void keysFromOpensslPemFilesSign() throws Exception {
    DkimKey pkcs1 = DkimKey.fromPem("example.com", "pkcs1", DkimKeyTest.resource("rsa-pkcs1.pem"));
    DkimKey ed = DkimKey.fromPem("example.com", "edpem", DkimKeyTest.resource("ed25519.pem"));
    dns.txt(pkcs1.dnsName(), pkcs1.dnsRecord()).txt(ed.dnsName(), ed.dnsRecord());

    byte[] received =
        sendAndReceive(
            DkimSigning.builder().key(pkcs1).key(ed).checkDnsAtStart(false).build(), text());

    assertThat(signatureCount(received)).isEqualTo(2);
    DkimVerifier.Verdict v = DkimVerifier.verify(received, dns.address());
    assertThat(v.passed()).as(v.output()).isTrue();
  }

  @Test
  void eachAttemptIsSignedAgainAndTheStoredBytesStayUnsigned() throws Exception {
    OutboundMail mail = text();
    byte[] stored = mail.mime().clone();
    transport =
        SmtpTransport.relay("127.0.0.1", server.port())
            .security(Security.NONE)
            .ehloName("client.test")
            .dkim(DkimSigning.builder().key(rsa).checkDnsAtStart(false).build())
            .build();
    transport.deliver(mail);
    transport.deliver(mail);

    assertThat(mail.mime()).isEqualTo(stored);
    assertThat(server.allData()).hasSize(2);
    for (byte[] d : server.allData()) {
      assertThat(signatureCount(DkimVerifier.unstuffed(d))).isEqualTo(1);
    }
  }

  @Test
  void theStartUpCheckFindsPublishedMissingAndDifferentKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
    DkimKey missing = DkimKey.of("example.com", "missing", g.generateKeyPair().getPrivate());
    DkimKey other = DkimKey.of("example.com", "other", g.generateKeyPair().getPrivate());
    dns.txt(other.dnsName(), ed25519.dnsRecord());
    DkimSigning signing =
        DkimSigning.builder()
            .key(ed25519)
            .key(missing)
            .key(other)
            .dnsServers(dns.address())
            .dnsTimeout(Duration.ofSeconds(2))
            .build();
    transport =
        SmtpTransport.relay("127.0.0.1", server.port())
            .security(Security.NONE)
            .ehloName("client.test")
            .dkim(signing)
            .build();

    List<DkimKeyCheck.Result> results = transport.dkimCheck().get();

    assertThat(results)
        .extracting(DkimKeyCheck.Result::status)
        .containsExactly(
            DkimKeyCheck.Status.MATCHES,
            DkimKeyCheck.Status.NOT_PUBLISHED,
            DkimKeyCheck.Status.MISMATCH);
    assertThat(results.get(1).detail()).contains(missing.dnsRecord());
  }

  // ---- shapes

  enum Shape {
    TEXT(DkimSigningTest::text),
    HTML(
        () ->
            rendered(
                Mail.builder()
                    .from("Newsletter <news@example.com>")
                    .text("plain part")
                    .html("<p>Hello <b>world</b></p>\n<p>  spaced   out  </p>"))),
    ATTACHMENTS(
        () -> {
          byte[] big = new byte[100 * 1024];
          new Random(6376).nextBytes(big);
          return rendered(
              Mail.builder()
                  .from("a@example.com")
                  .text("see attached")
                  .attachment("data.bin", "application/octet-stream", big)
                  .attachment(
                      "notes.txt",
                      "text/plain",
                      "line one  \r\n.dot line\r\n\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        }),
    SMTPUTF8(
        () ->
            rendered(
                Mail.builder()
                    .smtpUtf8(true)
                    .from("Jörg <jörg@example.com>")
                    .to(MailAddress.of("josé@example.net"))
                    .subject("Grüße aus Köln")
                    .text("Grüße\n"))),
    FOLDED_HEADERS(
        () -> {
          Mail.Builder b =
              Mail.builder()
                  .from("a@example.com")
                  .subject("A subject long enough to be folded ".repeat(6))
                  .header(
                      "List-Unsubscribe",
                      "<https://example.com/u/0123456789abcdef0123456789abcdef>, <mailto:u@example.com?subject=0123456789abcdef>")
                  .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
                  .text("folded");
          for (int i = 0; i < 12; i++) {
            b.cc("colleague" + i + "@example.org");
          }
          return rendered(b);
        }),
    READY_MESSAGE(DkimSigningTest::ready),
    RAW_LF_AND_TRAILING_BLANKS(
        () ->
            outbound(
                ("From: a@example.com\nTo: b@example.net\nSubject:   spaced \t out  \n"
                        + "Message-ID: <raw@example.com>\n\n"
                        + "line with trailing blanks \t \n"
                        + "  leading  and   inner   blanks\n"
                        + ".a leading dot\n"
                        + "\n\n\n")
                    .getBytes(StandardCharsets.US_ASCII))),
    HEADERS_ONLY(
        () ->
            outbound(
                "From: a@example.com\r\nTo: b@example.net\r\nSubject: empty\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));

    final Supplier<OutboundMail> mail;

    Shape(Supplier<OutboundMail> mail) {
      this.mail = mail;
    }
  }

  private static OutboundMail text() {
    return rendered(Mail.builder().from("a@example.com").subject("Hi").text("Hello\nworld\n"));
  }

  private static OutboundMail ready() {
    try {
      MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
      m.setFrom(new InternetAddress("app@example.com", "The App"));
      m.setRecipients(MimeMessage.RecipientType.TO, "b@example.net");
      m.setSubject("Built by the application", "UTF-8");
      MimeMultipart mp = new MimeMultipart("alternative");
      MimeBodyPart t = new MimeBodyPart();
      t.setText("text version\n", "UTF-8");
      MimeBodyPart h = new MimeBodyPart();
      h.setContent("<p>html version</p>", "text/html; charset=UTF-8");
      mp.addBodyPart(t);
      mp.addBodyPart(h);
      m.setContent(mp);
      return rendered(Mail.ofMimeMessage(m, MailAddress.of("bounce@example.com")));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static OutboundMail rendered(Mail.Builder b) {
    Mail mail = b.to("b@example.net").build();
    MessageId id = MessageId.generate();
    MimeRenderer.Rendered r = new MimeRenderer(64 * 1024 * 1024, null).render(mail, id);
    return new OutboundMail(
        id,
        r.messageIdHeader(),
        mail.envelopeFrom(),
        List.of(MailAddress.of("b@example.net")),
        r.mime(),
        1,
        null,
        nonAsciiHeader(r.mime()) || mail.envelopeFrom().requiresSmtpUtf8());
  }

  private static OutboundMail outbound(byte[] mime) {
    return new OutboundMail(
        MessageId.generate(),
        "<raw@example.com>",
        MailAddress.of("a@example.com"),
        List.of(MailAddress.of("b@example.net")),
        mime,
        1,
        null,
        false);
  }

  private static boolean nonAsciiHeader(byte[] mime) {
    String s = new String(mime, StandardCharsets.ISO_8859_1);
    int end = s.indexOf("\r\n\r\n");
    return s.substring(0, end < 0 ? s.length() : end).chars().anyMatch(c -> c > 127);
  }

  // ---- sending and reading back

  private byte[] sendAndReceive(DkimSigning signing, OutboundMail mail) {
    if (transport == null) {
      transport =
          SmtpTransport.relay("127.0.0.1", server.port())
              .security(Security.NONE)
              .ehloName("client.test")
              .readTimeout(Duration.ofSeconds(10))
              .dkim(signing)
              .build();
    }
    int before = server.allData().size();
    DeliveryResult r = transport.deliver(mail);
    assertThat(r.recipients())
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
    List<byte[]> data = server.allData();
    assertThat(data).hasSize(before + 1);
    return DkimVerifier.unstuffed(data.get(data.size() - 1));
  }

  private static int signatureCount(byte[] message) {
    String s = new String(message, StandardCharsets.ISO_8859_1);
    int end = s.indexOf("\r\n\r\n");
    String head = end < 0 ? s : s.substring(0, end);
    return (int)
        Arrays.stream(head.split("\r\n")).filter(l -> l.startsWith("DKIM-Signature:")).count();
  }

  private static byte[] insertAfterSignature(byte[] message, String field) {
    String s = new String(message, StandardCharsets.ISO_8859_1);
    int sig = s.indexOf("DKIM-Signature:");
    int at = sig;
    do {
      at = s.indexOf("\r\n", at) + 2;
    } while (s.charAt(at) == '\t' || s.charAt(at) == ' ');
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(s.substring(0, at).getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(field.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(s.substring(at).getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }
}
