package dev.mailqueue.spi;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One attempt as the engine hands it to a {@link MailTransport}.
 *
 * <p>{@code smtpUtf8} says whether the attempt needs the SMTPUTF8 extension (RFC 6531): the engine
 * sets it when the envelope sender, a recipient or the header section of {@code mime} contains a
 * non-ASCII character (octet). A transport then writes the envelope in UTF-8 and adds the {@code
 * SMTPUTF8} parameter to {@code MAIL FROM}, and only to a server that offers the extension; a
 * server that does not gets nothing and every recipient bounces with {@code 5.6.7}. Without the
 * flag no non-ASCII character may reach the envelope: a transport refuses such an attempt rather
 * than write the address in another form.
 *
 * @param id the queue's id (for logs)
 * @param messageIdHeader the Message-ID header inside {@code mime}
 * @param envelopeFrom MAIL FROM
 * @param recipients RCPT TO, the recipients still pending
 * @param mime the stored message bytes, sent unchanged
 * @param attempt the attempt number, 1 for the first
 * @param tag the tag, or {@code null}
 * @param smtpUtf8 whether the attempt needs SMTPUTF8 (see above)
 */
public record OutboundMail(
    MessageId id,
    String messageIdHeader,
    MailAddress envelopeFrom,
    List<MailAddress> recipients,
    byte[] mime,
    int attempt,
    @Nullable String tag,
    boolean smtpUtf8) {
  /**
   * Validates presence and copies the recipients.
   *
   * @param id the queue's id (for logs)
   * @param messageIdHeader the Message-ID header inside {@code mime}
   * @param envelopeFrom MAIL FROM
   * @param recipients RCPT TO, the recipients still pending
   * @param mime the stored message bytes, sent unchanged
   * @param attempt the attempt number, 1 for the first
   * @param tag the tag, or {@code null}
   * @param smtpUtf8 whether the attempt needs SMTPUTF8 (see above)
   * @throws IllegalArgumentException if {@code recipients} is empty
   */
  public OutboundMail {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(envelopeFrom, "envelopeFrom");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("no recipients");
    }
    Objects.requireNonNull(mime, "mime");
  }

  /**
   * The same attempt for some of its recipients (e.g. those of one destination), everything else
   * kept.
   *
   * @param subset the recipients of the new attempt, at least one
   * @return the attempt for {@code subset}
   * @throws IllegalArgumentException if {@code subset} is empty
   */
  public OutboundMail withRecipients(List<MailAddress> subset) {
    return new OutboundMail(
        id, messageIdHeader, envelopeFrom, subset, mime, attempt, tag, smtpUtf8);
  }
}
