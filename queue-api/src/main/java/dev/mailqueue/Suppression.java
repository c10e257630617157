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
 * <p>An entry has a scope: all mail ({@code null}), or one {@linkplain Mail.Builder#tag tag}, which
 * suppresses only mail enqueued with that tag, so that a customer who left the newsletter (tag
 * {@code newsletter}, e.g. through a one-click {@link UnsubscribeTokens unsubscribe} link) still
 * gets receipts. An address can have an entry for all mail and entries for several tags.
 *
 * @param address the address, lower case
 * @param scope the tag of the mail it suppresses, or {@code null} for all mail
 * @param reason why, e.g. {@code hard-bounce} or {@code manual}
 * @param reply the reply that caused it (hard bounces), or {@code null}
 * @param createdAt when it was added (database clock)
 * @param expiresAt when it stops applying, or {@code null} for never
 */
public record Suppression(
    String address,
    @Nullable String scope,
    String reason,
    @Nullable SmtpReply reply,
    Instant createdAt,
    @Nullable Instant expiresAt) {
  /** Reason recorded for addresses added automatically after a hard bounce. */
  public static final String HARD_BOUNCE = "hard-bounce";

  /** Reason recorded when an administrator adds an address without giving one. */
  public static final String MANUAL = "manual";

  /**
   * Validates presence and the scope.
   *
   * @param address the address, lower case
   * @param scope the tag of the mail it suppresses, or {@code null} (or {@link
   *     UnsubscribeTokens#ALL_MAIL}, stored as {@code null}) for all mail
   * @param reason why, e.g. {@code hard-bounce} or {@code manual}
   * @param reply the reply that caused it (hard bounces), or {@code null}
   * @param createdAt when it was added (database clock)
   * @param expiresAt when it stops applying, or {@code null} for never
   */
  public Suppression {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(createdAt, "createdAt");
    scope = scope(scope);
  }

  /**
   * An entry for all mail (no scope).
   *
   * @param address the address, lower case
   * @param reason why, e.g. {@code hard-bounce} or {@code manual}
   * @param reply the reply that caused it (hard bounces), or {@code null}
   * @param createdAt when it was added (database clock)
   * @param expiresAt when it stops applying, or {@code null} for never
   */
  public Suppression(
      String address,
      String reason,
      @Nullable SmtpReply reply,
      Instant createdAt,
      @Nullable Instant expiresAt) {
    this(address, null, reason, reply, createdAt, expiresAt);
  }

  /**
   * A scope as entries hold it: {@code null} for all mail, whether given as {@code null} or {@link
   * UnsubscribeTokens#ALL_MAIL}, else the tag.
   *
   * @param scope a tag, {@code null} or {@value UnsubscribeTokens#ALL_MAIL}
   * @return the tag, or {@code null} for all mail
   * @throws IllegalArgumentException if the scope is neither a tag nor all mail
   */
  public static @Nullable String scope(@Nullable String scope) {
    if (scope == null || UnsubscribeTokens.ALL_MAIL.equals(scope)) {
      return null;
    }
    if (!Mail.isValidTag(scope)) {
      throw new IllegalArgumentException(
          "scope must be a tag (1-64 of [A-Za-z0-9._-]) or null for all mail: " + scope);
    }
    return scope;
  }
}
