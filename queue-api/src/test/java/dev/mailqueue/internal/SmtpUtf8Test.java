package dev.mailqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine's decision whether an attempt needs SMTPUTF8, from the envelope and the stored bytes.
 */
class SmtpUtf8Test {
  private static final MailAddress ASCII_FROM = MailAddress.of("shop@example.com");
  private static final List<MailAddress> ASCII_TO = List.of(MailAddress.of("bob@example.org"));
  private static final byte[] ASCII_MIME =
      utf8("From: shop@example.com\r\nTo: bob@example.org\r\n\r\nhi\r\n");

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void plainAsciiMailDoesNotNeedIt() {
    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, ASCII_MIME)).isFalse();
  }

  @Test
  void aNonAsciiRecipientOrSenderNeedsIt() {
    assertThat(
            SmtpUtf8.required(
                ASCII_FROM,
                List.of(MailAddress.of("bob@example.org"), MailAddress.of("jörg@example.org")),
                ASCII_MIME))
        .isTrue();
    assertThat(SmtpUtf8.required(MailAddress.of("\u0140a@example.com"), ASCII_TO, ASCII_MIME))
        .isTrue();
  }

  @Test
  void aNonAsciiOctetInTheHeaderSectionNeedsIt() {
    assertThat(
            SmtpUtf8.required(
                ASCII_FROM,
                ASCII_TO,
                utf8("From: shop@example.com\r\nSubject: Grüße\r\n\r\nhi\r\n")))
        .isTrue();
    assertThat(
            SmtpUtf8.required(ASCII_FROM, ASCII_TO, utf8("Subject: a\r\n folded ü\r\n\r\nhi\r\n")))
        .as("in a continuation line")
        .isTrue();
    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, utf8("Subject: ü")))
        .as("headers only, no body")
        .isTrue();
  }

  @Test
  void theBodyDoesNotCount() {
    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, utf8("Subject: a\r\n\r\nGrüße\r\n")))
        .isFalse();
    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, utf8("Subject: a\n\nGrüße\n")))
        .as("LF line ends")
        .isFalse();
    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, utf8("\r\nGrüße")))
        .as("no headers at all")
        .isFalse();
    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, new byte[0])).isFalse();
  }

  @Test
  void decidesOnWhatTheRendererStores() {
    MimeRenderer renderer = new MimeRenderer(64 * 1024, null);
    Mail utf8 =
        Mail.builder()
            .smtpUtf8(true)
            .from("shop@example.com")
            .to("jörg@example.org")
            .text("hi")
            .build();
    byte[] utf8Mime = renderer.render(utf8, MessageId.generate()).mime();
    // A Bcc recipient is in no header: the envelope alone decides for it.
    Mail bccOnly =
        Mail.builder()
            .smtpUtf8(true)
            .from("shop@example.com")
            .to("bob@example.org")
            .bcc("jörg@example.org")
            .text("hi")
            .build();
    byte[] bccOnlyMime = renderer.render(bccOnly, MessageId.generate()).mime();
    Mail encodedWords =
        Mail.builder()
            .from("Shöp <shop@example.com>")
            .to("bob@example.org")
            .subject("Grüße")
            .text("Grüße")
            .build();
    Mail asciiButAllowed =
        Mail.builder()
            .smtpUtf8(true)
            .from("shop@example.com")
            .to("bob@example.org")
            .text("hi")
            .build();

    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, utf8Mime))
        .as("the To header is UTF-8")
        .isTrue();
    assertThat(SmtpUtf8.required(ASCII_FROM, ASCII_TO, bccOnlyMime)).isFalse();
    assertThat(
            SmtpUtf8.required(ASCII_FROM, List.of(MailAddress.of("jörg@example.org")), bccOnlyMime))
        .isTrue();
    assertThat(
            SmtpUtf8.required(
                ASCII_FROM, ASCII_TO, renderer.render(encodedWords, MessageId.generate()).mime()))
        .as("non-ASCII text of a mail without smtpUtf8 is in RFC 2047 encoded words")
        .isFalse();
    assertThat(
            SmtpUtf8.required(
                ASCII_FROM,
                ASCII_TO,
                renderer.render(asciiButAllowed, MessageId.generate()).mime()))
        .as("smtpUtf8(true) allows it, only non-ASCII content needs it")
        .isFalse();
  }
}
