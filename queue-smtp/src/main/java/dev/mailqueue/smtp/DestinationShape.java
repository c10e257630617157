package dev.mailqueue.smtp;

import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.DestinationLimits.Destination;
import dev.mailqueue.smtp.DestinationLimits.Limit;
import dev.mailqueue.smtp.ShapingListener.BreakerState;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import java.time.Duration;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The limiter, bulkhead and breaker of one destination of a {@link DestinationShaper}, and its
 * slow-down and node-share state. Thread-safe.
 */
final class DestinationShape {
  private static final Logger log = LoggerFactory.getLogger(ShapingTransport.class);

  final String name;
  final Limit limit;
  final RateLimiter limiter;
  final Bulkhead bulkhead;
  final CircuitBreaker breaker;

  /** Set while {@link #suspend} opens the breaker, so that the transition takes its duration. */
  private volatile @Nullable Duration suspending;

  /** Whether the breaker's last opening was a suspension after a block (for the held reply). */
  volatile boolean suspended;

  private final DestinationLimits limits;
  private final ShapingListener listener;

  /**
   * When the limiter's first period began (read just after it was created, so never before its own
   * start): its periods follow one another from there, which tells when a permit is free again.
   */
  private final long limiterStartNanos;

  private final long slotNanos;
  private long nextSlotNanos = System.nanoTime();
  private volatile long openUntilNanos;
  private volatile int currentRate;
  private long lastRateChangeNanos;

  /** The node count the limits are divided by. */
  private volatile int nodes;

  /**
   * Bulkhead permits this shape holds itself, lowering the configured ceiling to this node's share
   * of the sessions; {@code owed} more are kept as deliveries finish (never waited for).
   */
  private int reserved;

  private volatile int owed;

  /**
   * @param makeLimiter creates the destination's rate limiter for a number of messages per period
   */
  DestinationShape(
      Destination d,
      int nodes,
      DestinationLimits limits,
      ShapingListener listener,
      IntFunction<RateLimiter> makeLimiter,
      Bulkhead bulkhead,
      CircuitBreaker breaker) {
    this.name = d.name();
    this.limit = d.limit();
    this.limits = limits;
    this.listener = listener;
    this.nodes = nodes;
    this.limiter = makeLimiter.apply(fullRate());
    this.limiterStartNanos = System.nanoTime();
    this.bulkhead = bulkhead;
    this.breaker = breaker;
    this.slotNanos = Math.max(1, limit.period().toNanos() / limit.messagesPerPeriod());
    this.currentRate = fullRate();
    holdSessions(limit.maxConcurrentSessions() - sessionShare());
    breaker
        .getEventPublisher()
        .onStateTransition(
            e -> {
              BreakerState from = DestinationShaper.state(e.getStateTransition().getFromState());
              BreakerState to = DestinationShaper.state(e.getStateTransition().getToState());
              Duration suspension = suspending;
              if (to == BreakerState.OPEN) {
                suspended = suspension != null;
              }
              if (to == BreakerState.OPEN && suspension != null) {
                // DestinationShaper logged the block that suspended the destination
                openUntilNanos = System.nanoTime() + suspension.toNanos();
              } else if (to == BreakerState.OPEN) {
                openUntilNanos = System.nanoTime() + limits.openDuration().toNanos();
                log.warn(
                    "destination {} is not responding or refuses the sender: deferring its mail for {} ms (circuit breaker {} -> {})",
                    name,
                    limits.openDuration().toMillis(),
                    from,
                    to);
              } else {
                log.info("destination {}: circuit breaker {} -> {}", name, from, to);
              }
              if (from != to) {
                try {
                  listener.breakerStateChanged(name, from, to);
                } catch (RuntimeException ex) {
                  log.warn("shaping listener failed on breakerStateChanged({})", name, ex);
                }
              }
            });
    limiter
        .getEventPublisher()
        .onFailure(e -> log.debug("destination {}: rate limit reached", name));
    bulkhead
        .getEventPublisher()
        .onCallRejected(e -> log.debug("destination {}: concurrency limit reached", name));
  }

