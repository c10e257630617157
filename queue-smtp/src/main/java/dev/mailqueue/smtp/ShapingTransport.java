package dev.mailqueue.smtp;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RateLimiter;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A {@link MailTransport} decorator that shapes mail per destination (see {@link
 * DestinationLimits}): a rate limit, a limit on deliveries in progress, a circuit breaker for dead
 * destinations, and a lower rate for a while after the destination asked to slow down. Built on
 * Resilience4j: one {@link RateLimiter}, {@link Bulkhead} and {@link CircuitBreaker} per
 * destination, from registries keyed by the destination's name.
 *
 * <p>Mail a limit holds back is not sent: every recipient is deferred with {@link
 * DeliveryResult#notCounted} (no attempt is consumed) and a local reply such as {@code 451 4.7.0
 * local rate limit for example.com}, due again when a permit is expected to be free. A worker
 * thread never waits for a permit.
 *
 * <p>The breaker of a destination opens after {@link DestinationLimits#failuresToOpen()}
 * consecutive attempts in which nothing was answered per recipient: every recipient deferred
 * because the connection was refused, timed out or dropped, the attempt deadline passed, no reply
 * came after the data, or the server said 421. While open, that destination's mail is deferred
 * without counting until {@link DestinationLimits#openDuration()} has passed; then one message
 * probes (half-open): success closes the breaker, failure opens it again. Any attempt the server
 * answered per recipient is a success, including a 5xx "user unknown", unless a recipient's outcome
 * is a {@linkplain RecipientOutcome#block() block against the sender}: that is a failure, and a
 * block whose {@linkplain ReplyRule#builtIn() built-in rule} says {@link
 * ReplyAction#SUSPEND_DESTINATION} opens the breaker for {@link
 * SmtpTransport#DEFAULT_BLOCK_SUSPENSION}. Other destinations are not affected.
 *
 * <p>A reply matching a {@link DestinationLimits.SlowDownRule} halves the destination's rate (down
 * to one message per period) and ends the current period; after {@link
 * DestinationLimits#slowDownHold()} without another such reply it is doubled, step by step, back to
 * the configured rate.
 *
 * <p>The limits are meant for all nodes delivering from one store together: told by the queue that
 * {@code n} nodes are alive ({@link #liveNodes}), each destination's rate is divided by {@code n}
 * (rounded down, at least one message per period) and its concurrent sessions too (rounded up).
 * Deliveries in progress are never interrupted: after a lowered concurrency, new ones wait until
 * enough have finished.
 *
 * <p>A message whose recipients go to several destinations is split, each part shaped and delivered
 * on its own, and the outcomes merged. Thread-safe; {@link #close()} closes the delegate and is
 * idempotent.
 *
 * <pre>{@code
 * MailTransport shaped = ShapingTransport.builder(SmtpTransport.relay("smtp.example.com", 587).build())
 *     .limits(DestinationLimits.custom().defaults(Limit.ofDefaults().withRate(14, Duration.ofSeconds(1))).build())
 *     .relay("smtp.example.com")
 *     .build();
 * }</pre>
 *
 * {@link SmtpTransportBuilder#shaping} does the same inside an {@link SmtpTransport}, with the MX
 * host as the destination in direct mode and the session limits applied to its connections.
 */
public final class ShapingTransport implements MailTransport, ClusterAware {
  private final MailTransport delegate;
  private final DestinationLimits limits;
  private final DestinationShaper shaper;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ShapingTransport(
      MailTransport delegate,
      DestinationLimits limits,
      Function<String, String> hostOfDomain,
      ShapingListener listener) {
    this.delegate = delegate;
    this.limits = limits;
    this.shaper = new DestinationShaper(limits, hostOfDomain, listener);
  }

  /**
   * Starts a builder decorating {@code delegate}.
   *
   * @param delegate the transport that delivers what the limits let through, closed with this one;
   *     not null
   * @return a new builder
   */
  public static Builder builder(MailTransport delegate) {
    return new Builder(delegate);
  }

  /**
   * Delivers {@code mail} through the delegate, destination by destination, unless a limit or an
   * open breaker holds it back. Never blocks waiting for a permit.
   */
  @Override
  public DeliveryResult deliver(OutboundMail mail) {
    return shaper.deliver(mail, delegate::deliver);
  }

  /**
   * The breaker state of {@code destination}, or {@code null} if no mail went there yet (tests,
   * monitoring).
   */
  ShapingListener.BreakerState breakerState(String destination) {
    return shaper.breakerState(destination);
  }

  /** The current messages per period of {@code destination}, or 0 if no mail went there yet. */
  int currentRate(String destination) {
    return shaper.currentRate(destination);
  }

  /** Sessions this node may open to {@code destination} now, or 0 if no mail went there yet. */
  int currentSessions(String destination) {
    return shaper.currentSessions(destination);
  }

  /**
   * Divides every destination's limits among {@code nodes} live nodes (see the class comment), from
   * now on; passes the count on to a delegate that is {@link ClusterAware} too.
   *
   * @throws IllegalArgumentException if {@code nodes < 1}
   */
  @Override
  public void liveNodes(int nodes) {
    shaper.liveNodes(nodes);
    if (delegate instanceof ClusterAware c) {
      c.liveNodes(nodes);
    }
  }

  /** Closes the delegate. Idempotent. */
  @Override
  public List<String> problems() {
    return delegate.problems();
  }

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

  /**
   * Builds a {@link ShapingTransport}. Not thread-safe; every setter validates and returns this
   * builder.
   */
  public static final class Builder {
    private final MailTransport delegate;
    private DestinationLimits limits = DestinationLimits.ofDefaults();
    private Function<String, String> hostOfDomain = Function.identity();
    private ShapingListener listener = ShapingListener.NONE;

    private Builder(MailTransport delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * The limits. Defaults to {@link DestinationLimits#ofDefaults()}.
     *
     * @param limits the limits per destination; not null
     * @return this builder
     */
    public Builder limits(DestinationLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * All mail goes through this relay: it is the one destination (or a member of a group).
     * Defaults to per-domain destinations.
     *
     * @param host the relay's host name, matched against the groups; not null (replaces an earlier
     *     {@link #mxResolver} or {@link #hostOfDomain})
     * @return this builder
     */
    public Builder relay(String host) {
      Objects.requireNonNull(host, "host");
      this.hostOfDomain = d -> host;
      return this;
    }

    /**
     * Each recipient domain's destination is its most preferred MX host (matched against the
     * groups), as {@code resolver} reports it; domains without usable MX hosts are delivered
     * unshaped (the delegate bounces or defers them). Defaults to per-domain destinations.
     *
     * @param resolver asked for each recipient domain of each message, from many threads at once;
     *     not null (replaces an earlier {@link #relay} or {@link #hostOfDomain})
     * @return this builder
     */
    public Builder mxResolver(MxResolver resolver) {
      Objects.requireNonNull(resolver, "resolver");
      this.hostOfDomain =
          d -> resolver.lookup(d) instanceof MxLookup.Hosts h ? h.hosts().get(0).name() : null;
      return this;
    }

    /**
     * Where mail for a recipient domain goes, matched against the groups; {@code null} delivers
     * that domain's mail unshaped. Defaults to the domain itself.
     *
     * @param hostOfDomain maps a recipient domain to its host, or to {@code null}; called from many
     *     threads at once, and an exception it throws delivers that domain unshaped (logged); not
     *     null (replaces an earlier {@link #relay} or {@link #mxResolver})
     * @return this builder
     */
    public Builder hostOfDomain(Function<String, String> hostOfDomain) {
      this.hostOfDomain = Objects.requireNonNull(hostOfDomain, "hostOfDomain");
      return this;
    }

    /**
     * Hears throttling, breaker and rate changes. Defaults to {@link ShapingListener#NONE}.
     *
     * @param listener called on the delivering threads, so it must return quickly; not null
     * @return this builder
     */
    public Builder listener(ShapingListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Builds the transport.
     *
     * @return a new transport that owns the delegate (closing it closes the delegate)
     */
    public ShapingTransport build() {
      return new ShapingTransport(delegate, limits, hostOfDomain, listener);
    }
  }
}
