package dev.mailqueue;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One outcome of one delivery attempt, handed to a {@link DeliveryListener} after the new state was
 * committed.
 *
 * @param messageId the queue's id of the message
 * @param tag the message's tag, or {@code null}
 * @param attempt the attempt number, 1 for the first
 * @param recipients the recipients this event is about, each with the reply that decided it
 * @param nextAttemptAt for a deferral, when the next attempt is due (database clock); otherwise
 *     {@code null}
 * @param uncertain whether the server gave no reply after the end of data, so the message may have
 *     been delivered already (RFC 1047); it is retried with the same Message-ID
 */
public record DeliveryEvent(
    MessageId messageId,
    @Nullable String tag,
    int attempt,
    List<RecipientOutcome> recipients,
    Instant nextAttemptAt,
    boolean uncertain) {
  /**
   * Validates and copies.
   *
   * @param messageId the queue's id of the message
   * @param tag the message's tag, or {@code null}
   * @param attempt the attempt number, 1 for the first
   * @param recipients the recipients this event is about, each with the reply that decided it
   * @param nextAttemptAt for a deferral, when the next attempt is due (database clock); otherwise
   *     {@code null}
   * @param uncertain whether the server gave no reply after the end of data, so the message may
   *     have been delivered already (RFC 1047); it is retried with the same Message-ID
   */
  public DeliveryEvent {
    Objects.requireNonNull(messageId, "messageId");
    recipients = List.copyOf(recipients);
  }
}
