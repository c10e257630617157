package dev.mailqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.Attachment;
import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.angus.mail.util.CRLFOutputStream;
import org.junit.jupiter.api.Test;

class MimeRendererTest {
  private final MimeRenderer renderer = new MimeRenderer(64 * 1024, null);

  private static MimeMessage parse(byte[] bytes) throws Exception {
    return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
  }

  @Test
  void rendersUtf8SubjectBodiesAndAttachmentsWithOurMessageId() throws Exception {
    MessageId id = MessageId.generate();
    Mail mail =
        Mail.builder()
            .from("Shöp <shop@example.com>")
            .to("bob@example.org")
            .bcc("hidden@example.org")
            .subject("Grüße – ✓")
            .text("line1\nline2")
            .html("<p>hi</p>")
            .attachment("rechnung-ä.pdf", "application/pdf", new byte[] {1, 2, 3})
            .header("List-Unsubscribe", "<mailto:u@example.com>")
            .build();
    MimeRenderer.Rendered r = renderer.render(mail, id);
    String raw = new String(r.mime(), StandardCharsets.ISO_8859_1);

    assertThat(r.messageIdHeader()).isEqualTo("<" + id + "@example.com>");
    assertThat(raw).doesNotContainIgnoringCase("\nBcc:").doesNotContain("hidden@example.org");
    assertThat(raw.replace("\r\n", "")).doesNotContain("\n").doesNotContain("\r");

    MimeMessage m = parse(r.mime());
    assertThat(m.getMessageID()).isEqualTo(r.messageIdHeader());
    assertThat(m.getSubject()).isEqualTo("Grüße – ✓");
    assertThat(m.getHeader("List-Unsubscribe")[0]).isEqualTo("<mailto:u@example.com>");
    Multipart mixed = (Multipart) m.getContent();
    assertThat(mixed.getCount()).isEqualTo(2);
    Multipart alternative = (Multipart) mixed.getBodyPart(0).getContent();
    assertThat(alternative.getBodyPart(0).getContent()).isEqualTo("line1\r\nline2");
    assertThat(alternative.getBodyPart(1).getContent()).isEqualTo("<p>hi</p>");
    assertThat(MimeUtility.decodeText(mixed.getBodyPart(1).getFileName()))
        .isEqualTo("rechnung-ä.pdf");
  }

  @Test
  void transferEncodingFollowsTheText() {
    assertThat(encoding("plain ascii\r\nlines")).isEqualTo("7bit");
    assertThat(encoding("a".repeat(998) + "\n" + "b".repeat(998)))
        .as("998 characters and CRLF fit SMTP's line")
        .isEqualTo("7bit");
    assertThat(encoding("a".repeat(999))).isEqualTo("quoted-printable");
    assertThat(encoding("ok\n" + "a".repeat(999) + "\nok")).isEqualTo("quoted-printable");
    assertThat(encoding("a control \u0001 character")).isEqualTo("quoted-printable");
    assertThat(encoding("Grüße aus Köln")).isEqualTo("quoted-printable");
    assertThat(encoding("日本語のメール")).isEqualTo("base64");
    assertThat(encoding("😀 ok, mostly ascii text"))
        .as("counted in UTF-16 units, as before")
        .isEqualTo("quoted-printable");
    assertThat(encoding("😀😀 ok")).isEqualTo("base64");
    assertThat(encoding("a DEL \u007f is ascii")).isEqualTo("7bit");
    assertThat(encoding("\u0000")).isEqualTo("base64");
    // A lone surrogate cannot be encoded: UTF-8 carries it as '?', and it counts as that '?'.
    assertThat(MimeRenderer.TextBody.of("a\uD800b").utf8())
        .isEqualTo("a?b".getBytes(StandardCharsets.US_ASCII));
    assertThat(encoding("a\uD800b")).isEqualTo("7bit");
  }

