package dev.mailqueue.spi;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A rendered mail as the engine hands it to a {@link MailStore}: the MIME bytes that every attempt
 * sends, the envelope, and the delivery options.
 *
 * @param id the queue's id
 * @param messageIdHeader the Message-ID header inside {@code mime}
 * @param envelopeFrom the envelope sender (MAIL FROM)
 * @param recipients the envelope recipients, in order, without duplicates
 * @param mime the complete message, CRLF line endings
 * @param priority the claim priority
 * @param notBefore earliest first attempt, or {@code null} for now
 * @param lifetime time after enqueue at which the queue gives up
 * @param tag the tag, or {@code null}
 * @param idempotencyKey the idempotency key, or {@code null}
 */
public record QueuedMail(
    MessageId id,
    String messageIdHeader,
    MailAddress envelopeFrom,
    List<MailAddress> recipients,
    byte[] mime,
    Priority priority,
    @Nullable Instant notBefore,
    Duration lifetime,
    @Nullable String tag,
    @Nullable String idempotencyKey) {
  /**
   * Validates presence and copies the recipient list.
   *
   * @param id the queue's id
   * @param messageIdHeader the Message-ID header inside {@code mime}
   * @param envelopeFrom the envelope sender (MAIL FROM)
   * @param recipients the envelope recipients, in order, without duplicates
   * @param mime the complete message, CRLF line endings
   * @param priority the claim priority
   * @param notBefore earliest first attempt, or {@code null} for now
   * @param lifetime time after enqueue at which the queue gives up
   * @param tag the tag, or {@code null}
   * @param idempotencyKey the idempotency key, or {@code null}
   */
  public QueuedMail {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(messageIdHeader, "messageIdHeader");
    Objects.requireNonNull(envelopeFrom, "envelopeFrom");
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(mime, "mime");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(lifetime, "lifetime");
  }
}
