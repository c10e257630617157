package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MailTransport} decorator that shapes mail per destination (see {@link DestinationLimits}):
 * a rate limit, a limit on deliveries in progress, a circuit breaker for dead destinations, and a
 * lower rate for a while after the destination asked to slow down. Built on Resilience4j: one
 * {@link RateLimiter}, {@link Bulkhead} and {@link CircuitBreaker} per destination, from registries
 * keyed by the destination's name.
 *
 * <p>Mail a limit holds back is not sent: every recipient is deferred with
 * {@link DeliveryResult#notCounted} (no attempt is consumed) and a local reply such as
 * {@code 451 4.7.0 local rate limit for example.com}, due again when a permit is expected to be
 * free. A worker thread never waits for a permit.
 *
 * <p>The breaker of a destination opens after {@link DestinationLimits#failuresToOpen()}
 * consecutive attempts in which nothing was answered per recipient: every recipient deferred
 * because the connection was refused, timed out or dropped, the attempt deadline passed, no reply
 * came after the data, or the server said 421. While open, that destination's mail is deferred
 * without counting until {@link DestinationLimits#openDuration()} has passed; then one message
 * probes (half-open): success closes the breaker, failure opens it again. Any attempt the server
 * answered per recipient is a success, including a 5xx "user unknown". Other destinations are not
 * affected.
 *
 * <p>A reply matching a {@link DestinationLimits.SlowDownRule} halves the destination's rate
 * (down to one message per period) and ends the current period; after {@link DestinationLimits#slowDownHold()} without
 * another such reply it is doubled, step by step, back to the configured rate.
 *
 * <p>The limits are meant for all nodes delivering from one store together: told by the queue
 * that {@code n} nodes are alive ({@link #liveNodes}), each destination's rate is divided by
 * {@code n} (rounded down, at least one message per period) and its concurrent sessions too
 * (rounded up). Deliveries in progress are never interrupted: after a lowered concurrency, new ones
 * wait until enough have finished.
 *
 * <p>A message whose recipients go to several destinations is split, each part shaped and
 * delivered on its own, and the outcomes merged. Thread-safe; {@link #close()} closes the
 * delegate and is idempotent.
 *
 * <pre>{@code
 * MailTransport shaped = ShapingTransport.builder(SmtpTransport.relay("smtp.example.com", 587).build())
 *     .limits(DestinationLimits.custom().defaults(Limit.ofDefaults().withRate(14, Duration.ofSeconds(1))).build())
 *     .relay("smtp.example.com")
 *     .build();
 * }</pre>
 * {@link SmtpTransport.Builder#shaping} does the same inside an {@link SmtpTransport}, with the MX
 * host as the destination in direct mode and the session limits applied to its connections.
 */
public final class ShapingTransport implements MailTransport, ClusterAware {
  private static final Logger log = LoggerFactory.getLogger(ShapingTransport.class);
  /** When mail held back by the concurrency limit or a half-open breaker is due again. */
  static final Duration BUSY_RETRY = Duration.ofSeconds(1);

  private final MailTransport delegate;
  private final DestinationLimits limits;
  private final Function<String, String> hostOfDomain;
  private final ShapingListener listener;
  private final RateLimiterRegistry rateLimiters;
  private final BulkheadRegistry bulkheads;
  private final CircuitBreakerRegistry breakers;
  private final Map<String, Shape> shapes = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Live nodes sharing the limits, as last told by {@link #liveNodes}. */
  private volatile int nodes = 1;

  private ShapingTransport(MailTransport delegate, DestinationLimits limits, Function<String, String> hostOfDomain,
                           ShapingListener listener) {
    this.delegate = delegate;
    this.limits = limits;
    this.hostOfDomain = hostOfDomain;
    this.listener = listener;
    this.rateLimiters = RateLimiterRegistry.of(rateConfig(limits.defaults().messagesPerPeriod(),
        limits.defaults().period()));
    this.bulkheads = BulkheadRegistry.of(bulkheadConfig(limits.defaults().maxConcurrentSessions()));
    this.breakers = CircuitBreakerRegistry.of(breakerConfig(limits));
  }

  /** Starts a builder decorating {@code delegate}. */
  public static Builder builder(MailTransport delegate) {
    return new Builder(delegate);
  }

  /** Shapes inside an {@link SmtpTransport}: {@code hostOfDomain} gives the relay or MX host. */
  static ShapingTransport internal(MailTransport unshaped, DestinationLimits limits,
                                   Function<String, String> hostOfDomain, ShapingListener listener) {
    return new ShapingTransport(unshaped, limits, hostOfDomain, listener);
  }

  /**
   * Delivers {@code mail} through the delegate, destination by destination, unless a limit or an
   * open breaker holds it back. Never blocks waiting for a permit.
   */
  @Override
  public DeliveryResult deliver(OutboundMail mail) {
    Objects.requireNonNull(mail, "mail");
    Map<String, List<MailAddress>> byDestination = new LinkedHashMap<>();
    Map<String, DestinationLimits.Destination> destinations = new LinkedHashMap<>();
    for (MailAddress a : mail.recipients()) {
      DestinationLimits.Destination d = destinationOf(a.domain());
      String key = d == null ? "" : d.name();
      byDestination.computeIfAbsent(key, k -> new ArrayList<>()).add(a);
      if (d != null) {
        destinations.putIfAbsent(key, d);
      }
    }
    if (byDestination.size() == 1) {
      return deliverTo(destinations.get(byDestination.keySet().iterator().next()), mail);
    }
    List<DeliveryResult> parts = new ArrayList<>();
    for (Map.Entry<String, List<MailAddress>> e : byDestination.entrySet()) {
      OutboundMail part = mail.withRecipients(e.getValue());
      parts.add(deliverTo(destinations.get(e.getKey()), part));
    }
    return DeliveryResult.merge(mail.recipients(), parts);
  }

  private DestinationLimits.Destination destinationOf(String domain) {
    String host;
    try {
      host = hostOfDomain.apply(domain);
    } catch (RuntimeException e) {
      log.warn("cannot tell where mail for {} goes; delivering it unshaped", domain, e);
      return null;
    }
    return host == null ? null : limits.destinationOf(domain, host);
  }

  /** Shapes one part; {@code destination == null}: no destination known (e.g. DNS failed), delivered unshaped. */
  private DeliveryResult deliverTo(DestinationLimits.Destination destination, OutboundMail mail) {
    if (destination == null) {
      return delegate.deliver(mail);
    }
    Shape shape = shapes.computeIfAbsent(destination.name(), n -> new Shape(destination));
    shape.follow(nodes);
    CircuitBreaker breaker = shape.breaker;
    if (!breaker.tryAcquirePermission()) {
      return heldBack(shape, mail, ShapingListener.Reason.BREAKER_OPEN, shape.remainingOpen(),
          SmtpReply.local(451, "4.4.1", "destination " + shape.name + " is not responding (circuit breaker "
              + breaker.getState() + ")"));
    }
    if (!shape.bulkhead.tryAcquirePermission()) {
      breaker.releasePermission();
      return heldBack(shape, mail, ShapingListener.Reason.CONCURRENCY, BUSY_RETRY,
          SmtpReply.local(451, "4.7.0", "local concurrency limit for " + shape.name + " ("
              + sessionShare(destination.limit().maxConcurrentSessions(), shape.nodes) + " sessions)"));
    }
    shape.recoverRate();
    if (!shape.limiter.acquirePermission()) {
      shape.releaseSession();
      breaker.releasePermission();
      return heldBack(shape, mail, ShapingListener.Reason.RATE, shape.nextSlot(),
          SmtpReply.local(451, "4.7.0", "local rate limit for " + shape.name));
    }
    long start = System.nanoTime();
    DeliveryResult result;
    try {
      result = delegate.deliver(mail);
    } catch (RuntimeException | Error e) {
      breaker.releasePermission();
      throw e;
    } finally {
      shape.releaseSession();
    }
    long elapsed = System.nanoTime() - start;
    switch (classify(result)) {
      case FAILURE -> breaker.onError(elapsed, TimeUnit.NANOSECONDS, new DestinationNotResponding(shape.name));
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

  private DeliveryResult heldBack(Shape shape, OutboundMail mail, ShapingListener.Reason reason, Duration retryAfter,
                                  SmtpReply reply) {
    try {
      listener.throttled(shape.name, reason, retryAfter);
    } catch (RuntimeException e) {
      log.warn("shaping listener failed on throttled({}, {})", shape.name, reason, e);
    }
    return DeliveryResult.notCounted(mail.recipients(), reply, retryAfter, null);
  }

  /** What an attempt says about the destination's health. */
  enum Health { SUCCESS, FAILURE, NEUTRAL }

  /**
   * FAILURE when nothing was answered per recipient because the destination did not respond
   * (connect failed, dropped, deadline, no reply after the data, 421); SUCCESS when the server
   * answered per recipient; NEUTRAL for local faults that say nothing about the destination
   * (DNS, configuration, busy connection pool).
   */
  static Health classify(DeliveryResult result) {
    // an uncertain or uncounted kind describes the deferred recipients only: when others were
    // answered (several domains behind one destination), the per-recipient replies decide
    boolean allDeferred = result.recipients().stream().allMatch(o -> o.status() == RecipientStatus.DEFERRED);
    if (allDeferred && result.kind() == DeliveryResult.Kind.UNCERTAIN) {
      return Health.FAILURE;
    }
    if (allDeferred && result.kind() == DeliveryResult.Kind.NOT_COUNTED) {
      return Health.NEUTRAL;
    }
    boolean allFailed = !result.recipients().isEmpty();
    boolean anyAnswered = false;
    for (RecipientOutcome o : result.recipients()) {
      SmtpReply r = o.reply();
      boolean local = r.text().startsWith("local: ");
      boolean notResponding = o.status() == RecipientStatus.DEFERRED
          && (r.code() == 421 || (local && ("4.4.1".equals(r.enhancedStatus()) || "4.4.2".equals(r.enhancedStatus()))));
      allFailed &= notResponding;
      anyAnswered |= !local && !notResponding;
    }
    if (allFailed) {
      return Health.FAILURE;
    }
    return anyAnswered ? Health.SUCCESS : Health.NEUTRAL;
  }

  /** The breaker state of {@code destination}, or {@code null} if no mail went there yet (tests, monitoring). */
  ShapingListener.BreakerState breakerState(String destination) {
    Shape s = shapes.get(destination);
    return s == null ? null : state(s.breaker.getState());
  }

  /** The current messages per period of {@code destination}, or 0 if no mail went there yet. */
  int currentRate(String destination) {
    Shape s = shapes.get(destination);
    return s == null ? 0 : s.limiter.getRateLimiterConfig().getLimitForPeriod();
  }

  /**
   * Divides every destination's limits among {@code nodes} live nodes (see the class comment),
   * from now on; passes the count on to a delegate that is {@link ClusterAware} too.
   *
   * @throws IllegalArgumentException if {@code nodes < 1}
   */
  @Override
  public void liveNodes(int nodes) {
    if (nodes < 1) {
      throw new IllegalArgumentException("at least this node is alive: " + nodes);
    }
    this.nodes = nodes;
    for (Shape s : shapes.values()) {
      s.follow(nodes);
    }
    if (delegate instanceof ClusterAware c) {
      c.liveNodes(nodes);
    }
  }

  /** One node's share of a rate: rounded down, so that the nodes together stay within it, but at least 1. */
  static int rateShare(int messagesPerPeriod, int nodes) {
    return Math.max(1, messagesPerPeriod / nodes);
  }

  /** One node's share of the sessions: rounded up, so that a destination never gets none. */
  static int sessionShare(int sessions, int nodes) {
    return (sessions + nodes - 1) / nodes;
  }

  /** Sessions this node may open to {@code destination} now, or 0 if no mail went there yet. */
  int currentSessions(String destination) {
    Shape s = shapes.get(destination);
    return s == null ? 0 : s.sessionShare();
  }

  /** Closes the delegate. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      delegate.close();
    }
  }

  @Override
  public String toString() {
    return "ShapingTransport[" + delegate + ", " + limits + "]";
  }

  /** The limiter, bulkhead and breaker of one destination, and its slow-down state. */
  private final class Shape {
    final String name;
    final DestinationLimits.Limit limit;
    final RateLimiter limiter;
    final Bulkhead bulkhead;
    final CircuitBreaker breaker;
    private final long slotNanos;
    private long nextSlotNanos = System.nanoTime();
    private volatile long openUntilNanos;
    private volatile int currentRate;
    private long lastRateChangeNanos;
    /** The node count the limits are divided by. */
    private volatile int nodes;
    /**
     * Bulkhead permits this shape holds itself, lowering the configured ceiling to this node's
     * share of the sessions; {@code owed} more are kept as deliveries finish (never waited for).
     */
    private int reserved;
    private volatile int owed;

    Shape(DestinationLimits.Destination d) {
      this.name = d.name();
      this.limit = d.limit();
      this.nodes = ShapingTransport.this.nodes;
      this.limiter = rateLimiters.rateLimiter(name, rateConfig(fullRate(), limit.period()));
      this.bulkhead = bulkheads.bulkhead(name, bulkheadConfig(limit.maxConcurrentSessions()));
      this.breaker = breakers.circuitBreaker(name);
      this.slotNanos = Math.max(1, limit.period().toNanos() / limit.messagesPerPeriod());
      this.currentRate = fullRate();
      holdSessions(limit.maxConcurrentSessions() - sessionShare());
      breaker.getEventPublisher().onStateTransition(e -> {
        ShapingListener.BreakerState from = state(e.getStateTransition().getFromState());
        ShapingListener.BreakerState to = state(e.getStateTransition().getToState());
        if (to == ShapingListener.BreakerState.OPEN) {
          openUntilNanos = System.nanoTime() + limits.openDuration().toNanos();
          log.warn("destination {} is not responding: deferring its mail for {} ms (circuit breaker {} -> {})", name,
              limits.openDuration().toMillis(), from, to);
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
      limiter.getEventPublisher().onFailure(e -> log.debug("destination {}: rate limit reached", name));
      bulkhead.getEventPublisher().onCallRejected(e -> log.debug("destination {}: concurrency limit reached", name));
    }

    /** Time left until the breaker lets a probe through; a little while when the probe is already running. */
    Duration remainingOpen() {
      long left = openUntilNanos - System.nanoTime();
      return left > 0 ? Duration.ofNanos(left) : BUSY_RETRY;
    }

    /**
     * When this held-back message should come back: the first free permit, then one permit's
     * worth later for each message held back before it, so that a backlog returns at the rate it
     * can be sent instead of all at once.
     */
    synchronized Duration nextSlot() {
      long now = System.nanoTime();
      long wait = limiter.getMetrics() instanceof AtomicRateLimiter.AtomicRateLimiterMetrics m
          ? Math.max(0, m.getNanosToWait()) : limit.period().toNanos();
      long slot = Math.max(now + Math.max(wait, 1_000_000), nextSlotNanos);
      nextSlotNanos = slot + Math.max(slotNanos, limit.period().toNanos() / Math.max(1, currentRate));
      return Duration.ofNanos(slot - now);
    }

    synchronized void slowDown(SmtpReply reply) {
      int lowered = Math.max(1, currentRate / 2);
      lastRateChangeNanos = System.nanoTime();
      limiter.drainPermissions(); // the lower rate starts now, not at the next period
      if (lowered != currentRate) {
        changeRate(lowered);
        log.warn("destination {} asked to slow down ({}): rate lowered to {} per {}", name, reply, lowered,
            limit.period());
      }
    }

    void recoverRate() {
      if (currentRate >= fullRate()) {
        return;
      }
      synchronized (this) {
        long now = System.nanoTime();
        if (currentRate < fullRate() && now - lastRateChangeNanos >= limits.slowDownHold().toNanos()) {
          int raised = (int) Math.min(fullRate(), currentRate * 2L);
          lastRateChangeNanos = now;
          changeRate(raised);
          log.info("destination {}: rate raised to {} per {}", name, raised, limit.period());
        }
      }
    }

    /** This node's share of the configured rate: the rate it returns to after slowing down. */
    private int fullRate() {
      return rateShare(limit.messagesPerPeriod(), nodes);
    }

    int sessionShare() {
      return ShapingTransport.sessionShare(limit.maxConcurrentSessions(), nodes);
    }

    /** Divides the limits by {@code n} nodes unless they already are; a slowed-down rate stays as low. */
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
        log.debug("destination {}: limits divided among {} nodes: {} per {}, {} sessions", name, n, rate,
            limit.period(), sessionShare());
      }
    }

    /** Holds {@code want} bulkhead permits: takes free ones now and the rest as deliveries finish, or gives some back. */
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

    /** Ends a delivery's hold on the bulkhead: the permit is released, or kept when the ceiling is being lowered. */
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

  private static ShapingListener.BreakerState state(CircuitBreaker.State s) {
    return switch (s) {
      case OPEN, FORCED_OPEN -> ShapingListener.BreakerState.OPEN;
      case HALF_OPEN -> ShapingListener.BreakerState.HALF_OPEN;
      default -> ShapingListener.BreakerState.CLOSED;
    };
  }

  private static RateLimiterConfig rateConfig(int messages, Duration period) {
    return RateLimiterConfig.custom().limitForPeriod(messages).limitRefreshPeriod(period).timeoutDuration(Duration.ZERO)
        .build();
  }

  private static BulkheadConfig bulkheadConfig(int max) {
    return BulkheadConfig.custom().maxConcurrentCalls(max).maxWaitDuration(Duration.ZERO).build();
  }

  private static CircuitBreakerConfig breakerConfig(DestinationLimits limits) {
    // N consecutive failures: a window of the last N calls, all of which failed.
    return CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
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

  /** Builds a {@link ShapingTransport}. Not thread-safe; every setter validates and returns this builder. */
  public static final class Builder {
    private final MailTransport delegate;
    private DestinationLimits limits = DestinationLimits.ofDefaults();
    private Function<String, String> hostOfDomain = Function.identity();
    private ShapingListener listener = ShapingListener.NONE;

    private Builder(MailTransport delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The limits. Defaults to {@link DestinationLimits#ofDefaults()}. */
    public Builder limits(DestinationLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** All mail goes through this relay: it is the one destination (or a member of a group). Defaults to per-domain destinations. */
    public Builder relay(String host) {
      Objects.requireNonNull(host, "host");
      this.hostOfDomain = d -> host;
      return this;
    }

    /**
     * Each recipient domain's destination is its most preferred MX host (matched against the
     * groups), as {@code resolver} reports it; domains without usable MX hosts are delivered
     * unshaped (the delegate bounces or defers them). Defaults to per-domain destinations.
     */
    public Builder mxResolver(MxResolver resolver) {
      Objects.requireNonNull(resolver, "resolver");
      this.hostOfDomain = d -> resolver.lookup(d) instanceof MxLookup.Hosts h ? h.hosts().get(0).name() : null;
      return this;
    }

    /**
     * Where mail for a recipient domain goes, matched against the groups; {@code null} delivers
     * that domain's mail unshaped. Defaults to the domain itself.
     */
    public Builder hostOfDomain(Function<String, String> hostOfDomain) {
      this.hostOfDomain = Objects.requireNonNull(hostOfDomain, "hostOfDomain");
      return this;
    }

    /** Hears throttling, breaker and rate changes. Defaults to {@link ShapingListener#NONE}. */
    public Builder listener(ShapingListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Builds the transport. */
    public ShapingTransport build() {
      return new ShapingTransport(delegate, limits, hostOfDomain, listener);
    }
  }
}
