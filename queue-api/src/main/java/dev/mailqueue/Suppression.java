package dev.mailqueue;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An address nothing is sent to: enqueueing to it records the recipient as {@link
 * RecipientStatus#SUPPRESSED} at once, and the other recipients are delivered as usual; adding an
 * address also suppresses its pending recipients in mail already queued (not in mail being sent at
 * that moment). The queue then records each suppressed recipient with the next dispatch of its
 * message, tells {@link DeliveryListener#suppressed} once and logs {@code status=suppressed}; a
 * mail whose recipients are all suppressed ends in state {@link MessageState#SUPPRESSED}, without
 * any attempt.
 *
 * <p>The JDBC store adds a recipient automatically, in the transaction that records the bounce,
 * when it bounces with one of the configured enhanced codes (by default 5.1.1, 5.1.2, 5.1.3 and
 * 5.1.10: the address or its domain does not exist), for 90 days by default.
 *
 * @param address the address, lower case
 * @param reason why, e.g. {@code hard-bounce} or {@code manual}
 * @param reply the reply that caused it (hard bounces), or {@code null}
 * @param createdAt when it was added (database clock)
 * @param expiresAt when it stops applying, or {@code null} for never
 */
public record Suppression(
    String address,
    String reason,
    @Nullable SmtpReply reply,
    Instant createdAt,
    @Nullable Instant expiresAt) {
  /** Reason recorded for addresses added automatically after a hard bounce. */
  public static final String HARD_BOUNCE = "hard-bounce";

  /** Reason recorded when an administrator adds an address without giving one. */
  public static final String MANUAL = "manual";

  /**
   * Validates presence.
   *
   * @param address the address, lower case
   * @param reason why, e.g. {@code hard-bounce} or {@code manual}
   * @param reply the reply that caused it (hard bounces), or {@code null}
   * @param createdAt when it was added (database clock)
   * @param expiresAt when it stops applying, or {@code null} for never
   */
  public Suppression {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
