package dev.mailqueue.internal;

import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.MailStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The completer: records the workers' decided attempts in the store, in groups, on a thread of its
 * own; keeps and retries (with backoff, under a renewed lease) the outcomes the store could not
 * record, so that a sent message is not sent again; then logs each recorded attempt and hands it to
 * the {@link ListenerNotifier}.
 */
final class Completer {
  /** The queue's logger, as before this class was split from it. */
  private static final Logger log = LoggerFactory.getLogger(DefaultMailQueue.class);

  private static final Logger deliveryLog =
      LoggerFactory.getLogger(DefaultMailQueue.DELIVERY_LOGGER);

  private final MailStore store;

  /** The queue's claimed messages (shared): those whose lease housekeeping renews. */
  private final Map<MessageId, ClaimedMail> inFlight;

  private final ListenerNotifier listenerNotifier;
  private Thread thread;

  /**
   * Decided attempts waiting to be recorded; the completer commits them in groups. Bounded ({@code
   * DefaultMailQueue.DECIDED_PER_WORKER} per worker), so workers wait when the database falls
   * behind, and sent but unrecorded mail (sent twice if this process dies) stays bounded.
   */
  private final LinkedBlockingQueue<Decided> decided;

  private volatile boolean completing;

  /** Most attempts recorded in one transaction. */
  static final int MAX_COMPLETION_BATCH = 100;

  private record Decided(ClaimedMail mail, RetryDecision.Decision decision) {}

  /**
   * A decided attempt the store could not record yet (a database outage, a value it refused even
   * without the reply texts). The message was sent: forgetting it would send it again when its
   * lease expires, so the completer tries again with backoff, and the lease is renewed meanwhile.
   */
  private record Unrecorded(
      Decided decided, int tries, long firstFailureNanos, long nextTryNanos) {}

  /**
   * Filled by whichever thread failed to record; retried by the completer. The dispatcher looks
   * here too: a message it claims again (its lease ran out while the database was away) is not sent
   * again but its outcome is recorded under the new lease.
   */
  private final Map<MessageId, Unrecorded> unrecorded = new ConcurrentHashMap<>();

  /**
   * First retry of an unrecorded outcome; doubled per try up to {@link #RECORDING_RETRY_MAX_DELAY}.
   */
  static final Duration RECORDING_RETRY_FIRST_DELAY = Duration.ofMillis(100);

  static final Duration RECORDING_RETRY_MAX_DELAY = Duration.ofSeconds(5);

  /**
   * How long an unrecorded outcome is retried while the queue runs: well beyond a database restart
   * or failover. After that it is given up (logged as an error) and the message is sent again once
   * its lease expires. On close, retries stop at the shutdown timeout.
   */
  static final Duration RECORDING_PATIENCE = Duration.ofHours(1);

  /**
   * Failed tries of the full completion before the reduced one is tried too: a deadlock or a
   * failover passes, a value the database refuses does not.
   */
  static final int FULL_RECORDING_TRIES = 3;

  /** When close() stops waiting for unrecorded outcomes (System.nanoTime); 0 while running. */
  private volatile long recordingDeadlineNanos;

  Completer(
      MailStore store,
      Map<MessageId, ClaimedMail> inFlight,
      ListenerNotifier listenerNotifier,
      int capacity) {
    this.store = store;
    this.inFlight = inFlight;
    this.listenerNotifier = listenerNotifier;
    this.decided = new LinkedBlockingQueue<>(capacity);
  }

  /** Starts the recording thread. */
  void start(ThreadFactory threads) {
    completing = true;
    thread = threads.newThread(this::run);
    thread.start();
  }

  /** Whether the recording thread is alive. */
  boolean isAlive() {
    return thread.isAlive();
  }

  /**
   * After the workers stopped: records what is queued, retries what the store refused for up to
   * {@code timeout}, and waits that long for the thread to end.
   */
  void finish(Duration timeout) throws InterruptedException {
    recordingDeadlineNanos = System.nanoTime() + timeout.toNanos();
    if (!unrecorded.isEmpty()) {
      log.warn(
          "waiting up to {} to record {} sent outcomes the store has refused so far",
          timeout,
          unrecorded.size());
    }
    completing = false;
    thread.join(timeout.toMillis());
  }

