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
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Micrometer meters for the queue:
 * <ul>
 *   <li>{@code mailqueue.recipients} counters, tagged {@code outcome} (delivered, deferred,
 *       bounced, expired) and {@code tag} (the message's tag, {@code none} without one), counting
 *       recipient outcomes; addresses never become tags;</li>
 *   <li>{@code mailqueue.messages} gauges, tagged {@code state}, and the
 *       {@code mailqueue.oldest.waiting} time gauge, from {@link MailQueue#stats()}, read at most
 *       once per {@link #STATS_MAX_AGE} however many gauges are scraped; NaN while the database
 *       does not answer.</li>
 * </ul>
 * It is a {@link DeliveryListener} of the queue it measures, which it therefore looks up lazily.
 */
public final class MailQueueMetrics implements DeliveryListener, MeterBinder {
  /** How long one stats snapshot serves the gauges. */
  public static final Duration STATS_MAX_AGE = Duration.ofSeconds(1);
  /** The tag value of mail without a tag. */
  public static final String NO_TAG = "none";

  private final MeterRegistry registry;
  private final ObjectProvider<MailQueue> queue;
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
  }

  @Override
  public void deferred(DeliveryEvent event) {
    count("deferred", event);
  }

  @Override
  public void bounced(DeliveryEvent event) {
    count("bounced", event);
  }

  @Override
  public void expired(DeliveryEvent event) {
    count("expired", event);
  }

  private void count(String outcome, DeliveryEvent event) {
    Counter.builder("mailqueue.recipients")
        .tag("outcome", outcome)
        .tag("tag", event.tag() != null ? event.tag() : NO_TAG)
        .description("Recipient outcomes of delivery attempts")
        .register(registry)
        .increment(event.recipients().size());
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
