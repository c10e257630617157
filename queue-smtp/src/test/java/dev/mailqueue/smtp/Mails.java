package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.spi.OutboundMail;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Test inputs: small MIME messages written by hand, CRLF line endings. */
final class Mails {
  static final String MESSAGE_ID = "<x@example.com>";

  private Mails() {}

  static String mime(String body) {
    return "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\nMessage-ID: "
        + MESSAGE_ID
        + "\r\n\r\n"
        + body;
  }

  static OutboundMail mail(String... recipients) {
    return mail(mime("body\r\n").getBytes(StandardCharsets.US_ASCII), recipients);
  }

  static OutboundMail mail(byte[] mime, String... recipients) {
    List<MailAddress> rcpts = Arrays.stream(recipients).map(MailAddress::of).toList();
    return new OutboundMail(
        MessageId.generate(),
        MESSAGE_ID,
        MailAddress.of("sender@example.com"),
        rcpts,
        mime,
        1,
        null,
        false);
  }
}
