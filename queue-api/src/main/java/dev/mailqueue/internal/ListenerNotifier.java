package dev.mailqueue.internal;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.ClaimedMail;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the application's {@link DeliveryListener} about recorded attempts, one event per outcome
 * group, on threads of its own and off the recording path: a slow listener delays only later
 * events, and a full queue drops events (with a warning), never an outcome.
 */
final class ListenerNotifier {
  /** The queue's logger, as before this class was split from it. */
  private static final Logger log = LoggerFactory.getLogger(DefaultMailQueue.class);

  private final DeliveryListener listener;
  private final int queueCapacity;
  private final ThreadPoolExecutor pool;

  ListenerNotifier(
      DeliveryListener listener, int threads, int queueCapacity, ThreadFactory threadFactory) {
    this.listener = listener;
    this.queueCapacity = queueCapacity;
    this.pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(queueCapacity),
            threadFactory);
  }

  /** Hands the events of a recorded attempt to the listener's threads; never blocks. */
  void notify(ClaimedMail mail, RetryDecision.Decision decision) {
    if (listener == DeliveryListener.NONE) {
      return;
    }
    try {
      pool.execute(() -> tell(mail, decision));
    } catch (RejectedExecutionException e) {
      log.warn(
          "delivery listener is {} events behind; the {} event of message {} is not told (the outcome is "
              + "recorded)",
          queueCapacity,
          decision.completion().newState(),
          mail.id());
    }
  }

  private void tell(ClaimedMail mail, RetryDecision.Decision decision) {
    int attempt = decision.completion().countsAsAttempt() ? mail.attempts() + 1 : mail.attempts();
    boolean uncertain = decision.completion().uncertain();
    for (RecipientStatus status :
        List.of(
            RecipientStatus.DELIVERED,
            RecipientStatus.BOUNCED,
            RecipientStatus.EXPIRED,
            RecipientStatus.DEFERRED,
            RecipientStatus.SUPPRESSED,
            RecipientStatus.CAPTURED)) {
      List<RecipientOutcome> group = new ArrayList<>();
      for (RecipientOutcome o : decision.outcomes()) {
        if (o.status() == status) {
          group.add(o);
        }
      }
      if (group.isEmpty()) {
        continue;
      }
      // Only recipients left without a definite reply (deferred, or expired on this attempt) can
      // be uncertain: one delivered or bounced in the same attempt (another domain's session) had
      // one.
      DeliveryEvent event =
          new DeliveryEvent(
              mail.id(),
              mail.tag(),
              attempt,
              group,
              status == RecipientStatus.DEFERRED ? decision.nextAttemptAt() : null,
              uncertain
                  && (status == RecipientStatus.DEFERRED || status == RecipientStatus.EXPIRED));
      try {
        switch (status) {
          case DELIVERED -> listener.delivered(event);
          case BOUNCED -> listener.bounced(event);
          case EXPIRED -> listener.expired(event);
          case SUPPRESSED -> listener.suppressed(event);
          case CAPTURED -> listener.captured(event);
          default -> listener.deferred(event);
        }
      } catch (RuntimeException | Error e) {
        // The application's code: its failure, even an Error, must not stop the recording of later
        // outcomes.
        log.warn("delivery listener failed on {} event for message {}", status, mail.id(), e);
      }
    }
    List<RecipientOutcome> blocked = new ArrayList<>();
    for (RecipientOutcome o : decision.outcomes()) {
      if (o.block() != null) {
        blocked.add(o);
      }
    }
    if (!blocked.isEmpty()) {
      DeliveryEvent event =
          new DeliveryEvent(
              mail.id(), mail.tag(), attempt, blocked, decision.nextAttemptAt(), false);
      try {
        listener.blocked(event);
      } catch (RuntimeException | Error e) {
        log.warn("delivery listener failed on BLOCKED event for message {}", mail.id(), e);
      }
    }
  }

  /** Lets the events already handed over be told, for up to {@code timeout}; drops the rest. */
  void shutdown(Duration timeout) throws InterruptedException {
    pool.shutdown();
    if (!pool.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      log.warn(
          "delivery listener still busy after {}; {} events are not told (their outcomes are recorded)",
          timeout,
          pool.shutdownNow().size());
    }
  }

  /** Stops at once: events not yet told are dropped. */
  void shutdownNow() {
    pool.shutdownNow();
  }
}
