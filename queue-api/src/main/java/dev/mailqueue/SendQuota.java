package dev.mailqueue;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A limit on how much one sender or one tag may enqueue in a sliding window, against runaway
 * senders (a loop in the application, a compromised account). A mail enqueued while more than
 * {@code limit} matching mails were enqueued in the last {@code window} (itself included) is stored
 * in state {@link MessageState#HOLD}: nothing is sent until an administrator releases it ({@link
 * MailQueueAdmin#release}) or deletes it. Held mail is logged and listed by {@code
 * admin().list(MessageFilter.state(HOLD))}.
 *
 * <p>Counting uses the database and sees committed mail only: concurrent transactions may together
 * exceed the limit by the number of transactions in flight.
 *
 * @param scope what is counted
 * @param key the sender address or tag the quota applies to, or {@code null} for each one
 *     separately
 * @param limit how many mails the window admits
 * @param window the sliding window, e.g. one hour
 */
public record SendQuota(Scope scope, @Nullable String key, int limit, Duration window) {
  /** What a quota counts. */
  public enum Scope {
    /** Mails with the same envelope sender. */
    SENDER,
    /** Mails with the same tag (untagged mail is not counted). */
    TAG
  }

  /**
   * Validates the limits.
   *
   * @param scope what is counted
   * @param key the sender address or tag the quota applies to, or {@code null} for each one
   *     separately
   * @param limit how many mails the window admits
   * @param window the sliding window, e.g. one hour
   * @throws IllegalArgumentException if {@code limit} is below 1 or {@code window} is not positive
   */
  public SendQuota {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(window, "window");
    if (limit < 1) {
      throw new IllegalArgumentException("quota limit must be at least 1: " + limit);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("quota window must be positive: " + window);
    }
  }

  /**
   * At most {@code limit} mails per {@code window} from each envelope sender.
   *
   * @param limit how many mails the window admits, at least 1
   * @param window the sliding window, positive
   * @return a {@link Scope#SENDER} quota for every sender
   */
  public static SendQuota perSender(int limit, Duration window) {
    return new SendQuota(Scope.SENDER, null, limit, window);
  }

  /**
   * At most {@code limit} mails per {@code window} from this envelope sender.
   *
   * @param address the envelope sender's address
   * @param limit how many mails the window admits, at least 1
   * @param window the sliding window, positive
   * @return a {@link Scope#SENDER} quota for that sender alone
   * @throws InvalidMailException if {@code address} is not an address
   */
  public static SendQuota sender(String address, int limit, Duration window) {
    return new SendQuota(Scope.SENDER, MailAddress.of(address).address(), limit, window);
  }

  /**
   * At most {@code limit} mails per {@code window} with each tag.
   *
   * @param limit how many mails the window admits, at least 1
   * @param window the sliding window, positive
   * @return a {@link Scope#TAG} quota for every tag
   */
  public static SendQuota perTag(int limit, Duration window) {
    return new SendQuota(Scope.TAG, null, limit, window);
  }

  /**
   * At most {@code limit} mails per {@code window} with this tag.
   *
   * @param tag the tag
   * @param limit how many mails the window admits, at least 1
   * @param window the sliding window, positive
   * @return a {@link Scope#TAG} quota for that tag alone
   */
  public static SendQuota tag(String tag, int limit, Duration window) {
    return new SendQuota(Scope.TAG, Objects.requireNonNull(tag, "tag"), limit, window);
  }

  /**
   * The value of {@code mail} this quota counts, or {@code null} if the quota does not apply to it.
   *
   * @param envelopeFrom the mail's envelope sender
   * @param tag the mail's tag, or {@code null}
   * @return the sender or tag counted, or {@code null}
   */
  public @Nullable String keyOf(String envelopeFrom, @Nullable String tag) {
    String value = scope == Scope.SENDER ? envelopeFrom : tag;
    if (value == null || (key != null && !key.equals(value))) {
      return null;
    }
    return value;
  }
}
