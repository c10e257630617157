package dev.mailqueue.spring;

import dev.mailqueue.HealthThresholds;
import dev.mailqueue.MailQueue;
import dev.mailqueue.QueueHealth;
import dev.mailqueue.QueueJson;
import java.util.Objects;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code mailqueue} health: {@link QueueHealth#of} judges one stats snapshot against {@link
 * HealthThresholds} ({@code mailqueue.health.*}) and the problems the node reports ({@link
 * MailQueue#problems()}, e.g. a relay refusing the credentials). Details in the CLI's and the
 * endpoint's shape ({@link QueueJson#stats}): {@code counts} by state, {@code backlog}, {@code
 * oldestWaitingMs}, the delivery {@code mode} ({@link MailQueue#mode()}: {@code live}, or a staging
 * mode such as {@code capture}) and, when degraded, the {@code reasons}.
 *
 * <ul>
 *   <li>UP when every threshold is kept;
 *   <li>{@link #DEGRADED} when the oldest waiting message or the number of deferred messages
 *       exceeds its threshold (mail is late, but the queue works), or the node reports a problem
 *       (mail is held back until the configuration is fixed);
 *   <li>DOWN with the error when the queue's database does not answer, and DOWN when the queue's
 *       workers are not running (never started, closed, or their threads died).
 * </ul>
 *
 * <p>DEGRADED is not one of Boot's statuses: by default it shows on this component but does not
 * change the aggregate status, and answers HTTP 200. To let it count, add it to the order and give
 * it a code, e.g. {@code
 * management.endpoint.health.status.order=down,out-of-service,degraded,up,unknown} and {@code
 * management.endpoint.health.status.http-mapping.degraded=200}.
 *
 * <p>It is in no probe group: Boot's {@code liveness} group contains only {@code livenessState},
 * and should stay so, since restarting the application neither fixes a slow relay nor an
 * unreachable database. Add it to {@code readiness} only if a node without its database should take
 * no traffic, and then keep DEGRADED mapped to 200 there, or a backlog takes nodes out of service.
 * Each check runs one stats query.
 */
public final class MailQueueHealthIndicator extends AbstractHealthIndicator {
  /** The status when a threshold is exceeded. */
  public static final Status DEGRADED =
      new Status("DEGRADED", "mail is waiting longer than the thresholds allow");

  private final MailQueue queue;
  private final HealthThresholds thresholds;

  /**
   * Reports on {@code queue} with the {@linkplain HealthThresholds#defaults() default thresholds}.
   *
   * @param queue the queue to report on; not null
   */
  public MailQueueHealthIndicator(MailQueue queue) {
    this(queue, HealthThresholds.defaults());
  }

  /**
   * Reports on {@code queue}, degraded beyond {@code thresholds}.
   *
   * @param queue the queue to report on; not null
   * @param thresholds the age of the oldest waiting message and the number of deferred messages
   *     beyond which the status is {@link #DEGRADED}; not null
   */
  public MailQueueHealthIndicator(MailQueue queue, HealthThresholds thresholds) {
    super("mail queue health check failed");
    this.queue = Objects.requireNonNull(queue, "queue");
    this.thresholds = Objects.requireNonNull(thresholds, "thresholds");
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    if (!queue.isRunning()) {
      builder.down().withDetail("workers", "not running");
      return;
    }
    QueueHealth health = QueueHealth.of(queue.stats(), thresholds, queue.problems());
    // The same document as the endpoint and the CLI (QueueJson): counts, backlog, oldestWaitingMs.
    builder
        .status(health.isOk() ? Status.UP : DEGRADED)
        .withDetails(QueueJson.stats(health.stats()))
        // A non-live mode is no fault (staging runs it on purpose), so it is a detail, not
        // DEGRADED: but it is always shown, so that nobody mistakes staging for production.
        .withDetail("mode", queue.mode().toString());
    if (!health.isOk()) {
      builder.withDetail("reasons", health.reasons());
    }
  }
}
