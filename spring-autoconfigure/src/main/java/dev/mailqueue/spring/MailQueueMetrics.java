package dev.mailqueue.spring;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageState;
import dev.mailqueue.QueueStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Micrometer meters for the queue:
 * <ul>
 *   <li>{@code mailqueue.recipients} counters, tagged {@code outcome} (delivered, deferred,
 *       bounced, expired, suppressed) and {@code tag} (the message's tag, {@code none} without one), counting
 *       recipient outcomes;</li>
 *   <li>the {@code mailqueue.delivery} timer, tagged the same way with the final outcomes
 *       (delivered, bounced, expired, suppressed): the time from enqueue to that outcome, recorded once per
 *       message and outcome. The enqueue time is the one in the message id (a version 7 UUID,
 *       taken from the enqueuing node's clock), so the time includes any {@code notBefore} delay
 *       and clock skew between nodes; percentiles are off unless configured, e.g.
 *       {@code management.metrics.distribution.percentiles-histogram.mailqueue.delivery=true};</li>
 *   <li>{@code mailqueue.messages} gauges, tagged {@code state}, and the
 *       {@code mailqueue.oldest.waiting} time gauge, from {@link MailQueue#stats()}, read at most
 *       once per {@link #STATS_MAX_AGE} however many gauges are scraped; NaN while the database
 *       does not answer.</li>
 * </ul>
 * Addresses never become tags, and at most {@value #MAX_TAG_VALUES} distinct message tags do;
 * mail with further tags is counted under {@value #OTHER_TAG}. It is a {@link DeliveryListener}
 * of the queue it measures, which it therefore looks up lazily. Thread-safe.
 */
public final class MailQueueMetrics implements DeliveryListener, MeterBinder {
  /** How long one stats snapshot serves the gauges. */
  public static final Duration STATS_MAX_AGE = Duration.ofSeconds(1);
  /** The tag value of mail without a tag. */
  public static final String NO_TAG = "none";
  /** Distinct message tags that become tag values; further ones are counted as {@link #OTHER_TAG}. */
  public static final int MAX_TAG_VALUES = 100;
  /** The tag value of mail whose tag came after the first {@value #MAX_TAG_VALUES}. */
  public static final String OTHER_TAG = "other";

  private final MeterRegistry registry;
  private final ObjectProvider<MailQueue> queue;
  private final Set<String> tags = ConcurrentHashMap.newKeySet();
  private volatile Snapshot snapshot;

  /** Counts into {@code registry}; gauges read the queue that {@code queue} provides. */
  public MailQueueMetrics(MeterRegistry registry, ObjectProvider<MailQueue> queue) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.queue = Objects.requireNonNull(queue, "queue");
  }

  @Override
  public void bindTo(MeterRegistry meters) {
    for (MessageState state : MessageState.values()) {
      Gauge.builder("mailqueue.messages", this, gauge(s -> s.count(state)))
          .tag("state", state.name().toLowerCase(Locale.ROOT))
          .description("Messages in the queue by state")
          .register(meters);
    }
    TimeGauge.builder("mailqueue.oldest.waiting", this, TimeUnit.MILLISECONDS,
            gauge(s -> s.oldestWaiting().toMillis()))
        .description("Age of the oldest message not yet finished")
        .register(meters);
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

  private void count(String outcome, DeliveryEvent event) {
    Counter.builder("mailqueue.recipients")
        .tag("outcome", outcome)
        .tag("tag", tag(event))
        .description("Recipient outcomes of delivery attempts")
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
        .record(Math.max(0, System.currentTimeMillis() - enqueuedAt), TimeUnit.MILLISECONDS);
  }

  /** The message's tag as a tag value: {@link #NO_TAG}, the tag, or {@link #OTHER_TAG} beyond the limit. */
  private String tag(DeliveryEvent event) {
    String tag = event.tag();
    if (tag == null) {
      return NO_TAG;
    }
    if (tags.contains(tag) || (tags.size() < MAX_TAG_VALUES && tags.add(tag))) {
      return tag;
    }
    return OTHER_TAG;
  }

  private static ToDoubleFunction<MailQueueMetrics> gauge(ToDoubleFunction<QueueStats> value) {
    return metrics -> {
      QueueStats stats = metrics.stats();
      return stats == null ? Double.NaN : value.applyAsDouble(stats);
    };
  }

  /** A recent snapshot, or null when the queue or its database is unavailable. */
  private QueueStats stats() {
    long now = System.nanoTime();
    Snapshot s = snapshot;
    if (s != null && now - s.takenAt < STATS_MAX_AGE.toNanos()) {
      return s.stats;
    }
    QueueStats stats;
    try {
      MailQueue q = queue.getIfAvailable();
      stats = q == null ? null : q.stats();
    } catch (RuntimeException e) {
      stats = null;
    }
    snapshot = new Snapshot(stats, now);
    return stats;
  }

  private record Snapshot(QueueStats stats, long takenAt) {}
}
