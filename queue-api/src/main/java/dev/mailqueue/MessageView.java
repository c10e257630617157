package dev.mailqueue;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the queue knows of one message, for administration and tests.
 *
 * @param id the queue's id
 * @param messageIdHeader the Message-ID header every attempt sends, e.g. {@code <...@example.com>}
 * @param state the message state
 * @param tag the tag, or {@code null}
 * @param priority the priority
 * @param attempts counted attempts so far (configuration faults and throttling are not counted)
 * @param uncertainAttempts attempts that ended without a reply after the end of data
 * @param envelopeFrom the envelope sender
 * @param createdAt when it was enqueued (database clock)
 * @param dueAt when it is next due, or {@code null} when finished or held
 * @param expiresAt when the queue gives up on it
 * @param recipients every recipient with its status and last reply
 */
public record MessageView(
    MessageId id,
    String messageIdHeader,
    MessageState state,
    @Nullable String tag,
    Priority priority,
    int attempts,
    int uncertainAttempts,
    MailAddress envelopeFrom,
    Instant createdAt,
    @Nullable Instant dueAt,
    Instant expiresAt,
    List<Recipient> recipients) {
  /**
   * Copies the list.
   *
   * @param id the queue's id
   * @param messageIdHeader the Message-ID header every attempt sends, e.g. {@code
   *     <...@example.com>}
   * @param state the message state
   * @param tag the tag, or {@code null}
   * @param priority the priority
   * @param attempts counted attempts so far (configuration faults and throttling are not counted)
   * @param uncertainAttempts attempts that ended without a reply after the end of data
   * @param envelopeFrom the envelope sender
   * @param createdAt when it was enqueued (database clock)
   * @param dueAt when it is next due, or {@code null} when finished or held
   * @param expiresAt when the queue gives up on it
   * @param recipients every recipient with its status and last reply
   */
  public MessageView {
    recipients = List.copyOf(recipients);
  }

  /**
   * One recipient of a message.
   *
   * @param address the envelope recipient
   * @param status where it stands
   * @param lastReply the last reply it got, or {@code null} if never tried
   */
  public record Recipient(
      MailAddress address, RecipientStatus status, @Nullable SmtpReply lastReply) {}
}
