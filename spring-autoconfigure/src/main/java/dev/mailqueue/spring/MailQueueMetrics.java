package dev.mailqueue.spring;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageState;
import dev.mailqueue.QueueStats;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Micrometer meters for the queue:
 *
 * <ul>
 *   <li>{@code mailqueue.recipients} counters, tagged {@code outcome} (delivered, deferred,
 *       bounced, expired, suppressed, captured) and {@code tag} (the message's tag, {@code none}
 *       without one), counting recipient outcomes;
 *   <li>the {@code mailqueue.delivery} timer, tagged the same way with the final outcomes
 *       (delivered, bounced, expired, suppressed, captured): the time from enqueue to that outcome,
 *       recorded once per message and outcome. The enqueue time is the one in the message id (a
 *       version 7 UUID, taken from the enqueuing node's clock), so the time includes any {@code
 *       notBefore} delay and clock skew between nodes; percentiles are off unless configured, e.g.
 *       {@code management.metrics.distribution.percentiles-histogram.mailqueue.delivery=true};
 *   <li>{@code mailqueue.messages} gauges, tagged {@code state}, and the {@code
 *       mailqueue.oldest.waiting} time gauge, from {@link MailQueue#stats()}, read at most once per
 *       {@link #STATS_MAX_AGE} however many gauges are scraped; NaN while the database does not
 *       answer;
 *   <li>the {@code mailqueue.enqueued} counter, tagged {@code tag}: messages stored through the
 *       starter's queue beans, counted at the commit of the transaction that enqueued them;
 *   <li>the {@code mailqueue.smtp.attempt} timer, tagged {@code destination} (the host that
 *       answered: the relay, or an MX host in direct mode; {@value #NO_DESTINATION} when none did)
 *       and {@code outcome} (delivered, deferred, bounced, mixed, or held when a local limit or a
 *       configuration fault held the mail back): the duration of each delivery attempt;
 *   <li>the {@code mailqueue.smtp.blocked} counter, tagged {@code destination} (as above) and
 *       {@code class} ({@code policy} or {@code reputation}, see {@link SenderBlock}): delivery
 *       attempts in which the destination refused the sender rather than a recipient (the
 *       transport's reply rules decide), one per attempt and class; the addresses are not
 *       suppressed, so a rise here is the alert to look at the sender's authentication or block
 *       listings;
 *   <li>the {@code mailqueue.dispatch.lag} time gauge: how long the most overdue due message has
 *       waited to be claimed by a worker (zero when none waits), when the store can tell ({@code
 *       JdbcMailStore}); read with the stats.
 * </ul>
 *
 * Every meter has a base unit: timers and time gauges in the registry's time unit (seconds for
 * most), counters and gauges in {@code recipients} or {@code messages}. Addresses never become
 * tags; at most {@value #MAX_TAG_VALUES} distinct message tags and as many destinations do, further
 * ones are counted under {@value #OTHER_TAG}. It is a {@link DeliveryListener} of the queue it
 * measures, which it therefore looks up lazily. Thread-safe.
 */
public final class MailQueueMetrics implements DeliveryListener, MeterBinder, MailQueueObserver {
  /** How long one stats snapshot serves the gauges. */
  public static final Duration STATS_MAX_AGE = Duration.ofSeconds(1);

  /** The tag value of mail without a tag. */
  public static final String NO_TAG = "none";

  /**
   * Distinct message tags that become tag values; further ones are counted as {@link #OTHER_TAG}.
   */
  public static final int MAX_TAG_VALUES = 100;

  /** The tag value of mail whose tag came after the first {@value #MAX_TAG_VALUES}. */
  public static final String OTHER_TAG = "other";

  /** The destination tag value of an attempt no server answered. */
  public static final String NO_DESTINATION = "none";

  private final MeterRegistry registry;
  private final ObjectProvider<MailQueue> queue;
  private final Supplier<Duration> dispatchLag;
  private final Set<String> tags = ConcurrentHashMap.newKeySet();
  private final Set<String> destinations = ConcurrentHashMap.newKeySet();
  private volatile Snapshot snapshot;

  /**
   * Counts into {@code registry}; gauges read the queue that {@code queue} provides. No dispatch
   * lag gauge.
   *
   * @param registry where the counters and timers are registered; not null
   * @param queue asked for the queue when the gauges are read, so the gauges may be bound before
   *     the queue exists (they read NaN until it does); not null
   */
  public MailQueueMetrics(MeterRegistry registry, ObjectProvider<MailQueue> queue) {
    this(registry, queue, null);
  }

  /**
   * Counts into {@code registry}; gauges read the queue that {@code queue} provides and the
   * dispatch lag that {@code dispatchLag} reads from the store (null: no such gauge).
   *
   * @param registry where the counters and timers are registered; not null
   * @param queue asked for the queue when the gauges are read, so the gauges may be bound before
   *     the queue exists (they read NaN until it does); not null
   * @param dispatchLag how overdue the most overdue claimable message is, read with the queue's
   *     statistics, at most once per {@link #STATS_MAX_AGE}; {@code null} for no such gauge
   */
  public MailQueueMetrics(
      MeterRegistry registry, ObjectProvider<MailQueue> queue, Supplier<Duration> dispatchLag) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.queue = Objects.requireNonNull(queue, "queue");
    this.dispatchLag = dispatchLag;
  }

  @Override
  public void bindTo(MeterRegistry meters) {
    for (MessageState state : MessageState.values()) {
      Gauge.builder("mailqueue.messages", this, gauge(s -> s.count(state)))
          .tag("state", state.name().toLowerCase(Locale.ROOT))
          .description("Messages in the queue by state")
          .baseUnit("messages")
          .register(meters);
    }
    TimeGauge.builder(
            "mailqueue.oldest.waiting",
            this,
            TimeUnit.MILLISECONDS,
            gauge(s -> s.oldestWaiting().toMillis()))
        .description("Age of the oldest message not yet finished")
        .register(meters);
    if (dispatchLag != null) {
      TimeGauge.builder(
              "mailqueue.dispatch.lag", this, TimeUnit.MILLISECONDS, MailQueueMetrics::lagMillis)
          .description("How long the most overdue due message has waited to be claimed by a worker")
          .register(meters);
    }
  }

  @Override
  public void enqueued(List<String> enqueuedTags) {
    for (String tag : enqueuedTags) {
      Counter.builder("mailqueue.enqueued")
          .tag("tag", tag(tag))
          .description("Messages stored in the queue, counted at the commit that stored them")
          .baseUnit("messages")
          .register(registry)
          .increment();
    }
  }

  @Override
  public void attempted(OutboundMail mail, DeliveryResult result, long nanos) {
    Timer.builder("mailqueue.smtp.attempt")
        .tag("destination", destination(result.remoteHost()))
        .tag("outcome", outcome(result))
        .description("Duration of one delivery attempt over SMTP, per destination")
        .register(registry)
        .record(Duration.ofNanos(nanos));
    // one count per attempt and kind of block: an alert to watch, not a recipient tally
    Set<SenderBlock> blocks = EnumSet.noneOf(SenderBlock.class);
    for (RecipientOutcome o : result.recipients()) {
      if (o.block() != null) {
        blocks.add(o.block());
      }
    }
    for (SenderBlock b : blocks) {
      Counter.builder("mailqueue.smtp.blocked")
          .tag("destination", destination(result.remoteHost()))
          .tag("class", b.name().toLowerCase(Locale.ROOT))
          .description(
              "Delivery attempts refused by a policy or reputation block against the sender")
          .baseUnit("attempts")
          .register(registry)
          .increment();
    }
  }

  @Override
  public void delivered(DeliveryEvent event) {
    count("delivered", event);
    time("delivered", event);
  }

  @Override
  public void deferred(DeliveryEvent event) {
    count("deferred", event);
  }

  @Override
  public void bounced(DeliveryEvent event) {
    count("bounced", event);
    time("bounced", event);
  }

  @Override
  public void expired(DeliveryEvent event) {
    count("expired", event);
    time("expired", event);
  }

  @Override
  public void suppressed(DeliveryEvent event) {
    count("suppressed", event);
    time("suppressed", event);
  }

  @Override
  public void captured(DeliveryEvent event) {
    count("captured", event);
    time("captured", event);
  }

  private void count(String outcome, DeliveryEvent event) {
    Counter.builder("mailqueue.recipients")
        .tag("outcome", outcome)
        .tag("tag", tag(event))
        .description("Recipient outcomes of delivery attempts")
        .baseUnit("recipients")
        .register(registry)
        .increment(event.recipients().size());
  }

  private void time(String outcome, DeliveryEvent event) {
    UUID id = event.messageId().value();
    if (id.version() != 7) {
      return; // not an id this queue generated, so there is no enqueue time
    }
    long enqueuedAt = id.getMostSignificantBits() >>> 16;
    Timer.builder("mailqueue.delivery")
        .tag("outcome", outcome)
        .tag("tag", tag(event))
        .description("Time from enqueue to the final outcome")
        .register(registry)
        .record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - enqueuedAt)));
  }

  private String tag(DeliveryEvent event) {
    return tag(event.tag());
  }

  /**
   * A message's tag as a tag value: {@link #NO_TAG}, the tag, or {@link #OTHER_TAG} beyond the
   * limit.
   */
  private String tag(String tag) {
    if (tag == null) {
      return NO_TAG;
    }
    return bounded(tags, tag);
  }

  /**
   * The answering host as a tag value: {@link #NO_DESTINATION}, the host, or {@link #OTHER_TAG}
   * beyond the limit.
   */
  private String destination(String remoteHost) {
    if (remoteHost == null || remoteHost.isBlank()) {
      return NO_DESTINATION;
    }
    return bounded(destinations, remoteHost.toLowerCase(Locale.ROOT));
  }

  private static String bounded(Set<String> known, String value) {
    if (known.contains(value) || (known.size() < MAX_TAG_VALUES && known.add(value))) {
      return value;
    }
    return OTHER_TAG;
  }

  /** One word for the attempt: what happened to all its recipients, or "mixed". */
  private static String outcome(DeliveryResult result) {
    RecipientStatus common = null;
    for (RecipientOutcome r : result.recipients()) {
      if (common == null) {
        common = r.status();
      } else if (common != r.status()) {
        return "mixed";
      }
    }
    if (common == null) {
      return "mixed";
    }
    if (common == RecipientStatus.DEFERRED && result.kind() == DeliveryResult.Kind.NOT_COUNTED) {
      return "held";
    }
    return common.name().toLowerCase(Locale.ROOT);
  }

  private double lagMillis() {
    Duration lag = snapshot().lag;
    return lag == null ? Double.NaN : lag.toMillis();
  }

  private static ToDoubleFunction<MailQueueMetrics> gauge(ToDoubleFunction<QueueStats> value) {
    return metrics -> {
      QueueStats stats = metrics.snapshot().stats;
      return stats == null ? Double.NaN : value.applyAsDouble(stats);
    };
  }

  /** A recent snapshot; its values are null while the queue or its database is unavailable. */
  private Snapshot snapshot() {
    long now = System.nanoTime();
    Snapshot s = snapshot;
    if (s != null && now - s.takenAt < STATS_MAX_AGE.toNanos()) {
      return s;
    }
    QueueStats stats;
    Duration lag = null;
    try {
      MailQueue q = queue.getIfAvailable();
      stats = q == null ? null : q.stats();
      if (stats != null && dispatchLag != null) {
        lag = dispatchLag.get();
      }
    } catch (RuntimeException e) {
      stats = null;
    }
    s = new Snapshot(stats, lag, now);
    snapshot = s;
    return s;
  }

  private record Snapshot(QueueStats stats, Duration lag, long takenAt) {}
}
