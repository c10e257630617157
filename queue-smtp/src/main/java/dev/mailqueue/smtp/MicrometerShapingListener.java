package dev.mailqueue.smtp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shaping made visible in Micrometer, for {@code SmtpTransportBuilder.shapingListener(...)}:
 *
 * <ul>
 *   <li>{@code mailqueue.shaping.throttled{destination,reason}}: a counter of mail held back;
 *   <li>{@code mailqueue.shaping.breaker.transitions{destination,to}}: a counter of breaker
 *       changes;
 *   <li>{@code mailqueue.shaping.breaker.state{destination}}: a gauge, 0 closed, 1 half-open, 2
 *       open;
 *   <li>{@code mailqueue.shaping.rate{destination}}: a gauge of the current messages per period.
 * </ul>
 *
 * The destination (relay host, MX host or group name) is a tag; to keep cardinality bounded, at
 * most {@value #DEFAULT_MAX_DESTINATIONS} distinct destinations get their own tag value and the
 * rest are counted as {@code other}. Thread-safe; may be combined with another listener by
 * delegation.
 */
public final class MicrometerShapingListener implements ShapingListener {
  /** Destinations that get a tag value of their own; later ones are tagged {@code other}. */
  public static final int DEFAULT_MAX_DESTINATIONS = 100;

  private final MeterRegistry registry;
  private final int maxDestinations;
  private final Map<String, String> tags = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> breakerStates = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> rates = new ConcurrentHashMap<>();

  /**
   * Registers meters in {@code registry} with the default destination limit.
   *
   * @param registry where the meters are registered; not null
   */
  public MicrometerShapingListener(MeterRegistry registry) {
    this(registry, DEFAULT_MAX_DESTINATIONS);
  }

  /**
   * Registers meters in {@code registry}, giving at most {@code maxDestinations} destinations their
   * own tag.
   *
   * @param registry where the meters are registered; not null
   * @param maxDestinations destinations tagged by name, at least 1; bounds the number of meters
   * @throws IllegalArgumentException when {@code maxDestinations} is below 1
   */
  public MicrometerShapingListener(MeterRegistry registry, int maxDestinations) {
    this.registry = Objects.requireNonNull(registry, "registry");
    if (maxDestinations < 1) {
      throw new IllegalArgumentException("maxDestinations must be positive: " + maxDestinations);
    }
    this.maxDestinations = maxDestinations;
  }

  @Override
  public void throttled(String destination, Reason reason, Duration retryAfter) {
    Counter.builder("mailqueue.shaping.throttled")
        .description("Mail deferred by a local limit without counting an attempt")
        .tag("destination", tag(destination))
        .tag("reason", reason.name().toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  @Override
  public void breakerStateChanged(String destination, BreakerState from, BreakerState to) {
    String tag = tag(destination);
    Counter.builder("mailqueue.shaping.breaker.transitions")
        .description("Circuit breaker state changes per destination")
        .tag("destination", tag)
        .tag("to", to.name().toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
    breakerStates
        .computeIfAbsent(
            tag,
            t -> {
              AtomicInteger state = new AtomicInteger();
              Gauge.builder("mailqueue.shaping.breaker.state", state, AtomicInteger::get)
                  .description("0 closed, 1 half-open, 2 open")
                  .tag("destination", t)
                  .register(registry);
              return state;
            })
        .set(
            switch (to) {
              case CLOSED -> 0;
              case HALF_OPEN -> 1;
              case OPEN -> 2;
            });
  }

  @Override
  public void rateChanged(String destination, int messagesPerPeriod, Duration period) {
    rates
        .computeIfAbsent(
            tag(destination),
            t -> {
              AtomicInteger rate = new AtomicInteger();
              Gauge.builder("mailqueue.shaping.rate", rate, AtomicInteger::get)
                  .description("Messages per rate period the destination may receive now")
                  .tag("destination", t)
                  .register(registry);
              return rate;
            })
        .set(messagesPerPeriod);
  }

  private String tag(String destination) {
    String known = tags.get(destination);
    if (known != null) {
      return known;
    }
    synchronized (tags) {
      return tags.computeIfAbsent(destination, d -> tags.size() < maxDestinations ? d : "other");
    }
  }
}
