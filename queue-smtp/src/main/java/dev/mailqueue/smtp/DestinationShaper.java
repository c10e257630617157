package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.DestinationLimits.Destination;
import dev.mailqueue.smtp.ShapingListener.BreakerState;
import dev.mailqueue.smtp.ShapingListener.Reason;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where destination limits are enforced: splits a message by destination, holds back what a rate,
 * concurrency limit or open breaker does not allow, and hands the rest to the unshaped delivery it
 * is given, which never calls back (see {@link ShapingTransport} for the rules). Thread-safe; never
 * blocks waiting for a permit.
 */
final class DestinationShaper {
  private static final Logger log = LoggerFactory.getLogger(ShapingTransport.class);

  /** When mail held back by the concurrency limit or a half-open breaker is due again. */
  static final Duration BUSY_RETRY = Duration.ofSeconds(1);

  private final DestinationLimits limits;
  private final Function<String, String> hostOfDomain;
  private final ShapingListener listener;
  private final RateLimiterRegistry rateLimiters;
  private final BulkheadRegistry bulkheads;
  private final CircuitBreakerRegistry breakers;
  private final Map<String, DestinationShape> shapes = new ConcurrentHashMap<>();
  private final List<ReplyRule> rules;
  private final Duration blockSuspension;

  /** Live nodes sharing the limits, as last told by {@link #liveNodes}. */
  private volatile int nodes = 1;

  /**
   * @param hostOfDomain where mail for a recipient domain goes (the relay, or the MX host), matched
   *     against the groups of {@code limits}; {@code null} delivers that domain's mail unshaped
   */
  DestinationShaper(
      DestinationLimits limits, Function<String, String> hostOfDomain, ShapingListener listener) {
    this(
        limits,
        hostOfDomain,
        listener,
        ReplyRule.builtIn(),
        SmtpTransport.DEFAULT_BLOCK_SUSPENSION);
  }

  /**
   * @param rules the reply rules already applied to the results (to find which blocks suspend)
   * @param blockSuspension how long a {@link ReplyAction#SUSPEND_DESTINATION} block opens the
   *     destination's breaker
   */
  DestinationShaper(
      DestinationLimits limits,
      Function<String, String> hostOfDomain,
      ShapingListener listener,
      List<ReplyRule> rules,
      Duration blockSuspension) {
    this.rules = List.copyOf(rules);
    this.blockSuspension = blockSuspension;
    this.limits = limits;
    this.hostOfDomain = hostOfDomain;
    this.listener = listener;
    this.rateLimiters =
        RateLimiterRegistry.of(
            rateConfig(limits.defaults().messagesPerPeriod(), limits.defaults().period()));
    this.bulkheads = BulkheadRegistry.of(bulkheadConfig(limits.defaults().maxConcurrentSessions()));
    this.breakers = CircuitBreakerRegistry.of(breakerConfig(limits));
  }

  /**
   * Delivers {@code mail} through {@code unshaped}, destination by destination, unless a limit or
   * an open breaker holds it back; merges the parts' outcomes.
   */
  DeliveryResult deliver(OutboundMail mail, Function<OutboundMail, DeliveryResult> unshaped) {
    Objects.requireNonNull(mail, "mail");
    Map<String, List<MailAddress>> byDestination = new LinkedHashMap<>();
    Map<String, Destination> destinations = new LinkedHashMap<>();
    for (MailAddress a : mail.recipients()) {
      Destination d = destinationOf(a.domain());
      String key = d == null ? "" : d.name();
      byDestination.computeIfAbsent(key, k -> new ArrayList<>()).add(a);
      if (d != null) {
        destinations.putIfAbsent(key, d);
      }
    }
    if (byDestination.size() == 1) {
      return deliverTo(destinations.get(byDestination.keySet().iterator().next()), mail, unshaped);
    }
    List<DeliveryResult> parts = new ArrayList<>();
    for (Map.Entry<String, List<MailAddress>> e : byDestination.entrySet()) {
      OutboundMail part = mail.withRecipients(e.getValue());
      parts.add(deliverTo(destinations.get(e.getKey()), part, unshaped));
    }
    return DeliveryResult.merge(mail.recipients(), parts);
  }

