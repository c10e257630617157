package dev.mailqueue;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Whether the queue is keeping up, with the reasons when it is not; a pure function of a {@link
 * QueueStats} snapshot and {@link HealthThresholds}, so a health endpoint can use it.
 *
 * @param status OK or DEGRADED
 * @param reasons why it is degraded, empty when OK
 * @param stats the snapshot judged
 */
public record QueueHealth(Status status, List<String> reasons, QueueStats stats) {
  /** The verdict. */
  public enum Status {
    /** Every threshold is kept. */
    OK,
    /** At least one threshold is exceeded; see the reasons. */
    DEGRADED
  }

  /**
   * Copies the reasons.
   *
   * @param status OK or DEGRADED
   * @param reasons why it is degraded, empty when OK
   * @param stats the snapshot judged
   */
  public QueueHealth {
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
  }

  /**
   * Judges {@code stats} against {@code thresholds}.
   *
   * @param stats the snapshot judged
   * @param thresholds the limits beyond which the queue is degraded
   * @return OK, or DEGRADED with a reason per limit exceeded
   */
  public static QueueHealth of(QueueStats stats, HealthThresholds thresholds) {
    return of(stats, thresholds, List.of());
  }

  /**
   * Judges {@code stats} against {@code thresholds}, with the problems a running node reports
   * ({@link MailQueue#problems()}): any problem makes the queue DEGRADED, whatever the numbers say,
   * since mail is being held back.
   *
   * @param stats the snapshot judged
   * @param thresholds the limits beyond which the queue is degraded
   * @param problems what keeps the node from delivering, each a reason of its own
   * @return OK, or DEGRADED with the problems and a reason per limit exceeded
   */
  public static QueueHealth of(
      QueueStats stats, HealthThresholds thresholds, List<String> problems) {
    List<String> reasons = new ArrayList<>(problems);
    if (stats.oldestWaiting().compareTo(thresholds.maxOldestWaiting()) > 0) {
      reasons.add(
          "oldest waiting message is "
              + stats.oldestWaiting().toSeconds()
              + " s old (limit "
              + thresholds.maxOldestWaiting().toSeconds()
              + " s)");
    }
    long deferred = stats.count(MessageState.DEFERRED);
    if (deferred > thresholds.maxDeferred()) {
      reasons.add(deferred + " messages deferred (limit " + thresholds.maxDeferred() + ")");
    }
    return new QueueHealth(reasons.isEmpty() ? Status.OK : Status.DEGRADED, reasons, stats);
  }

  /** {@return whether the status is OK} */
  public boolean isOk() {
    return status == Status.OK;
  }
}
