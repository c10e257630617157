package dev.mailqueue.smtp;

import java.time.Duration;

/**
 * A time limit for one part of a direct delivery (a whole message, or the mail to one domain),
 * counted from when it started: every MX attempt within it ends when it is used up, and what was
 * not tried by then is deferred untried. Immutable.
 *
 * @param length how long the part may take
 * @param scope what it covers, for replies and logs, e.g. "this message" or "mail to example.com"
 * @param endNanos {@link System#nanoTime()} when it is used up
 */
record TimeBudget(Duration length, String scope, long endNanos) {

  /** A budget of {@code length} for {@code scope}, starting now. */
  static TimeBudget start(Duration length, String scope) {
    return new TimeBudget(length, scope, System.nanoTime() + length.toNanos());
  }

  /** Nanoseconds left; zero or less once used up. */
  long remainingNanos() {
    return endNanos - System.nanoTime();
  }

  boolean usedUp() {
    return remainingNanos() <= 0;
  }

  /** Whichever of this and {@code other} is used up first (this one when both end together). */
  TimeBudget tighter(TimeBudget other) {
    return other.endNanos - endNanos < 0 ? other : this;
  }
}
