package dev.mailqueue.smtp;

import dev.mailqueue.SmtpReply;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Hears what a {@link ShapingTransport} does to each destination: mail held back, breakers opening
 * and closing, rates lowered and raised. Called on the delivering worker thread (or the thread
 * whose call caused the change), so implementations return quickly and never throw; an exception is
 * logged and ignored. Every method defaults to doing nothing.
 */
public interface ShapingListener {
  /** A listener that ignores everything. */
  ShapingListener NONE = new ShapingListener() {};

  /** Why mail was held back. */
  enum Reason {
    /** The destination's rate is used up for now. */
    RATE,
    /** The destination has as many deliveries in progress as it may. */
    CONCURRENCY,
    /** The destination's circuit breaker is open (or half-open with its probe in flight). */
    BREAKER_OPEN
  }

  /** The state of a destination's circuit breaker. */
  enum BreakerState {
    /** Mail flows. */
    CLOSED,
    /** The destination counts as dead: its mail is deferred without counting an attempt. */
    OPEN,
    /** The open time is over: one message probes; success closes, failure opens again. */
    HALF_OPEN
  }

  /**
   * Mail for {@code destination} was deferred without counting an attempt, due again after {@code
   * retryAfter}.
   *
   * @param destination the destination's name: a recipient domain, a group's name or a host name
   * @param reason which limit held the mail back
   * @param retryAfter when the mail is due again, positive
   */
  default void throttled(String destination, Reason reason, Duration retryAfter) {}

  /**
   * The breaker of {@code destination} went from {@code from} to {@code to}.
   *
   * @param destination the destination's name: a recipient domain, a group's name or a host name
   * @param from the state before
   * @param to the state now
   */
  default void breakerStateChanged(String destination, BreakerState from, BreakerState to) {}

  /**
   * The rate of {@code destination} changed: lowered after a slow-down reply, raised one step on
   * the way back to the configured rate, or divided anew when the number of live nodes changed.
   *
   * @param destination the destination's name: a recipient domain, a group's name or a host name
   * @param messagesPerPeriod the new rate on this node, messages per {@code period}
   * @param period the period of the rate
   */
  default void rateChanged(String destination, int messagesPerPeriod, Duration period) {}

  /**
   * {@code destination} refused mail because of the sender, not the recipient (a {@linkplain
   * ReplyRule reply rule} of class {@link ReplyClass#POLICY_BLOCK} or {@link
   * ReplyClass#REPUTATION_BLOCK} matched its reply): an alert, once per attempt that met a block.
   * The recipients are not suppressed; the block counts against the destination's breaker.
   *
   * @param destination the destination's name: a recipient domain, a group's name or a host name
   * @param replyClass the block's class
   * @param reply the server's reply, sanitised and capped
   * @param suspendedFor how long the destination is suspended from now (its breaker is open), or
   *     {@code null} when this block did not suspend it (its rule does not, or it already was)
   */
  default void blocked(
      String destination,
      ReplyClass replyClass,
      SmtpReply reply,
      @Nullable Duration suspendedFor) {}
}
