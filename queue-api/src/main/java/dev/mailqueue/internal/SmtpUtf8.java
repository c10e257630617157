package dev.mailqueue.internal;

import dev.mailqueue.MailAddress;
import java.util.List;

/**
 * Whether an attempt needs the SMTPUTF8 extension (RFC 6531), decided from what the store keeps: a
 * non-ASCII character in the envelope sender or a recipient address, or a non-ASCII octet in the
 * header section of the stored message (RFC 6532 headers, as rendered for {@code smtpUtf8(true)}
 * mail). The body does not count: 8-bit bodies are 8BITMIME's concern. So the flag needs no column
 * of its own, and messages stored before it existed get it too.
 */
final class SmtpUtf8 {
  private SmtpUtf8() {}

  /** Whether an attempt with this envelope and these message bytes needs SMTPUTF8. */
  static boolean required(MailAddress envelopeFrom, List<MailAddress> recipients, byte[] mime) {
    if (envelopeFrom.requiresSmtpUtf8()) {
      return true;
    }
    for (MailAddress r : recipients) {
      if (r.requiresSmtpUtf8()) {
        return true;
      }
    }
    return headerSectionHasNonAscii(mime);
  }

  /** Whether an octet above 127 comes before the empty line that ends the header section. */
  static boolean headerSectionHasNonAscii(byte[] mime) {
    boolean lineStart = true;
    for (int i = 0; i < mime.length; i++) {
      byte b = mime[i];
      if (b < 0) {
        return true;
      }
      if (lineStart && (b == '\n' || (b == '\r' && i + 1 < mime.length && mime[i + 1] == '\n'))) {
        return false; // the empty line: the body follows
      }
      lineStart = b == '\n';
    }
    return false;
  }
}
