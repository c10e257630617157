package dev.mailqueue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Unfinished messages per recipient domain and age, like Postfix's {@code qshape}: where the
 * backlog is and how long it has been waiting. A message with recipients in two domains counts once
 * in each; only recipients still pending count.
 *
 * @param bucketUpperBounds the upper bound of every age bucket but the last (which is open): 5, 10,
 *     20, 40, 80 and 160 minutes
 * @param total the sum of all domains, one count per bucket
 * @param domains one row per domain, largest first
 */
public record QueueShape(List<Duration> bucketUpperBounds, Row total, List<Row> domains) {
  /** The qshape buckets: 0-5m, 5-10m, 10-20m, 20-40m, 40-80m, 80-160m, 160m+. */
  public static final List<Duration> BUCKETS =
      List.of(
          Duration.ofMinutes(5),
          Duration.ofMinutes(10),
          Duration.ofMinutes(20),
          Duration.ofMinutes(40),
          Duration.ofMinutes(80),
          Duration.ofMinutes(160));

  /**
   * Copies the lists.
   *
   * @param bucketUpperBounds the upper bound of every age bucket but the last (which is open): 5,
   *     10, 20, 40, 80 and 160 minutes
   * @param total the sum of all domains, one count per bucket
   * @param domains one row per domain, largest first
   */
  public QueueShape {
    bucketUpperBounds = List.copyOf(bucketUpperBounds);
    domains = List.copyOf(domains);
  }

  /** {@return the labels of the buckets, {@code 0-5m} ... {@code 160m+}} */
  public List<String> bucketLabels() {
    List<String> labels = new ArrayList<>();
    long from = 0;
    for (Duration d : bucketUpperBounds) {
      labels.add(from + "-" + d.toMinutes() + "m");
      from = d.toMinutes();
    }
    labels.add(from + "m+");
    return Collections.unmodifiableList(labels);
  }

  /**
   * The bucket index of a message of age {@code age}: the first bucket whose upper bound is greater
   * than the age, or the last one.
   *
   * @param age the message's age
   * @return the bucket's index, from 0
   */
  public static int bucketOf(Duration age) {
    for (int i = 0; i < BUCKETS.size(); i++) {
      if (age.compareTo(BUCKETS.get(i)) < 0) {
        return i;
      }
    }
    return BUCKETS.size();
  }

  /**
   * One line of the shape.
   *
   * @param domain the recipient domain, or {@code TOTAL} for the sum
   * @param count all messages of this row
   * @param buckets messages per age bucket, youngest first
   */
  public record Row(String domain, long count, List<Long> buckets) {
    /**
     * Copies the list.
     *
     * @param domain the recipient domain, or {@code TOTAL} for the sum
     * @param count all messages of this row
     * @param buckets messages per age bucket, youngest first
     */
    public Row {
      buckets = List.copyOf(buckets);
    }
  }
}
