package dev.mailqueue;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What happened to one recipient in one attempt.
 *
 * @param recipient the envelope recipient
 * @param status its new status
 * @param reply the SMTP reply that decided it (for SUPPRESSED or EXPIRED, the last reply known or a
 *     local one)
 * @param block whether, and how, the reply blocked the sender rather than refused the recipient
 *     (such a recipient is never suppressed), or {@code null} for an ordinary outcome
 */
public record RecipientOutcome(
    MailAddress recipient, RecipientStatus status, SmtpReply reply, @Nullable SenderBlock block) {
  /**
   * Validates presence of every field.
   *
   * @param recipient the envelope recipient
   * @param status its new status
   * @param reply the SMTP reply that decided it (for SUPPRESSED or EXPIRED, the last reply known or
   *     a local one)
   * @param block whether, and how, the reply blocked the sender rather than refused the recipient,
   *     or {@code null}; only for a BOUNCED, DEFERRED or EXPIRED recipient
   * @throws IllegalArgumentException if {@code block} is set for a DELIVERED or SUPPRESSED
   *     recipient
   */
  public RecipientOutcome {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reply, "reply");
    if (block != null
        && (status == RecipientStatus.DELIVERED || status == RecipientStatus.SUPPRESSED)) {
      throw new IllegalArgumentException("a " + status + " recipient cannot be blocked: " + block);
    }
  }

  /**
   * An ordinary outcome: not a {@linkplain SenderBlock block} against the sender.
   *
   * @param recipient the envelope recipient
   * @param status its new status
   * @param reply the SMTP reply that decided it
   */
  public RecipientOutcome(MailAddress recipient, RecipientStatus status, SmtpReply reply) {
    this(recipient, status, reply, null);
  }

  /**
   * The same outcome with another status, keeping the reply and the block (e.g. DEFERRED become
   * EXPIRED when the queue gives up).
   *
   * @param newStatus the status
   * @return a copy with {@code newStatus}
   */
  public RecipientOutcome withStatus(RecipientStatus newStatus) {
    return new RecipientOutcome(recipient, newStatus, reply, block);
  }
}
