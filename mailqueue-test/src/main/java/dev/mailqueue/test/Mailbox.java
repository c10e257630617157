package dev.mailqueue.test;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.QueueStats;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a queue "sent" in a test: every attempt its capturing {@link #transport()} received, the
 * listener events that followed, and per-recipient scripts for the transport's answers. Assert on
 * it with {@link MailQueueAssertions#assertThat(Mailbox)}.
 *
 * <p>The queue delivers on its own threads; {@link #awaitDelivered()} waits, without sleeping a
 * fixed time, until nothing is left to send and every listener has heard of every attempt. A {@link
 * MailQueueExtension} or {@code @AutoConfigureMailQueue} makes the mailbox and wires it into the
 * queue; to wire one by hand, build the queue with {@link #transport()} and {@link
 * #listener(List)}.
 *
 * <p>Thread-safe.
 */
public final class Mailbox {
  private static final Logger log = LoggerFactory.getLogger(Mailbox.class);

  /** How long {@link #awaitDelivered()} waits at most: 10 s, ample on a busy machine. */
  public static final Duration DEFAULT_AWAIT_TIMEOUT = Duration.ofSeconds(10);

  /** How often a waiting {@link #awaitDelivered} wakes the workers and looks again: 10 ms. */
  static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final Supplier<? extends MailQueue> queue;
  private final CapturingTransport transport = new CapturingTransport(this);
  private final Map<String, RecipientScript> scripts = new ConcurrentHashMap<>();
  private final List<CapturedMail> attempts = new ArrayList<>();
  private final List<Recorded> events = new ArrayList<>();

  /**
   * Recipients of captured attempts whose listener event has not come yet: id, attempt, address.
   */
  private final Set<String> untold = new HashSet<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** One listener event of one kind. */
  private record Recorded(RecipientStatus status, DeliveryEvent event) {}

  /**
   * A mailbox for the queue that {@code queue} returns; asked lazily (at {@link #awaitDelivered}
   * and {@link CapturedMail#priority()}), because the queue is built with this mailbox's transport.
   *
   * @param queue supplies the queue whose mail this mailbox captures
   */
  public Mailbox(Supplier<? extends MailQueue> queue) {
    this.queue = Objects.requireNonNull(queue, "queue");
  }

  /** {@return the capturing transport to build the queue with; one per mailbox} */
  public MailTransport transport() {
    return transport;
  }

  /** {@return a listener that records the events into this mailbox, for a queue built by hand} */
  public DeliveryListener listener() {
    return listener(List.of());
  }

  /**
   * A listener that hands each event to {@code before} in order (an exception of one is logged and
   * does not keep the event from the others), then records it here: when {@link #awaitDelivered}
   * returns, the application's listeners have run too.
   *
   * @param before the application's listeners
   * @return the listener to build the queue with
   */
  public DeliveryListener listener(List<DeliveryListener> before) {
    List<DeliveryListener> others = List.copyOf(before);
    return new DeliveryListener() {
      @Override
      public void delivered(DeliveryEvent event) {
        tell(others, event, RecipientStatus.DELIVERED);
      }

      @Override
      public void deferred(DeliveryEvent event) {
        tell(others, event, RecipientStatus.DEFERRED);
      }

      @Override
      public void bounced(DeliveryEvent event) {
        tell(others, event, RecipientStatus.BOUNCED);
      }

      @Override
      public void expired(DeliveryEvent event) {
        tell(others, event, RecipientStatus.EXPIRED);
      }

      @Override
      public void suppressed(DeliveryEvent event) {
        tell(others, event, RecipientStatus.SUPPRESSED);
      }

      @Override
      public void captured(DeliveryEvent event) {
        tell(others, event, RecipientStatus.CAPTURED);
      }

      @Override
      public void blocked(DeliveryEvent event) {
        // an alert on top of the bounced or deferred event, which is recorded: only passed on
        for (DeliveryListener l : others) {
          try {
            l.blocked(event);
          } catch (RuntimeException e) {
            log.warn("delivery listener {} failed on a blocked event", l, e);
          }
        }
      }
    };
  }

  private void tell(List<DeliveryListener> others, DeliveryEvent event, RecipientStatus status) {
    for (DeliveryListener l : others) {
      try {
        switch (status) {
          case DELIVERED -> l.delivered(event);
          case DEFERRED -> l.deferred(event);
          case BOUNCED -> l.bounced(event);
          case EXPIRED -> l.expired(event);
          case CAPTURED -> l.captured(event);
          default -> l.suppressed(event);
        }
      } catch (RuntimeException e) {
        log.warn("delivery listener {} failed on a {} event", l, status, e);
      }
    }
    record(status, event);
  }

  /**
   * The script of one recipient's answers; delivery until something else is scripted.
   *
   * @param address the recipient's address
   * @return the recipient's script, the same object for every call with this address
   * @throws dev.mailqueue.InvalidMailException if {@code address} is not a valid address
   */
  public RecipientScript script(String address) {
    MailAddress a = MailAddress.of(address);
    return scripts.computeIfAbsent(CapturedMail.key(a), k -> new RecipientScript(a));
  }

  RecipientScript scriptFor(MailAddress recipient) {
    return scripts.computeIfAbsent(
        CapturedMail.key(recipient), k -> new RecipientScript(recipient));
  }

  /** {@return every attempt the transport received, in order, whatever it answered} */
  public List<CapturedMail> attempts() {
    lock.lock();
    try {
      return List.copyOf(attempts);
    } finally {
      lock.unlock();
    }
  }

  /** {@return the attempts that delivered to at least one recipient, in order} */
  public List<CapturedMail> sent() {
    return attempts().stream().filter(m -> !m.deliveredTo().isEmpty()).toList();
  }

  /**
   * The attempts that delivered to {@code address}: normally one per message sent to it.
   *
   * @param address the recipient's address (envelope: To, Cc or Bcc), in any case
   * @return those attempts, in order
   */
  public List<CapturedMail> sentTo(String address) {
    String key = CapturedMail.key(MailAddress.of(address));
    return sent().stream()
        .filter(m -> m.deliveredTo().stream().anyMatch(a -> CapturedMail.key(a).equals(key)))
        .toList();
  }

  /**
   * The listener events of one kind, in the order they were told.
   *
   * @param status DELIVERED, DEFERRED, BOUNCED, EXPIRED or SUPPRESSED
   * @return the events
   */
  public List<DeliveryEvent> events(RecipientStatus status) {
    lock.lock();
    try {
      return events.stream().filter(r -> r.status == status).map(Recorded::event).toList();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The statuses the listener was told for {@code address}, in order, e.g. {@code [DEFERRED,
   * DEFERRED, DELIVERED]}.
   *
   * @param address the recipient's address, in any case
   * @return one status per event naming the recipient
   */
  public List<RecipientStatus> history(String address) {
    String key = CapturedMail.key(MailAddress.of(address));
    lock.lock();
    try {
      List<RecipientStatus> out = new ArrayList<>();
      for (Recorded r : events) {
        for (RecipientOutcome o : r.event.recipients()) {
          if (CapturedMail.key(o.recipient()).equals(key)) {
            out.add(r.status);
          }
        }
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits up to {@link #DEFAULT_AWAIT_TIMEOUT} as {@link #awaitDelivered(Duration)} does.
   *
   * @throws AssertionError if mail is still waiting after the timeout
   */
  public void awaitDelivered() {
    awaitDelivered(DEFAULT_AWAIT_TIMEOUT);
  }

  /**
   * Waits until the queue has nothing left to send and every listener has been told every attempt
   * the transport answered: no message QUEUED, DEFERRED or SENDING (HOLD does not count), which
   * with the test retry policy means every scripted deferral was retried. Wakes the workers while
   * it waits, and returns as soon as that holds; it never sleeps a fixed time. Mail enqueued in a
   * transaction that has not committed is not seen, and mail due later ({@code notBefore}) keeps it
   * waiting until the timeout.
   *
   * @param timeout how long to wait at most
   * @throws AssertionError if mail is still waiting after the timeout, with the queue's counts
   */
  public void awaitDelivered(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    MailQueue q = queue.get();
    while (true) {
      // The store first: once nothing is pending there, every attempt was captured, so the untold
      // set read next is complete.
      QueueStats stats = q.stats();
      long waiting = waiting(stats);
      int untoldNow;
      lock.lock();
      try {
        untoldNow = untold.size();
        if (waiting == 0 && untoldNow == 0) {
          return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "mail still waiting after "
                  + timeout
                  + ": "
                  + waiting
                  + " messages queued, deferred or sending ("
                  + stats.countsByState()
                  + "), "
                  + untoldNow
                  + " recipient outcomes not yet told to the listener; captured so far: "
                  + attempts);
        }
        q.wakeUp();
        changed.awaitNanos(Math.min(left, RECHECK_NANOS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for mail", e);
      } finally {
        lock.unlock();
      }
    }
  }

  private static long waiting(QueueStats stats) {
    return stats.count(MessageState.QUEUED)
        + stats.count(MessageState.DEFERRED)
        + stats.count(MessageState.SENDING);
  }

  /** Forgets every captured attempt, event and script; for reuse between tests. */
  public void clear() {
    lock.lock();
    try {
      attempts.clear();
      events.clear();
      untold.clear();
      scripts.clear();
    } finally {
      lock.unlock();
    }
  }

  void capture(OutboundMail mail, List<RecipientOutcome> outcomes) {
    CapturedMail captured =
        new CapturedMail(
            mail.id(),
            mail.messageIdHeader(),
            mail.attempt(),
            mail.envelopeFrom(),
            outcomes,
            mail.tag(),
            mail.mime(),
            this::priorityOf);
    lock.lock();
    try {
      attempts.add(captured);
      for (RecipientOutcome o : outcomes) {
        untold.add(untoldKey(mail.id(), mail.attempt(), o.recipient()));
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void record(RecipientStatus status, DeliveryEvent event) {
    lock.lock();
    try {
      events.add(new Recorded(status, event));
      for (RecipientOutcome o : event.recipients()) {
        untold.remove(untoldKey(event.messageId(), event.attempt(), o.recipient()));
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private @Nullable Priority priorityOf(MessageId id) {
    return queue.get().find(id).map(MessageView::priority).orElse(null);
  }

  private static String untoldKey(MessageId id, int attempt, MailAddress recipient) {
    return id + "/" + attempt + "/" + CapturedMail.key(recipient);
  }

  /** {@return the counts of captured attempts and events} */
  @Override
  public String toString() {
    lock.lock();
    try {
      return "Mailbox[" + attempts.size() + " attempts, " + events.size() + " events]";
    } finally {
      lock.unlock();
    }
  }
}