  private Destination destinationOf(String domain) {
    String host;
    try {
      host = hostOfDomain.apply(domain);
    } catch (RuntimeException e) {
      log.warn("cannot tell where mail for {} goes; delivering it unshaped", domain, e);
      return null;
    }
    return host == null ? null : limits.destinationOf(domain, host);
  }

  /**
   * Shapes one part; {@code destination == null}: no destination known (e.g. DNS failed), delivered
   * unshaped.
   */
  private DeliveryResult deliverTo(
      Destination destination, OutboundMail mail, Function<OutboundMail, DeliveryResult> unshaped) {
    if (destination == null) {
      return unshaped.apply(mail);
    }
    DestinationShape shape = shapes.computeIfAbsent(destination.name(), n -> newShape(destination));
    shape.follow(nodes);
    CircuitBreaker breaker = shape.breaker;
    if (!breaker.tryAcquirePermission()) {
      return heldBack(
          shape,
          mail,
          Reason.BREAKER_OPEN,
          shape.remainingOpen(),
          SmtpReply.local(
              451,
              "4.4.1",
              "destination "
                  + shape.name
                  + (shape.suspended
                      ? " is suspended after a block against the sender (circuit breaker "
                      : " is not responding (circuit breaker ")
                  + breaker.getState()
                  + ")"));
    }
    if (!shape.bulkhead.tryAcquirePermission()) {
      breaker.releasePermission();
      return heldBack(
          shape,
          mail,
          Reason.CONCURRENCY,
          BUSY_RETRY,
          SmtpReply.local(
              451,
              "4.7.0",
              "local concurrency limit for "
                  + shape.name
                  + " ("
                  + sessionShare(destination.limit().maxConcurrentSessions(), shape.nodes())
                  + " sessions)"));
    }
    shape.recoverRate();
    if (!shape.limiter.acquirePermission()) {
      shape.releaseSession();
      breaker.releasePermission();
      return heldBack(
          shape,
          mail,
          Reason.RATE,
          shape.nextSlot(),
          SmtpReply.local(451, "4.7.0", "local rate limit for " + shape.name));
    }
    long start = System.nanoTime();
    DeliveryResult result;
    try {
      result = unshaped.apply(mail);
    } catch (RuntimeException | Error e) {
      breaker.releasePermission();
      throw e;
    } finally {
      shape.releaseSession();
    }
    long elapsed = System.nanoTime() - start;
    // before the breaker hears the failure: a suspension is longer than the breaker's own opening
    blocked(shape, result);
    switch (DestinationHealth.of(result)) {
      case FAILURE ->
          breaker.onError(elapsed, TimeUnit.NANOSECONDS, new DestinationNotResponding(shape.name));
      case SUCCESS -> breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
      case NEUTRAL -> breaker.releasePermission();
    }
    for (RecipientOutcome o : result.recipients()) {
      if (limits.isSlowDown(o.reply())) {
        shape.slowDown(o.reply());
        break;
      }
    }
    return result;
  }

  /**
   * Raises the alert for a block against the sender in {@code result} (once per attempt) and, when
   * its rule says so, suspends the destination: its breaker opens for the block suspension. The
   * warning is logged once per suspension: while the breaker is open no further mail goes there,
   * and a block that arrives from a delivery already under way does not open it again.
   */
  private void blocked(DestinationShape shape, DeliveryResult result) {
    RecipientOutcome blocked = null;
    ReplyRule rule = null;
    for (RecipientOutcome o : result.recipients()) {
      if (o.block() != null) {
        ReplyRule r = ReplyClassifier.ruleFor(o.reply(), rules);
        if (blocked == null || (r != null && r.action() == ReplyAction.SUSPEND_DESTINATION)) {
          blocked = o;
          rule = r;
        }
      }
    }
    if (blocked == null) {
      return;
    }
    ReplyClass replyClass = ReplyClassifier.blockClass(blocked, rules);
    Duration suspended = null;
    if (rule != null && rule.action() == ReplyAction.SUSPEND_DESTINATION) {
      if (shape.suspend(blockSuspension)) {
        suspended = blockSuspension;
        log.warn(
            "destination {} suspended for {} s: {} of the sender ({}): {}; its mail is held until"
                + " then, and no address is suppressed for it",
            shape.name,
            blockSuspension.toSeconds(),
            replyClass,
            rule.source(),
            blocked.reply());
      }
    }
    try {
      listener.blocked(shape.name, replyClass, blocked.reply(), suspended);
    } catch (RuntimeException e) {
      log.warn("shaping listener failed on blocked({}, {})", shape.name, replyClass, e);
    }
  }