  /**
   * Suspends the destination: opens its breaker for {@code duration} (after which one message
   * probes, as after any opening), unless it is open already.
   *
   * @return whether this call suspended it
   */
  synchronized boolean suspend(Duration duration) {
    CircuitBreaker.State state = breaker.getState();
    if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
      return false;
    }
    suspending = duration;
    try {
      breaker.transitionToOpenStateFor(duration);
    } finally {
      suspending = null;
    }
    return true;
  }

  /**
   * Time left until the breaker lets a probe through; a little while when the probe is already
   * running.
   */
  Duration remainingOpen() {
    long left = openUntilNanos - System.nanoTime();
    return left > 0 ? Duration.ofNanos(left) : DestinationShaper.BUSY_RETRY;
  }

  /**
   * When this held-back message should come back: the first free permit, then one permit's worth
   * later for each message held back before it, so that a backlog returns at the rate it can be
   * sent instead of all at once.
   */
  synchronized Duration nextSlot() {
    long now = System.nanoTime();
    long wait = limiter.getMetrics().getAvailablePermissions() > 0 ? 0 : nanosToNextPeriod(now);
    long slot = Math.max(now + Math.max(wait, 1_000_000), nextSlotNanos);
    nextSlotNanos = slot + Math.max(slotNanos, limit.period().toNanos() / Math.max(1, currentRate));
    return Duration.ofNanos(slot - now);
  }

  /** Time until the limiter's next period begins and its permits are refreshed. */
  private long nanosToNextPeriod(long now) {
    long period = limit.period().toNanos();
    return period - Math.floorMod(now - limiterStartNanos, period);
  }

  synchronized void slowDown(SmtpReply reply) {
    int lowered = Math.max(1, currentRate / 2);
    lastRateChangeNanos = System.nanoTime();
    limiter.drainPermissions(); // the lower rate starts now, not at the next period
    if (lowered != currentRate) {
      changeRate(lowered);
      log.warn(
          "destination {} asked to slow down ({}): rate lowered to {} per {}",
          name,
          reply,
          lowered,
          limit.period());
    }
  }

  void recoverRate() {
    if (currentRate >= fullRate()) {
      return;
    }
    synchronized (this) {
      long now = System.nanoTime();
      if (currentRate < fullRate()
          && now - lastRateChangeNanos >= limits.slowDownHold().toNanos()) {
        int raised = (int) Math.min(fullRate(), currentRate * 2L);
        lastRateChangeNanos = now;
        changeRate(raised);
        log.info("destination {}: rate raised to {} per {}", name, raised, limit.period());
      }
    }
  }

  /** This node's share of the configured rate: the rate it returns to after slowing down. */
  private int fullRate() {
    return DestinationShaper.rateShare(limit.messagesPerPeriod(), nodes);
  }

  int sessionShare() {
    return DestinationShaper.sessionShare(limit.maxConcurrentSessions(), nodes);
  }

  int nodes() {
    return nodes;
  }

  /**
   * Divides the limits by {@code n} nodes unless they already are; a slowed-down rate stays as low.
   */
  void follow(int n) {
    if (n == nodes) {
      return;
    }
    synchronized (this) {
      if (n == nodes) {
        return;
      }
      int oldFull = fullRate();
      nodes = n;
      int rate = currentRate >= oldFull ? fullRate() : Math.min(currentRate, fullRate());
      if (rate != currentRate) {
        changeRate(rate);
      }
      holdSessions(limit.maxConcurrentSessions() - sessionShare());
      log.debug(
          "destination {}: limits divided among {} nodes: {} per {}, {} sessions",
          name,
          n,
          rate,
          limit.period(),
          sessionShare());
    }
  }

  /**
   * Holds {@code want} bulkhead permits: takes free ones now and the rest as deliveries finish, or
   * gives some back.
   */
  private void holdSessions(int want) {
    int more = want - reserved - owed;
    if (more > 0) {
      while (more > 0 && bulkhead.tryAcquirePermission()) {
        reserved++;
        more--;
      }
      owed += more;
    } else {
      int fewer = -more;
      int cancelled = Math.min(owed, fewer);
      owed -= cancelled;
      for (int i = cancelled; i < fewer; i++) {
        reserved--;
        bulkhead.onComplete();
      }
    }
  }

  /**
   * Ends a delivery's hold on the bulkhead: the permit is released, or kept when the ceiling is
   * being lowered.
   */
  void releaseSession() {
    if (owed > 0) {
      synchronized (this) {
        if (owed > 0) {
          owed--;
          reserved++;
          return;
        }
      }
    }
    bulkhead.onComplete();
  }

  private void changeRate(int rate) {
    currentRate = rate;
    limiter.changeLimitForPeriod(rate);
    try {
      listener.rateChanged(name, rate, limit.period());
    } catch (RuntimeException e) {
      log.warn("shaping listener failed on rateChanged({})", name, e);
    }
  }
}
