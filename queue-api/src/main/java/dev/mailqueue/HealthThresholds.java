package dev.mailqueue;

import java.time.Duration;
import java.util.Objects;

/**
 * When a queue counts as degraded, for health checks and alerts.
 *
 * @param maxOldestWaiting the oldest unfinished message may be at most this old ({@link
 *     QueueStats#oldestWaiting()})
 * @param maxDeferred at most this many messages may be deferred
 */
public record HealthThresholds(Duration maxOldestWaiting, long maxDeferred) {
  /** Default age limit of the oldest waiting message: 15 minutes. */
  public static final Duration DEFAULT_MAX_OLDEST_WAITING = Duration.ofMinutes(15);

  /** Default limit of deferred messages: 1,000. */
  public static final long DEFAULT_MAX_DEFERRED = 1_000;

  /**
   * Validates the limits.
   *
   * @param maxOldestWaiting the oldest unfinished message may be at most this old ({@link
   *     QueueStats#oldestWaiting()})
   * @param maxDeferred at most this many messages may be deferred
   * @throws IllegalArgumentException if a threshold is negative
   */
  public HealthThresholds {
    Objects.requireNonNull(maxOldestWaiting, "maxOldestWaiting");
    if (maxOldestWaiting.isNegative() || maxDeferred < 0) {
      throw new IllegalArgumentException("thresholds must not be negative");
    }
  }

  /** {@return the defaults: 15 minutes and 1,000 deferred} */
  public static HealthThresholds defaults() {
    return new HealthThresholds(DEFAULT_MAX_OLDEST_WAITING, DEFAULT_MAX_DEFERRED);
  }
}
