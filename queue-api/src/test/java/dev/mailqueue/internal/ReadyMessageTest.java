package dev.mailqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A ready MimeMessage meets the builder's rules: checked headers, SMTP's line lengths, CRLF only.
 */
class ReadyMessageTest {
  private static final Session SESSION = Session.getInstance(new Properties());
  private final MimeRenderer renderer = new MimeRenderer(1024 * 1024, null);

  private static MimeMessage parse(String mime) throws Exception {
    return parse(mime.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static MimeMessage parse(byte[] mime) throws Exception {
    return new MimeMessage(SESSION, new ByteArrayInputStream(mime));
  }

  private static Mail.Builder ready(MimeMessage message) {
    return Mail.ofMimeMessage(message, MailAddress.of("a@example.com")).to("b@example.org");
  }

  private byte[] render(MimeMessage message) {
    return renderer.render(ready(message).build(), MessageId.generate()).mime();
  }

  static Stream<Arguments> controlCharacters() {
    return Stream.of(
        Arguments.of("NUL", "a\u0000b"),
        Arguments.of("ESC", "\u001b[31mred"),
        Arguments.of("BEL", "ring\u0007"),
        Arguments.of("DEL", "a\u007fb"),
        Arguments.of("bare CR", "a\rb"),
        Arguments.of("LF then no space", "a\nBcc: x@example.org"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("controlCharacters")
  void aControlCharacterInAHeaderValueIsRefusedWhenBuilt(String name, String value)
      throws Exception {
    MimeMessage set = new MimeMessage(SESSION);
    set.setText("body");
    set.setHeader("X-Test", value);
    assertThatThrownBy(() -> ready(set).build())
        .isInstanceOf(InvalidMailException.class)
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo("header[X-Test]"));

    // The same bytes read from a file, as the CLI's send --message reads them.
    if (value.indexOf('\r') < 0 && value.indexOf('\n') < 0) {
      MimeMessage parsed =
          parse("From: a@example.com\r\nX-Test: " + value + "\r\nSubject: s\r\n\r\nbody\r\n");
      assertThatThrownBy(() -> ready(parsed).build())
          .isInstanceOf(InvalidMailException.class)
          .satisfies(
              e -> assertThat(((InvalidMailException) e).field()).isEqualTo("header[X-Test]"));
    }
  }

  @Test
  void aNulInAHeaderAddedAfterBuildIsRefusedWhenRendered() throws Exception {
    MimeMessage message = new MimeMessage(SESSION);
    message.setText("body");
    Mail mail = ready(message).build();
    message.setHeader("X-Test", "a\u0000b");
    assertThatThrownBy(() -> renderer.render(mail, MessageId.generate()))
        .isInstanceOf(InvalidMailException.class)
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo("header[X-Test]"));
  }

  @Test
  void aControlCharacterInABodyPartsHeaderIsRefused() throws Exception {
    MimeMessage message =
        parse(
            "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                + "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a\u001b.pdf\"\r\n\r\n"
                + "%PDF\r\n--b--\r\n");
    Mail mail = ready(message).build();
    assertThatThrownBy(() -> renderer.render(mail, MessageId.generate()))
        .isInstanceOf(InvalidMailException.class)
        .satisfies(
            e ->
                assertThat(((InvalidMailException) e).field())
                    .isEqualTo("body.part[2].header[Content-Disposition]"));
  }

  @Test
  void aHeaderLineOf5000CharactersWithoutWhitespaceIsRefused() throws Exception {
    MimeMessage set = new MimeMessage(SESSION);
    set.setText("body");
    set.setHeader("X-Long", "a".repeat(5000));
    assertThatThrownBy(() -> ready(set).build())
        .isInstanceOf(InvalidMailException.class)
        .hasMessageContaining("998")
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo("header[X-Long]"));

    MimeMessage parsed =
        parse("From: a@example.com\r\nX-Long: " + "a".repeat(5000) + "\r\n\r\nbody\r\n");
    assertThatThrownBy(() -> ready(parsed).build())
        .isInstanceOf(InvalidMailException.class)
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo("header[X-Long]"));
  }

  @Test
  void aLongHeaderLineWithSpacesIsFolded() throws Exception {
    String words =
        ("word" + "s".repeat(40) + " ").repeat(120).strip(); // ~5,400 characters on one line
    MimeMessage message =
        parse("From: a@example.com\r\nX-Words: " + words + "\r\nSubject: s\r\n\r\nbody\r\n");
    byte[] mime = render(message);
    assertLinesWithinSmtpLimits(mime);
    assertThat(MimeUtility.unfold(parse(mime).getHeader("X-Words")[0])).isEqualTo(words);
  }

  @Test
  void aBodyLineOf5000CharactersIsReencodedAsQuotedPrintable() throws Exception {
    String text = "x".repeat(5000) + "\r\nsecond line\r\n" + "y".repeat(1500);
    MimeMessage message =
        parse(
            "From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                + text);
    byte[] mime = render(message);
    assertLinesWithinSmtpLimits(mime);
    MimeMessage received = parse(mime);
    assertThat(received.getEncoding()).isEqualTo("quoted-printable");
    assertThat(received.getContentType()).isEqualTo("text/plain; charset=us-ascii");
    assertThat(received.getContent()).isEqualTo(text);
    assertThat(received.getSubject()).isEqualTo("s");
  }

  @Test
  void partsThatTheirEncodingCannotCarryAreReencodedAndOthersKept() throws Exception {
    String longText = "z".repeat(3000);
    String binary = "PK\u0000\u0003" + "q".repeat(1200) + "\r\u0000";
    String mimeText =
        "From: a@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
            + "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + longText
            + "\r\n"
            + "--b\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n"
            + "Content-Disposition: attachment; filename=a.zip\r\n\r\n"
            + binary
            + "\r\n"
            + "--b\r\nContent-Type: text/plain\r\n\r\nshort and fine\r\n"
            + "--b--\r\n";
    byte[] mime = render(parse(mimeText));
    assertLinesWithinSmtpLimits(mime);
    Multipart parts = (Multipart) parse(mime).getContent();
    assertThat(parts.getCount()).isEqualTo(3);
    BodyPart text = parts.getBodyPart(0);
    assertThat(text.getHeader("Content-Transfer-Encoding")[0]).isEqualTo("quoted-printable");
    assertThat(text.getContent()).isEqualTo(longText);
    BodyPart zip = parts.getBodyPart(1);
    assertThat(zip.getHeader("Content-Transfer-Encoding")[0]).isEqualTo("base64");
    assertThat(zip.getFileName()).isEqualTo("a.zip");
    assertThat(zip.getInputStream().readAllBytes())
        .isEqualTo(binary.getBytes(StandardCharsets.ISO_8859_1));
    assertThat(parts.getBodyPart(2).getHeader("Content-Transfer-Encoding"))
        .as("left as it was")
        .isNull();
    assertThat(parts.getBodyPart(2).getContent()).isEqualTo("short and fine");
  }

  @Test
  void aLongLineThatMayNotBeEncodedIsRefused() throws Exception {
    MimeMessage message =
        parse(
            "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: text/plain\r\n\r\nsee the attached message\r\n"
                + "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n"
                + "m".repeat(1200)
                + "\r\n"
                + "--b--\r\n");
    Mail mail = ready(message).build();
    assertThatThrownBy(() -> renderer.render(mail, MessageId.generate()))
        .isInstanceOf(InvalidMailException.class)
        .hasMessageContaining("998")
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo("body"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\n", "\r", "\r\n"})
  void bareLineEndsBecomeCrlf(String lineEnd) throws Exception {
    String mime =
        String.join(
            lineEnd,
            "From: a@example.com",
            "Subject: piped",
            "",
            "line1",
            "line2",
            ".",
            "..x",
            "end",
            "");
    byte[] rendered = render(parse(mime));
    assertCanonical(rendered);
    assertThat(parse(rendered).getContent()).isEqualTo("line1\r\nline2\r\n.\r\n..x\r\nend\r\n");
  }

  @Test
  void bareLineEndsInsideABodyBecomeCrlf() throws Exception {
    MimeMessage message = new MimeMessage(SESSION);
    message.setFrom("a@example.com");
    message.setText("one\ntwo\rthree\r\n\n");
    byte[] rendered = render(message);
    assertCanonical(rendered);
    assertThat(parse(rendered).getContent()).isEqualTo("one\r\ntwo\r\nthree\r\n\r\n");
  }

  private static void assertCanonical(byte[] mime) {
    String text = new String(mime, StandardCharsets.ISO_8859_1);
    assertThat(text.replace("\r\n", ""))
        .as("no bare CR or LF")
        .doesNotContain("\r")
        .doesNotContain("\n");
  }

  private static void assertLinesWithinSmtpLimits(byte[] mime) {
    assertCanonical(mime);
    String text = new String(mime, StandardCharsets.ISO_8859_1);
    for (String line : text.split("\r\n")) {
      assertThat(line.length())
          .as("line starting %s", line.substring(0, Math.min(40, line.length())))
          .isLessThanOrEqualTo(998);
    }
    assertThat(text).doesNotContain("\u0000");
  }
}