  /**
   * Also when close() was interrupted: the completer records what is queued, then ends; left
   * "completing", that non-daemon thread would poll for ever and keep the JVM alive.
   */
  void stopWaiting() {
    if (recordingDeadlineNanos == 0) {
      recordingDeadlineNanos = System.nanoTime();
    }
    completing = false;
  }

  /**
   * Whether {@code mail}, claimed again, is one this node already sent and could not record yet
   * (its lease ran out during a database outage): then its outcome is recorded under the new lease
   * instead of the mail being sent again.
   */
  boolean rebind(ClaimedMail mail) {
    Unrecorded waiting = unrecorded.get(mail.id());
    if (waiting == null) {
      return false;
    }
    Unrecorded rebound =
        new Unrecorded(
            new Decided(mail, waiting.decided().decision()),
            waiting.tries(),
            waiting.firstFailureNanos(),
            System.nanoTime());
    if (!unrecorded.replace(mail.id(), waiting, rebound)) {
      return false;
    }
    inFlight.put(mail.id(), mail);
    log.info(
        "message {} was claimed again while its outcome ({}) waited to be recorded: recording it under the "
            + "new lease, not sending it again",
        mail.id(),
        waiting.decided().decision().completion().newState());
    return true;
  }

  /** Queues a decided attempt for the completer, waiting while its queue is full. */
  void handOver(ClaimedMail mail, RetryDecision.Decision decision) {
    Decided d = new Decided(mail, decision);
    try {
      decided.put(d);
    } catch (InterruptedException e) {
      // Shutting down hard: record it on this thread rather than drop an outcome that happened.
      Thread.interrupted();
      inFlight.remove(d.mail().id());
      record(List.of(d));
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Records decided attempts in groups: one transaction (one commit, one fsync) for everything that
   * finished while the previous group was being written, then retries what could not be recorded.
   * Listeners hear after the commit, on their own threads.
   */
  private void run() {
    List<Decided> batch = new ArrayList<>(MAX_COMPLETION_BATCH);
    while (completing || !decided.isEmpty() || awaitingRetry()) {
      try {
        Decided first = decided.poll(pollMillis(), TimeUnit.MILLISECONDS);
        if (first != null) {
          batch.add(first);
          decided.drainTo(batch, MAX_COMPLETION_BATCH - 1);
          // Their leases need no renewal any more; a renewal racing the commit would only log a
          // false alarm.
          for (Decided d : batch) {
            inFlight.remove(d.mail().id());
          }
          record(batch);
        }
        retryUnrecorded();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException | Error e) {
        // This thread records every outcome: if it died, later outcomes would be sent and never
        // recorded.
        log.error("recording {} outcomes failed unexpectedly; retrying them", batch.size(), e);
        for (Decided d : batch) {
          deferRecording(d);
        }
      } finally {
        batch.clear();
      }
    }
    giveUpUnrecorded("the queue closed before the store could record it");
  }

  /**
   * Whether unrecorded outcomes remain to be retried: while running, or until close()'s deadline.
   */
  private boolean awaitingRetry() {
    if (unrecorded.isEmpty()) {
      return false;
    }
    long deadline = recordingDeadlineNanos;
    return deadline == 0 || System.nanoTime() - deadline < 0;
  }

  /** How long the completer may wait for a decided attempt before the next retry is due. */
  private long pollMillis() {
    long wait = 100;
    long now = System.nanoTime();
    for (Unrecorded u : unrecorded.values()) {
      wait = Math.min(wait, Math.max(0, TimeUnit.NANOSECONDS.toMillis(u.nextTryNanos() - now)));
    }
    return wait;
  }

  private void record(List<Decided> batch) {
    List<ClaimedMail> mails = new ArrayList<>(batch.size());
    List<Completion> completions = new ArrayList<>(batch.size());
    for (Decided d : batch) {
      mails.add(d.mail());
      completions.add(d.decision().completion());
    }
    List<Boolean> recorded;
    try {
      recorded = store.completeAll(mails, completions);
    } catch (RuntimeException e) {
      log.warn("recording {} attempts together failed; recording them one by one", batch.size(), e);
      recorded = new ArrayList<>(batch.size());
      for (Decided d : batch) {
        recorded.add(recordAlone(d, false));
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      settle(batch.get(i), recorded.get(i), null);
    }
  }

  /**
   * After a try: tells the listener of a recorded attempt, logs a lost lease, or keeps an attempt
   * that could not be recorded for another try.
   */
  private void settle(Decided d, Boolean recorded, Unrecorded previous) {
    MessageId id = d.mail().id();
    if (recorded == null) {
      Unrecorded next = nextTry(d, previous);
      if (previous == null) {
        unrecorded.put(id, next);
      } else if (!unrecorded.replace(id, previous, next)) {
        return; // claimed again meanwhile: rebindUnrecorded holds it under the new lease
      }
      inFlight.put(id, d.mail()); // keep the lease while it waits: nobody else may send it
      return;
    }
    if (previous != null && !unrecorded.remove(id, previous)) {
      return; // claimed again meanwhile: the try under the old lease could only fail
    }
    if (recorded) {
      logDelivery(d.mail(), d.decision());
      listenerNotifier.notify(d.mail(), d.decision());
    } else {
      log.warn(
          "lease on message {} was lost before its outcome was recorded; another worker owns it now",
          id);
    }
  }

  /**
   * Records one attempt on its own: in full; else, when {@code orReduced} (after {@link
   * #FULL_RECORDING_TRIES} failed tries), without the reply texts and remote host ({@link
   * Completion#reduced()}), so that an outcome a database cannot store as it is (a value it
   * rejects) is still recorded instead of sent again.
   *
   * @return true when recorded (now or by an earlier try whose reply was lost), false when the
   *     lease was lost, {@code null} when the store could not be reached or refused both
   */
  private Boolean recordAlone(Decided d, boolean orReduced) {
    Completion full = d.decision().completion();
    RuntimeException refusal;
    try {
      return store.complete(d.mail(), full) || recordedBefore(d);
    } catch (RuntimeException e) {
      refusal = e;
    }
    if (!orReduced) {
      log.warn(
          "message {} ({}) could not be recorded; trying again: {}",
          d.mail().id(),
          full.newState(),
          refusal.toString());
      return null;
    }
    try {
      if (store.isCompleted(d.mail())) {
        return true;
      }
      boolean recorded = store.complete(d.mail(), full.reduced()) || recordedBefore(d);
      if (recorded) {
        log.warn(
            "message {} ({}) recorded without its reply texts and remote host, which the store refused: {}",
            d.mail().id(),
            full.newState(),
            refusal.toString());
      }
      return recorded;
    } catch (RuntimeException e) {
      log.warn(
          "message {} ({}) could not be recorded; trying again: {}",
          d.mail().id(),
          full.newState(),
          e.toString());
      return null;
    }
  }

  /** The next try after one more failure, with backoff. */
  private static Unrecorded nextTry(Decided d, Unrecorded previous) {
    int tries = previous == null ? 1 : previous.tries() + 1;
    long now = System.nanoTime();
    long delay =
        Math.min(
            RECORDING_RETRY_MAX_DELAY.toNanos(),
            RECORDING_RETRY_FIRST_DELAY.toNanos() << Math.min(tries - 1, 20));
    return new Unrecorded(
        d, tries, previous == null ? now : previous.firstFailureNanos(), now + delay);
  }

  /**
   * From any thread: an attempt whose recording failed outside the normal path, retried by the
   * completer.
   */
  private void deferRecording(Decided d) {
    settle(d, null, null);
  }

  /**
   * Retries the unrecorded outcomes that are due; gives up those past {@link #RECORDING_PATIENCE}.
   */
  private void retryUnrecorded() {
    if (unrecorded.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (Unrecorded u : List.copyOf(unrecorded.values())) {
      if (u.nextTryNanos() - now > 0) {
        continue;
      }
      Decided d = u.decided();
      if (now - u.firstFailureNanos() > RECORDING_PATIENCE.toNanos()) {
        if (unrecorded.remove(d.mail().id(), u)) {
          giveUp(d, "it could not be recorded for " + RECORDING_PATIENCE);
        }
        continue;
      }
      Boolean recorded = recordAlone(d, u.tries() + 1 >= FULL_RECORDING_TRIES);
      if (recorded != null) {
        inFlight.remove(d.mail().id(), d.mail());
        if (recorded) {
          log.info("message {} recorded after {} failed tries", d.mail().id(), u.tries());
        }
      }
      settle(d, recorded, u);
    }
  }

  private void giveUpUnrecorded(String why) {
    for (Unrecorded u : List.copyOf(unrecorded.values())) {
      if (unrecorded.remove(u.decided().mail().id(), u)) {
        giveUp(u.decided(), why);
      }
    }
  }

  private void giveUp(Decided d, String why) {
    inFlight.remove(d.mail().id(), d.mail());
    log.error(
        "message {} was {} but {}; it stays leased and is sent again when its lease expires",
        d.mail().id(),
        d.decision().completion().newState(),
        why);
  }

  /**
   * Whether the failed group's commit happened after all, for this attempt (its reply was lost).
   */
  private boolean recordedBefore(Decided d) {
    try {
      return store.isCompleted(d.mail());
    } catch (RuntimeException e) {
      log.warn("could not check whether the attempt on message {} was recorded", d.mail().id(), e);
      return false;
    }
  }

  /**
   * Logs a recorded attempt as Postfix does, one line per recipient: {@code id=… to=<…>
   * relay=host[address] delay=1.2s tries=1 dsn=2.0.0 status=sent (250 2.0.0 Ok)}. The delay runs
   * from enqueue to the end of the attempt on the database's clock; status is sent, deferred,
   * bounced, expired, suppressed or captured; {@code uncertain} marks an attempt that got no reply
   * after the data. No bodies, subjects or credentials: addresses and the (sanitised) reply only.
   */
  private static void logDelivery(ClaimedMail mail, RetryDecision.Decision decision) {
    if (!deliveryLog.isInfoEnabled()) {
      return;
    }
    Completion c = decision.completion();
    int tries = c.countsAsAttempt() ? mail.attempts() + 1 : mail.attempts();
    Duration delay = Duration.between(mail.createdAt(), mail.claimedAt()).plus(c.duration());
    String delaySeconds =
        String.format(Locale.ROOT, "%.1fs", Math.max(0, delay.toMillis()) / 1000.0);
    String relay = c.remoteHost() == null ? "none" : c.remoteHost();
    for (RecipientOutcome o : decision.outcomes()) {
      SmtpReply reply = o.reply();
      String dsn =
          reply == null
              ? "-"
              : reply.enhancedStatus() != null
                  ? reply.enhancedStatus()
                  : reply.code() / 100 + ".0.0";
      String status =
          switch (o.status()) {
            case DELIVERED -> "sent";
            case BOUNCED -> "bounced";
            case EXPIRED -> "expired";
            case DEFERRED -> "deferred";
            default -> o.status().name().toLowerCase(Locale.ROOT);
          };
      deliveryLog.info(
          "id={} to=<{}> relay={} delay={} tries={} dsn={} status={}{} ({})",
          mail.id(),
          o.recipient().address(),
          // nothing of a captured or suppressed recipient went to the host of the others
          o.status() == RecipientStatus.CAPTURED || o.status() == RecipientStatus.SUPPRESSED
              ? "none"
              : relay,
          delaySeconds,
          tries,
          dsn,
          status,
          c.uncertain() && !o.status().isTerminal() ? " uncertain" : "",
          reply == null ? "no reply" : reply);
    }
  }
}