  @Test
  void everyLineEndBecomesCrlf() {
    assertThat(
            new String(
                MimeRenderer.TextBody.of("a\nb\r\nc\rd\r\r\n\n").utf8(), StandardCharsets.UTF_8))
        .isEqualTo("a\r\nb\r\nc\r\nd\r\n\r\n\r\n");
    assertThat(new String(MimeRenderer.TextBody.of("end\r").utf8(), StandardCharsets.UTF_8))
        .isEqualTo("end\r\n");
    assertThat(new String(MimeRenderer.TextBody.of("\n\n").utf8(), StandardCharsets.UTF_8))
        .isEqualTo("\r\n\r\n");
    assertThat(MimeRenderer.TextBody.of("").utf8()).isEmpty();
    assertThat(MimeRenderer.TextBody.of("Grüße\n").utf8())
        .isEqualTo("Grüße\r\n".getBytes(StandardCharsets.UTF_8));
  }

  private static String encoding(String text) {
    return MimeRenderer.TextBody.of(text).transferEncoding();
  }

  @Test
  void nonAsciiAndLongLinesSurviveTheRoundTrip() throws Exception {
    String longLine = "x".repeat(2000);
    Mail mail =
        Mail.builder().from("a@example.com").to("b@example.org").text("日本語 " + longLine).build();
    MimeMessage m = parse(renderer.render(mail, MessageId.generate()).mime());
    assertThat(m.getContent()).isEqualTo("日本語 " + longLine);
    assertThat(m.getHeader("Content-Transfer-Encoding")[0])
        .as("never 7bit for a 2000-character line")
        .isEqualTo("quoted-printable");
  }

  /**
   * Attachments and inline parts of every type, with payloads chosen to trip a 7bit choice (ASCII
   * with bare CR, bare LF, NUL, only CR and LF bytes) and random bytes of many lengths: after the
   * line-end canonicalisation of an SMTP data stream, each part decodes to exactly its bytes, and a
   * non-text part is base64.
   */
  @Test
  void attachmentsArriveByteForByte() throws Exception {
    Random random = new Random(20260214);
    List<byte[]> payloads = payloads(random);
    String[] types = {"application/octet-stream", "image/png", "text/plain", "text/csv"};
    int checked = 0;
    for (byte[] payload : payloads) {
      for (String type : types) {
        boolean inline = random.nextBoolean();
        Mail.Builder b =
            Mail.builder().from("a@example.com").to("b@example.org").text("see attachment");
        if (inline) {
          b.html("<img src=\"cid:part@example.com\">")
              .attachment(Attachment.inline("data.bin", type, payload, "part@example.com"));
        } else {
          b.attachment("data.bin", type, payload);
        }
        byte[] mime = renderer.render(b.build(), MessageId.generate()).mime();
        MimeBodyPart part = attachmentOf(parse(throughSmtpDataStream(mime)));
        String description =
            type + ", " + (inline ? "inline" : "attached") + ", " + printable(payload);
        if (!type.startsWith("text/")) {
          assertThat(part.getEncoding()).as(description).isEqualTo("base64");
        }
        assertThat(part.getInputStream().readAllBytes()).as(description).isEqualTo(payload);
        checked++;
      }
    }
    assertThat(checked).isEqualTo(payloads.size() * types.length);
  }

