package dev.mailqueue;

import java.time.Instant;
import java.util.List;

/**
 * One message with everything the queue recorded about it, like {@code postcat -q} plus its log.
 *
 * @param message the message and its recipients with their last replies
 * @param sizeBytes the size of the rendered message
 * @param attempts every recorded attempt, oldest first
 * @param leaseOwner the worker delivering it now (its worker id), or {@code null} unless the
 *     message is {@link MessageState#SENDING}
 * @param leaseUntil when that worker's lease ends unless renewed (database clock); after it,
 *     another worker may claim the message; {@code null} unless SENDING
 */
public record MessageDetails(
    MessageView message,
    int sizeBytes,
    List<AttemptView> attempts,
    String leaseOwner,
    Instant leaseUntil) {
  /**
   * Copies the list.
   *
   * @param message the message and its recipients with their last replies
   * @param sizeBytes the size of the rendered message
   * @param attempts every recorded attempt, oldest first
   * @param leaseOwner the worker delivering it now (its worker id), or {@code null} unless the
   *     message is {@link MessageState#SENDING}
   * @param leaseUntil when that worker's lease ends unless renewed (database clock); after it,
   *     another worker may claim the message; {@code null} unless SENDING
   */
  public MessageDetails {
    attempts = List.copyOf(attempts);
  }

  /**
   * A message that is not being sent: no lease.
   *
   * @param message the message and its recipients with their last replies
   * @param sizeBytes the size of the rendered message
   * @param attempts every recorded attempt, oldest first
   */
  public MessageDetails(MessageView message, int sizeBytes, List<AttemptView> attempts) {
    this(message, sizeBytes, attempts, null, null);
  }
}
