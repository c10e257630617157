package dev.mailqueue.spi;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import java.util.List;
import java.util.Objects;

/**
 * One attempt as the engine hands it to a {@link MailTransport}.
 *
 * @param id the queue's id (for logs)
 * @param messageIdHeader the Message-ID header inside {@code mime}
 * @param envelopeFrom MAIL FROM
 * @param recipients RCPT TO, the recipients still pending
 * @param mime the stored message bytes, sent unchanged
 * @param attempt the attempt number, 1 for the first
 * @param tag the tag, or {@code null}
 */
public record OutboundMail(MessageId id, String messageIdHeader, MailAddress envelopeFrom, List<MailAddress> recipients,
                           byte[] mime, int attempt, String tag) {
  /** Validates presence and copies the recipients. */
  public OutboundMail {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(envelopeFrom, "envelopeFrom");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("no recipients");
    }
    Objects.requireNonNull(mime, "mime");
  }
}
