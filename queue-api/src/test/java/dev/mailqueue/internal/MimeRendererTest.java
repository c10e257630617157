package dev.mailqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class MimeRendererTest {
  private final MimeRenderer renderer = new MimeRenderer(64 * 1024, null);

  private static MimeMessage parse(byte[] bytes) throws Exception {
    return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
  }

  @Test
  void rendersUtf8SubjectBodiesAndAttachmentsWithOurMessageId() throws Exception {
    MessageId id = MessageId.generate();
    Mail mail = Mail.builder().from("Shöp <shop@example.com>").to("bob@example.org").bcc("hidden@example.org")
        .subject("Grüße – ✓").text("line1\nline2").html("<p>hi</p>")
        .attachment("rechnung-ä.pdf", "application/pdf", new byte[] {1, 2, 3})
        .header("List-Unsubscribe", "<mailto:u@example.com>").build();
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
    assertThat(jakarta.mail.internet.MimeUtility.decodeText(mixed.getBodyPart(1).getFileName()))
        .isEqualTo("rechnung-ä.pdf");
  }

  @Test
  void transferEncodingFollowsTheText() {
    assertThat(encoding("plain ascii\r\nlines")).isEqualTo("7bit");
    assertThat(encoding("a".repeat(998) + "\n" + "b".repeat(998))).as("998 characters and CRLF fit SMTP's line")
        .isEqualTo("7bit");
    assertThat(encoding("a".repeat(999))).isEqualTo("quoted-printable");
    assertThat(encoding("ok\n" + "a".repeat(999) + "\nok")).isEqualTo("quoted-printable");
    assertThat(encoding("a control \u0001 character")).isEqualTo("quoted-printable");
    assertThat(encoding("Grüße aus Köln")).isEqualTo("quoted-printable");
    assertThat(encoding("日本語のメール")).isEqualTo("base64");
  }

  @Test
  void everyLineEndBecomesCrlf() {
    assertThat(new String(MimeRenderer.TextBody.of("a\nb\r\nc\rd\r\r\n\n").utf8(), StandardCharsets.UTF_8))
        .isEqualTo("a\r\nb\r\nc\r\nd\r\n\r\n\r\n");
    assertThat(MimeRenderer.TextBody.of("Grüße\n").utf8())
        .isEqualTo("Grüße\r\n".getBytes(StandardCharsets.UTF_8));
  }

  private static String encoding(String text) {
    return MimeRenderer.TextBody.of(text).transferEncoding();
  }

  @Test
  void nonAsciiAndLongLinesSurviveTheRoundTrip() throws Exception {
    String longLine = "x".repeat(2000);
    Mail mail = Mail.builder().from("a@example.com").to("b@example.org").text("日本語 " + longLine).build();
    MimeMessage m = parse(renderer.render(mail, MessageId.generate()).mime());
    assertThat(m.getContent()).isEqualTo("日本語 " + longLine);
    assertThat(m.getHeader("Content-Transfer-Encoding")[0]).as("never 7bit for a 2000-character line")
        .isEqualTo("quoted-printable");
  }

  @Test
  void oversizedMailIsRejected() {
    Mail mail = Mail.builder().from("a@example.com").to("b@example.org").text("x")
        .attachment("big.bin", "application/octet-stream", new byte[70 * 1024]).build();
    assertThatThrownBy(() -> renderer.render(mail, MessageId.generate()))
        .isInstanceOf(InvalidMailException.class).extracting(e -> ((InvalidMailException) e).field()).isEqualTo("size");
  }

  @Test
  void readyMimeMessageKeepsItsMessageIdAndLosesBcc() throws Exception {
    MimeMessage ready = new MimeMessage(Session.getInstance(new Properties()));
    ready.setFrom("a@example.com");
    ready.setRecipients(MimeMessage.RecipientType.BCC, "secret@example.org");
    ready.setSubject("ready");
    ready.setText("body");
    ready.setHeader("Message-ID", "<fixed@example.com>");
    Mail mail = Mail.ofMimeMessage(ready, MailAddress.of("bounce@example.com")).to("secret@example.org").build();
    MimeRenderer.Rendered r = renderer.render(mail, MessageId.generate());
    assertThat(r.messageIdHeader()).isEqualTo("<fixed@example.com>");
    assertThat(new String(r.mime(), StandardCharsets.ISO_8859_1)).doesNotContain("secret@example.org");
  }

  @Test
  void injectedHeaderInAReadyMessageIsRejected() throws Exception {
    MimeMessage ready = new MimeMessage(Session.getInstance(new Properties()));
    ready.setText("body");
    ready.setHeader("X-Evil", "a\r\nBcc: victim@example.org");
    Mail mail = Mail.ofMimeMessage(ready, MailAddress.of("a@example.com")).to("b@example.org").build();
    assertThatThrownBy(() -> renderer.render(mail, MessageId.generate()))
        .isInstanceOf(InvalidMailException.class).hasMessageContaining("X-Evil");
  }
}
