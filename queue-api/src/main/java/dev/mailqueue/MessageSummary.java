package dev.mailqueue;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One line of a queue listing, like a line of {@code postqueue -p}: what an operator needs to
 * decide, without the recipients list (see {@link MailQueueAdmin#show}).
 *
 * @param id the queue's id
 * @param state the message state
 * @param tag the tag, or {@code null}
 * @param priority the priority
 * @param envelopeFrom the envelope sender
 * @param recipients how many recipients the message has
 * @param pendingRecipients how many of them are still to be delivered (never tried or deferred)
 * @param sizeBytes the size of the rendered message
 * @param attempts counted attempts so far
 * @param createdAt when it was enqueued (database clock)
 * @param dueAt when it is next due, or {@code null} when finished or held
 * @param lastReply the reply that best describes the last attempt, or {@code null} if never tried
 */
public record MessageSummary(
    MessageId id,
    MessageState state,
    @Nullable String tag,
    Priority priority,
    MailAddress envelopeFrom,
    int recipients,
    int pendingRecipients,
    int sizeBytes,
    int attempts,
    Instant createdAt,
    @Nullable Instant dueAt,
    @Nullable SmtpReply lastReply) {}
