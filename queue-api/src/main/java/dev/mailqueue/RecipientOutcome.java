package dev.mailqueue;

import java.util.Objects;

/**
 * What happened to one recipient in one attempt.
 *
 * @param recipient the envelope recipient
 * @param status its new status
 * @param reply the SMTP reply that decided it (for SUPPRESSED or EXPIRED, the last reply known or a
 *     local one)
 */
public record RecipientOutcome(MailAddress recipient, RecipientStatus status, SmtpReply reply) {
  /**
   * Validates presence of every field.
   *
   * @param recipient the envelope recipient
   * @param status its new status
   * @param reply the SMTP reply that decided it (for SUPPRESSED or EXPIRED, the last reply known or
   *     a local one)
   */
  public RecipientOutcome {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reply, "reply");
  }
}
