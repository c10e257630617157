package dev.mailqueue;

import java.time.Duration;
import java.util.Objects;

/**
 * When to try again after a temporary failure (4xx, connection failure, timeout), and when to give
 * up. A pure value: {@link #backoff(int, double)} and {@link #attemptsExhausted(int)} can be driven
 * with numbers in a test. The engine's retry decision is the one place that applies them, with the
 * message's own lifetime and the server's reply.
 *
 * <p>Defaults follow Postfix: first retry after {@value #DEFAULT_INITIAL_DELAY_SECONDS} s ({@code
 * minimal_backoff_time}), doubling, capped at {@value #DEFAULT_MAX_DELAY_SECONDS} s ({@code
 * maximal_backoff_time}), give up after 5 days ({@code maximal_queue_lifetime}). Each delay is
 * shortened by up to {@link #DEFAULT_JITTER} (10 %) at random so that a burst of failures does not
 * come back as a burst of retries.
 *
 * @param initialDelay delay after the first failed attempt
 * @param multiplier factor applied per further failed attempt (at least 1)
 * @param maxDelay the cap on a single delay
 * @param jitter fraction (0 to 1) by which a delay is shortened at random
 * @param maxAttempts attempts after which the message expires even if its age allows more
 * @param maxAge age after which the message expires; a per-message lifetime overrides it
 */
