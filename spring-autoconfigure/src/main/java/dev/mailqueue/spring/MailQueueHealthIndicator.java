package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageState;
import dev.mailqueue.QueueStats;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * UP with the backlog, the counts by state and the oldest waiting message's age when the queue's
 * database answers; DOWN with the error when it does not. Each check runs one stats query.
 */
public final class MailQueueHealthIndicator extends AbstractHealthIndicator {
  private final MailQueue queue;

  /** Reports on {@code queue}. */
  public MailQueueHealthIndicator(MailQueue queue) {
    super("mail queue health check failed");
    this.queue = Objects.requireNonNull(queue, "queue");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    QueueStats stats = queue.stats();
    Map<String, Long> counts = new LinkedHashMap<>();
    for (MessageState state : MessageState.values()) {
      counts.put(state.name().toLowerCase(Locale.ROOT), stats.count(state));
    }
    builder.up()
        .withDetail("backlog", stats.backlog())
        .withDetail("oldestWaiting", stats.oldestWaiting().toString())
        .withDetail("messages", counts);
  }
}