  @Test
  void onlyCanonicalTextIsSevenBit() {
    byte[] canonical = "plain ascii\r\nlines\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(MimeRenderer.attachmentEncoding("text/plain", canonical)).isEqualTo("7bit");
    assertThat(MimeRenderer.attachmentEncoding("TEXT/CSV", canonical)).isEqualTo("7bit");
    assertThat(MimeRenderer.attachmentEncoding("application/octet-stream", canonical))
        .isEqualTo("base64");
    assertThat(
            MimeRenderer.attachmentEncoding(
                "application/json", "{}".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("base64");
    assertThat(MimeRenderer.attachmentEncoding("message/rfc822", canonical))
        .as("RFC 2046 5.2.1")
        .isEqualTo("7bit");
    for (String text :
        new String[] {"bare lf\n", "bare cr\r", "nul \u0000", "ü", "x".repeat(999), "\n\r"}) {
      assertThat(
              MimeRenderer.attachmentEncoding("text/plain", text.getBytes(StandardCharsets.UTF_8)))
          .as(text)
          .isEqualTo("base64");
    }
    assertThat(
            MimeRenderer.attachmentEncoding(
                "text/plain", ("x".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("7bit");
  }

  /** Payloads that look like text to a 7bit check but are not canonical, and random bytes. */
  static List<byte[]> payloads(Random random) {
    List<byte[]> payloads = new ArrayList<>();
    for (String s :
        new String[] {
          "",
          "a",
          "\r",
          "\n",
          "\r\n",
          "\n\r",
          "\r\r",
          "\n\n",
          "line1\nline2\n",
          "line1\rline2\r",
          "crlf\r\nthen bare lf\n",
          "ends with cr\r",
          "\u0000",
          "a\u0000b\r\n",
          "plain ascii\r\n",
          "x".repeat(999),
          "y".repeat(998) + "\r\n",
          " trailing spaces  \r\n\tand tab\r\n",
          ".\r\n..\r\n.",
          "=3D=\r\n"
        }) {
      payloads.add(s.getBytes(StandardCharsets.ISO_8859_1));
    }
    for (int length : new int[] {1, 2, 3, 57, 76, 77, 500, 4096}) {
      byte[] onlyLineEnds = new byte[length];
      byte[] asciiWithLineEnds = new byte[length];
      byte[] anything = new byte[length];
      for (int i = 0; i < length; i++) {
        onlyLineEnds[i] = random.nextBoolean() ? (byte) '\r' : (byte) '\n';
        int r = random.nextInt(20);
        asciiWithLineEnds[i] =
            r == 0 ? (byte) '\r' : r == 1 ? (byte) '\n' : (byte) (0x20 + random.nextInt(0x5f));
      }
      random.nextBytes(anything);
      payloads.add(onlyLineEnds);
      payloads.add(asciiWithLineEnds);
      payloads.add(anything);
    }
    return payloads;
  }

  /** The mail's only part with a Content-ID or an attachment disposition. */
  private static MimeBodyPart attachmentOf(MimeMessage message) throws Exception {
    List<MimeBodyPart> found = new ArrayList<>();
    collect((Multipart) message.getContent(), found);
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  private static void collect(Multipart multipart, List<MimeBodyPart> found) throws Exception {
    for (int i = 0; i < multipart.getCount(); i++) {
      BodyPart part = multipart.getBodyPart(i);
      if (part.isMimeType("multipart/*")) {
        collect((Multipart) part.getContent(), found);
      } else if (part.getFileName() != null) {
        found.add((MimeBodyPart) part);
      }
    }
  }

  /** What a server receives: Angus's SMTP data stream turns bare CR and bare LF into CRLF. */
  static byte[] throughSmtpDataStream(byte[] mime) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CRLFOutputStream crlf = new CRLFOutputStream(bytes);
    crlf.write(mime);
    crlf.flush();
    return bytes.toByteArray();
  }

  private static String printable(byte[] payload) {
    StringBuilder s = new StringBuilder(payload.length + " bytes: ");
    for (int i = 0; i < Math.min(payload.length, 24); i++) {
      int b = payload[i] & 0xff;
      s.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b));
    }
    return s.toString();
  }

  @Test
  void longSubjectsAndHeadersRenderInSmtpLines() throws Exception {
    String subject = "s".repeat(990); // "Subject: " and 990 characters: folded after the colon
    String value = ("word" + "s".repeat(30) + " ").repeat(150).strip();
    Mail mail =
        Mail.builder()
            .from("a@example.com")
            .to("b@example.org")
            .subject(subject)
            .header("X-Words", value)
            .text("body")
            .build();
    byte[] mime = renderer.render(mail, MessageId.generate()).mime();
    for (String line : new String(mime, StandardCharsets.ISO_8859_1).split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(998);
    }
    MimeMessage m = parse(mime);
    assertThat(m.getSubject()).isEqualTo(subject);
    assertThat(MimeUtility.unfold(m.getHeader("X-Words")[0])).isEqualTo(value);
  }

  /**
   * Thousands of generated mails (display names, encoded and folded subjects, placeholder-named and
   * case-duplicated headers, SMTPUTF8, every transfer encoding, both body shapes; formerly the
   * corpus that held a second writer to Angus's bytes): each renders to CRLF lines of at most 998
   * octets without Bcc, and parses back to its subject, bodies and Message-ID.
   */
  @Test
  void generatedMailRendersToSmtpLinesAndParsesBack() throws Exception {
    Random random = new Random(20261129);
    int multipart = 0;
    for (int i = 0; i < 3000; i++) {
      Mail mail = GeneratedMail.random(random);
      MimeRenderer.Rendered r = renderer.render(mail, MessageId.generate());
      String raw = new String(r.mime(), StandardCharsets.ISO_8859_1);
      assertThat(raw.replace("\r\n", ""))
          .as("mail %d: CRLF only", i)
          .doesNotContain("\n")
          .doesNotContain("\r");
      for (String line : raw.split("\r\n")) {
        assertThat(line.length()).as("mail %d", i).isLessThanOrEqualTo(998);
      }
      assertThat(raw)
          .as("mail %d", i)
          .doesNotContainIgnoringCase("\r\nBcc:")
          .doesNotContain("hidden@example.net")
          .doesNotContainIgnoringCase("\r\nContent-Length:");
      MimeMessage m = parse(r.mime());
      assertThat(m.getMessageID()).isEqualTo(r.messageIdHeader());
      // An ASCII subject is written as it is, so one that looks like an encoded word reads as one.
      assertThat(m.getSubject())
          .as("mail %d", i)
          .isEqualTo(mail.subject() == null ? null : MimeUtility.decodeText(mail.subject()));
      if (mail.text() != null && mail.html() != null) {
        Multipart alternative = (Multipart) m.getContent();
        assertThat(alternative.getBodyPart(0).getContent())
            .as("mail %d", i)
            .isEqualTo(crlf(mail.text()));
        assertThat(alternative.getBodyPart(1).getContent())
            .as("mail %d", i)
            .isEqualTo(crlf(mail.html()));
        multipart++;
      } else {
        assertThat(m.getContent())
            .as("mail %d", i)
            .isEqualTo(crlf(mail.text() != null ? mail.text() : mail.html()));
      }
    }
    assertThat(multipart).as("both shapes were generated").isBetween(500, 2500);
  }

  private static String crlf(String text) {
    return text.replace("\r\n", "\n").replace('\r', '\n').replace("\n", "\r\n");
  }

  @Test
  void textAndHtmlParseBackWithAUniqueBoundary() throws Exception {
    Mail mail =
        Mail.builder()
            .from("a@example.com")
            .to("b@example.org")
            .subject("s")
            .text("plain\n")
            .html("<p>é</p>")
            .build();
    byte[] first = renderer.render(mail, MessageId.generate()).mime();
    byte[] second = renderer.render(mail, MessageId.generate()).mime();
    Multipart alternative = (Multipart) parse(first).getContent();
    assertThat(alternative.getCount()).isEqualTo(2);
    assertThat(alternative.getBodyPart(0).getContent()).isEqualTo("plain\r\n");
    assertThat(alternative.getBodyPart(1).getContent()).isEqualTo("<p>é</p>");
    assertThat(boundary(first)).isNotEqualTo(boundary(second));
  }

  @Test
  void aContentDispositionFieldNamesTheBody() {
    // Angus reads Content-Disposition when it writes Content-Type (a filename becomes name=).
    Mail disposition =
        Mail.builder()
            .from("a@example.com")
            .to("b@example.org")
            .text("x")
            .header("content-disposition", "inline; filename=\"hi.txt\"")
            .build();
    assertThat(
            new String(
                renderer.render(disposition, MessageId.generate()).mime(),
                StandardCharsets.US_ASCII))
        .contains("Content-Type: text/plain; charset=UTF-8; name=hi.txt");
  }

  private static String boundary(byte[] mime) {
    Matcher m =
        Pattern.compile("boundary=\"([^\"]+)\"")
            .matcher(new String(mime, StandardCharsets.ISO_8859_1));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void renderingSetsNoSystemPropertyAndGivesTheCallersContextClassLoaderBack() throws Exception {
    Thread thread = Thread.currentThread();
    ClassLoader before = thread.getContextClassLoader();
    try (URLClassLoader callers = new URLClassLoader(new URL[0], before)) {
      thread.setContextClassLoader(callers);
      Mail mail =
          Mail.builder()
              .from("a@example.com")
              .to("b@example.org")
              .text("Grüße\n")
              .html("<p>é</p>")
              .attachment("a.bin", "application/octet-stream", new byte[] {1, 2})
              .build();
      parse(renderer.render(mail, MessageId.generate()).mime()).getContent();
      assertThat(thread.getContextClassLoader()).isSameAs(callers);
    } finally {
      thread.setContextClassLoader(before);
    }
    assertThat(System.getProperty("jakarta.mail.util.StreamProvider")).isNull();
  }

  @Test
  void oversizedMailIsRejected() {
    Mail mail =
        Mail.builder()
            .from("a@example.com")
            .to("b@example.org")
            .text("x")
            .attachment("big.bin", "application/octet-stream", new byte[70 * 1024])
            .build();
    assertThatThrownBy(() -> renderer.render(mail, MessageId.generate()))
        .isInstanceOf(InvalidMailException.class)
        .extracting(e -> ((InvalidMailException) e).field())
        .isEqualTo("size");
  }

  @Test
  void readyMimeMessageKeepsItsMessageIdAndLosesBcc() throws Exception {
    MimeMessage ready = new MimeMessage(Session.getInstance(new Properties()));
    ready.setFrom("a@example.com");
    ready.setRecipients(MimeMessage.RecipientType.BCC, "secret@example.org");
    ready.setSubject("ready");
    ready.setText("body");
    ready.setHeader("Message-ID", "<fixed@example.com>");
    Mail mail =
        Mail.ofMimeMessage(ready, MailAddress.of("bounce@example.com"))
            .to("secret@example.org")
            .build();
    MimeRenderer.Rendered r = renderer.render(mail, MessageId.generate());
    assertThat(r.messageIdHeader()).isEqualTo("<fixed@example.com>");
    assertThat(new String(r.mime(), StandardCharsets.ISO_8859_1))
        .doesNotContain("secret@example.org");
  }

  @Test
  void injectedHeaderInAReadyMessageIsRejected() throws Exception {
    MimeMessage ready = new MimeMessage(Session.getInstance(new Properties()));
    ready.setText("body");
    ready.setHeader("X-Evil", "a\r\nBcc: victim@example.org");
    assertThatThrownBy(
            () ->
                Mail.ofMimeMessage(ready, MailAddress.of("a@example.com"))
                    .to("b@example.org")
                    .build())
        .as("when the mail is built")
        .isInstanceOf(InvalidMailException.class)
        .hasMessageContaining("X-Evil");

    ready.removeHeader("X-Evil");
    Mail mail =
        Mail.ofMimeMessage(ready, MailAddress.of("a@example.com")).to("b@example.org").build();
    ready.setHeader("X-Evil", "a\r\nBcc: victim@example.org");
    assertThatThrownBy(() -> renderer.render(mail, MessageId.generate()))
        .as("set after build: when it is rendered")
        .isInstanceOf(InvalidMailException.class)
        .hasMessageContaining("X-Evil");
  }
}