  private DestinationShape newShape(Destination d) {
    String name = d.name();
    return new DestinationShape(
        d,
        nodes,
        limits,
        listener,
        rate -> rateLimiters.rateLimiter(name, rateConfig(rate, d.limit().period())),
        bulkheads.bulkhead(name, bulkheadConfig(d.limit().maxConcurrentSessions())),
        breakers.circuitBreaker(name));
  }

  private DeliveryResult heldBack(
      DestinationShape shape,
      OutboundMail mail,
      Reason reason,
      Duration retryAfter,
      SmtpReply reply) {
    try {
      listener.throttled(shape.name, reason, retryAfter);
    } catch (RuntimeException e) {
      log.warn("shaping listener failed on throttled({}, {})", shape.name, reason, e);
    }
    return DeliveryResult.notCounted(mail.recipients(), reply, retryAfter, null);
  }

  /** Divides every destination's limits among {@code nodes} live nodes, from now on. */
  void liveNodes(int nodes) {
    if (nodes < 1) {
      throw new IllegalArgumentException("at least this node is alive: " + nodes);
    }
    this.nodes = nodes;
    for (DestinationShape s : shapes.values()) {
      s.follow(nodes);
    }
  }

  /**
   * The breaker state of {@code destination}, or {@code null} if no mail went there yet (tests,
   * monitoring).
   */
  BreakerState breakerState(String destination) {
    DestinationShape s = shapes.get(destination);
    return s == null ? null : state(s.breaker.getState());
  }

  /** The current messages per period of {@code destination}, or 0 if no mail went there yet. */
  int currentRate(String destination) {
    DestinationShape s = shapes.get(destination);
    return s == null ? 0 : s.limiter.getRateLimiterConfig().getLimitForPeriod();
  }

  /** Sessions this node may open to {@code destination} now, or 0 if no mail went there yet. */
  int currentSessions(String destination) {
    DestinationShape s = shapes.get(destination);
    return s == null ? 0 : s.sessionShare();
  }

  /**
   * One node's share of a rate: rounded down, so that the nodes together stay within it, but at
   * least 1.
   */
  static int rateShare(int messagesPerPeriod, int nodes) {
    return Math.max(1, messagesPerPeriod / nodes);
  }

  /** One node's share of the sessions: rounded up, so that a destination never gets none. */
  static int sessionShare(int sessions, int nodes) {
    return (sessions + nodes - 1) / nodes;
  }

  static BreakerState state(CircuitBreaker.State s) {
    return switch (s) {
      case OPEN, FORCED_OPEN -> BreakerState.OPEN;
      case HALF_OPEN -> BreakerState.HALF_OPEN;
      default -> BreakerState.CLOSED;
    };
  }

  private static RateLimiterConfig rateConfig(int messages, Duration period) {
    return RateLimiterConfig.custom()
        .limitForPeriod(messages)
        .limitRefreshPeriod(period)
        .timeoutDuration(Duration.ZERO)
        .build();
  }

  private static BulkheadConfig bulkheadConfig(int max) {
    return BulkheadConfig.custom().maxConcurrentCalls(max).maxWaitDuration(Duration.ZERO).build();
  }

  private static CircuitBreakerConfig breakerConfig(DestinationLimits limits) {
    // N consecutive failures: a window of the last N calls, all of which failed.
    return CircuitBreakerConfig.custom()
        .slidingWindowType(SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(limits.failuresToOpen())
        .minimumNumberOfCalls(limits.failuresToOpen())
        .failureRateThreshold(100)
        .waitDurationInOpenState(limits.openDuration())
        .permittedNumberOfCallsInHalfOpenState(1)
        .automaticTransitionFromOpenToHalfOpenEnabled(false)
        .writableStackTraceEnabled(false)
        .build();
  }

  /** Recorded as the breaker's failure; never thrown to callers. */
  private static final class DestinationNotResponding extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DestinationNotResponding(String destination) {
      super("destination " + destination + " is not responding", null, false, false);
    }
  }
}