public record RetryPolicy(
    Duration initialDelay,
    double multiplier,
    Duration maxDelay,
    double jitter,
    int maxAttempts,
    Duration maxAge) {
  /** Postfix {@code minimal_backoff_time}: 300 s. */
  public static final long DEFAULT_INITIAL_DELAY_SECONDS = 300;

  /** Postfix {@code maximal_backoff_time}: 4000 s. */
  public static final long DEFAULT_MAX_DELAY_SECONDS = 4000;

  /** First retry after 5 minutes. */
  public static final Duration DEFAULT_INITIAL_DELAY =
      Duration.ofSeconds(DEFAULT_INITIAL_DELAY_SECONDS);

  /** Each retry waits twice as long as the one before. */
  public static final double DEFAULT_MULTIPLIER = 2.0;

  /** No single wait longer than 4000 s. */
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(DEFAULT_MAX_DELAY_SECONDS);

  /** Delays are shortened at random by up to 10 %. */
  public static final double DEFAULT_JITTER = 0.1;

  /** High enough that, with the default backoff, {@link #DEFAULT_MAX_AGE} decides. */
  public static final int DEFAULT_MAX_ATTEMPTS = 200;

  /** Postfix {@code maximal_queue_lifetime}: 5 days. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(5);

  private static final RetryPolicy DEFAULTS = builder().build();

  /**
   * Validates the values.
   *
   * @param initialDelay delay after the first failed attempt
   * @param multiplier factor applied per further failed attempt (at least 1)
   * @param maxDelay the cap on a single delay
   * @param jitter fraction (0 to 1) by which a delay is shortened at random
   * @param maxAttempts attempts after which the message expires even if its age allows more
   * @param maxAge age after which the message expires; a per-message lifetime overrides it
   * @throws IllegalArgumentException if a duration is not positive, {@code multiplier} is below 1
   *     or infinite, {@code jitter} is outside [0, 1) or {@code maxAttempts} is below 1
   */
  public RetryPolicy {
    requirePositive(initialDelay, "initialDelay");
    requirePositive(maxDelay, "maxDelay");
    requirePositive(maxAge, "maxAge");
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be >= 1: " + multiplier);
    }
    if (!(jitter >= 0.0 && jitter < 1.0)) {
      throw new IllegalArgumentException("jitter must be in [0, 1): " + jitter);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
    }
  }

  /** {@return the Postfix-like defaults described above} */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** {@return a builder starting from the defaults} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return a builder starting from this policy's values} */
  public Builder toBuilder() {
    return new Builder()
        .initialDelay(initialDelay)
        .multiplier(multiplier)
        .maxDelay(maxDelay)
        .jitter(jitter)
        .maxAttempts(maxAttempts)
        .maxAge(maxAge);
  }

  /**
   * The wait after {@code failedAttempts} failed attempts (1 for the first failure), before jitter:
   * {@code initialDelay * multiplier^(failedAttempts-1)}, capped at {@code maxDelay}.
   *
   * @param failedAttempts the failed attempts so far, at least 1
   * @return the wait before the next attempt, without jitter
   * @throws IllegalArgumentException if {@code failedAttempts} is below 1
   */
  public Duration backoff(int failedAttempts) {
    if (failedAttempts < 1) {
      throw new IllegalArgumentException("failedAttempts must be >= 1: " + failedAttempts);
    }
    double millis = initialDelay.toMillis() * Math.pow(multiplier, failedAttempts - 1);
    return Duration.ofMillis((long) Math.min(millis, maxDelay.toMillis()));
  }

  /**
   * The backoff shortened by {@code jitter * random}, with {@code random} in [0, 1).
   *
   * @param failedAttempts the failed attempts so far, at least 1
   * @param random a value in [0, 1), e.g. from {@code ThreadLocalRandom}; 0 gives the full backoff
   * @return the wait before the next attempt, at least 1 ms
   * @throws IllegalArgumentException if {@code failedAttempts} is below 1
   */
  public Duration backoff(int failedAttempts, double random) {
    long base = backoff(failedAttempts).toMillis();
    return Duration.ofMillis(Math.max(1, Math.round(base * (1.0 - jitter * random))));
  }

  /**
   * Whether {@code failedAttempts} failed attempts exhaust {@link #maxAttempts()}.
   *
   * @param failedAttempts the failed attempts so far
   * @return whether no further attempt is allowed
   */
  public boolean attemptsExhausted(int failedAttempts) {
    return failedAttempts >= maxAttempts;
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  /** Builds a {@link RetryPolicy}; every setter says its default. Not thread-safe. */
  public static final class Builder {
    private Duration initialDelay = DEFAULT_INITIAL_DELAY;
    private double multiplier = DEFAULT_MULTIPLIER;
    private Duration maxDelay = DEFAULT_MAX_DELAY;
    private double jitter = DEFAULT_JITTER;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration maxAge = DEFAULT_MAX_AGE;

    private Builder() {}

    /**
     * Delay after the first failure. Defaults to 5 minutes.
     *
     * @param initialDelay the delay, positive; checked by {@link #build()}
     * @return this builder
     */
    public Builder initialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
      return this;
    }

    /**
     * Growth factor per failure. Defaults to 2.
     *
     * @param multiplier the factor, at least 1; checked by {@link #build()}
     * @return this builder
     */
    public Builder multiplier(double multiplier) {
      this.multiplier = multiplier;
      return this;
    }

    /**
     * Cap on one delay. Defaults to 4000 s.
     *
     * @param maxDelay the cap, positive; checked by {@link #build()}
     * @return this builder
     */
    public Builder maxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
      return this;
    }

    /**
     * Random shortening of each delay, 0 to 1. Defaults to 0.1.
     *
     * @param jitter the fraction, at least 0 and below 1; checked by {@link #build()}
     * @return this builder
     */
    public Builder jitter(double jitter) {
      this.jitter = jitter;
      return this;
    }

    /**
     * Attempts before giving up. Defaults to 200 (so that the age limit decides).
     *
     * @param maxAttempts the attempts, at least 1; checked by {@link #build()}
     * @return this builder
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Age before giving up. Defaults to 5 days.
     *
     * @param maxAge the age, from enqueue, positive; checked by {@link #build()}
     * @return this builder
     */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = maxAge;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the policy
     * @throws IllegalArgumentException if a value is out of range, as the record's constructor says
     */
    public RetryPolicy build() {
      return new RetryPolicy(initialDelay, multiplier, maxDelay, jitter, maxAttempts, maxAge);
    }
  }
}
