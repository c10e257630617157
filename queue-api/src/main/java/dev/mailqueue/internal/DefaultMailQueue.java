package dev.mailqueue.internal;

import dev.mailqueue.DeliveryListener;
import dev.mailqueue.DeliveryMode;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueStats;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.ReplyCount;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import dev.mailqueue.spi.QueuedMail;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine: one dispatcher thread claims due messages in batches and hands them to a fixed pool
 * of worker threads, which send, decide ({@link RetryDecision}), record the outcome under the
 * lease's fencing token, and only then tell the listener.
 */
final class DefaultMailQueue implements MailQueue {
  private static final Logger log = LoggerFactory.getLogger(DefaultMailQueue.class);

  /**
   * One INFO line per recipient per recorded attempt, in Postfix's form, on a logger of its own so
   * that it can be routed or silenced: {@value #DELIVERY_LOGGER}.
   */
  public static final String DELIVERY_LOGGER = "dev.mailqueue.delivery";

  private static final SmtpReply TRANSPORT_FAILURE =
      SmtpReply.local(451, "4.3.0", "internal error in the mail transport");

  /** Everything the builder collected. */
  record Settings(
      MailStore store,
      @Nullable MailTransport transport,
      DeliveryListener listener,
      int workers,
      Duration pollInterval,
      Duration lease,
      Duration shutdownTimeout,
      long maxMessageSize,
      Duration retention,
      RetryPolicy retryPolicy,
      Map<String, RetryPolicy> retryPolicyByTag,
      String messageIdDomain,
      String workerId,
      Duration heartbeatInterval,
      int listenerThreads,
      int listenerQueueCapacity,
      DeliveryMode mode) {}

  private final Settings settings;
  private final MailStore store;

  /** Null for an enqueue-only queue, which never dispatches. */
  private final @Nullable MailTransport transport;

  private final MimeRenderer renderer;

  /** Simulator addresses and the mode, in front of the transport. */
  private final ModeRouting routing;

  private final AtomicBoolean started = new AtomicBoolean();

  /**
   * Set once the store's start() returned: by start() or the first enqueue, whichever came first.
   */
  private volatile boolean storeStarted;

  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean running;

  /**
   * Claimed messages waiting for a worker or being sent: {@link #CLAIMED_PER_WORKER} per worker,
   * claimed when half are free, so claims come in batches of four per worker or more. A slot frees
   * when the attempt is handed to the completer, so the next claim overlaps the previous group's
   * commit.
   */
  private final Semaphore capacity;

  private final int capacityPermits;
  private final Map<MessageId, ClaimedMail> inFlight = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private boolean wakeRequested;

  private ThreadPoolExecutor workerPool;

  /** Tells the listener, off the recording path: a slow listener delays only later events. */
  private ListenerNotifier listenerNotifier;

  private ScheduledExecutorService housekeeping;
  private ScheduledExecutorService purger;

  /**
   * Set when the store keeps a node registry; guarded by itself, so no heartbeat follows the leave.
   */
  private NodeMembership membership;

  private Thread dispatcher;

  /**
   * Claim depth. With four per worker, workers sending through a 4-connection relay waited for
   * claims: eight gave 25-38 % more messages per second in DrainBenchmark (benchmarks/RESULTS.md)
   * and larger, cheaper claims. The price: after a crash, up to this many messages per worker wait
   * for their lease.
   */
  static final int CLAIMED_PER_WORKER = 8;

  static final int DECIDED_PER_WORKER = 4;

  /** Records decided attempts and tells the listener; set by start(). */
  private Completer completer;

  /** Claim order, the tie-breaker among claimed mail of one priority waiting for a worker. */
  private final AtomicLong claimOrder = new AtomicLong();

  /** One claimed message waiting for a worker: higher priority first, then earlier claim. */
  private final class Delivery implements Runnable, Comparable<Delivery> {
    private final ClaimedMail mail;
    private final long order;

    /**
     * When it was claimed, on this JVM's monotonic clock: the database's claim time plus the wait
     * is "now".
     */
    private final long claimedNanos = System.nanoTime();

    Delivery(ClaimedMail mail, long order) {
      this.mail = mail;
      this.order = order;
    }

    @Override
    public void run() {
      process(mail, claimedNanos);
    }

    @Override
    public int compareTo(Delivery other) {
      int byPriority = Integer.compare(mail.priority().rank(), other.mail.priority().rank());
      return byPriority != 0 ? byPriority : Long.compare(order, other.order);
    }
  }

  /** Creates a queue from the builder's settings; use {@link MailQueue#builder()}. */
  public DefaultMailQueue(Settings settings) {
    this.settings = settings;
    this.store = settings.store();
    this.transport = settings.transport();
    this.renderer = new MimeRenderer(settings.maxMessageSize(), settings.messageIdDomain());
    this.capacityPermits = settings.workers() * CLAIMED_PER_WORKER;
    this.capacity = new Semaphore(capacityPermits);
    this.routing =
        new ModeRouting(
            settings.mode(),
            new Simulator(
                address ->
                    store.admin().suppress(address.address(), Simulator.SUPPRESSION_REASON, null)));
  }

  @Override
  public MessageId enqueue(Mail mail) {
    QueuedMail prepared = prepare(mail);
    startStore();
    MessageId id = store.insert(prepared);
    wakeUp();
    return id;
  }

  @Override
  public MessageId enqueue(Connection connection, Mail mail) {
    if (connection == null) {
      throw new MailQueueException(
          "connection is null; use enqueue(mail) to enqueue in a transaction of the queue's own");
    }
    QueuedMail prepared = prepare(mail);
    startStore();
    return store.insert(connection, prepared);
  }

  @Override
  public List<MessageId> enqueueAll(java.util.Collection<Mail> mails) {
    List<QueuedMail> prepared = prepareAll(mails);
    startStore();
    List<MessageId> ids = store.insertAll(prepared);
    wakeUp();
    return ids;
  }

  @Override
  public List<MessageId> enqueueAll(Connection connection, java.util.Collection<Mail> mails) {
    if (connection == null) {
      throw new MailQueueException(
          "connection is null; use enqueueAll(mails) to enqueue in a transaction of the queue's own");
    }
    List<QueuedMail> prepared = prepareAll(mails);
    startStore();
    return store.insertAll(connection, prepared);
  }

  private List<QueuedMail> prepareAll(java.util.Collection<Mail> mails) {
    List<QueuedMail> prepared = new ArrayList<>(mails.size());
    int i = 0;
    for (Mail m : mails) {
      try {
        prepared.add(prepare(m));
      } catch (dev.mailqueue.InvalidMailException e) {
        throw new dev.mailqueue.InvalidMailException(
            "mails[" + i + "]." + e.field(), e.reason(), e);
      }
      i++;
    }
    return prepared;
  }

  private QueuedMail prepare(Mail mail) {
    MessageId id = MessageId.generate();
    MimeRenderer.Rendered rendered = renderer.render(mail, id);
    Duration lifetime = mail.lifetime() != null ? mail.lifetime() : policyFor(mail.tag()).maxAge();
    return new QueuedMail(
        id,
        rendered.messageIdHeader(),
        mail.envelopeFrom(),
        mail.recipients(),
        rendered.mime(),
        mail.priority(),
        mail.notBefore(),
        lifetime,
        mail.tag(),
        mail.idempotencyKey());
  }

  private RetryPolicy policyFor(String tag) {
    return tag == null
        ? settings.retryPolicy()
        : settings.retryPolicyByTag().getOrDefault(tag, settings.retryPolicy());
  }

  /**
   * Prepares the store once, at the first enqueue or at start(): an application that enqueues
   * before start() gets its mail stored (or the store's own reason why not, such as a schema to
   * create), not a missing table.
   */
  private void startStore() {
    if (storeStarted) {
      return;
    }
    synchronized (this) {
      if (closed.get()) {
        throw new MailQueueException("this queue was closed; build a new one");
      }
      if (!storeStarted) {
        store.start();
        storeStarted = true;
      }
    }
  }

  @Override
  public void wakeUp() {
    lock.lock();
    try {
      wakeRequested = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void start() {
    if (closed.get()) {
      throw new MailQueueException("this queue was closed; build a new one");
    }
    if (!started.compareAndSet(false, true)) {
      return;
    }
    startStore();
    if (transport == null) {
      running = true;
      log.info("mail queue started, enqueue only (another node delivers): store {}", store);
      return;
    }
    if (settings.mode().isLive()) {
      log.info("mail queue mode live: mail is sent to its recipients");
    } else {
      log.warn(
          "mail queue mode {}: {}",
          settings.mode(),
          switch (settings.mode().kind()) {
            case CAPTURE -> "nothing is sent, every recipient is captured";
            case REDIRECT -> "every message goes to these inboxes instead of its recipients";
            default -> "only these domains and addresses are sent to, the rest is captured";
          });
    }
    store.onRemoteEnqueue(this::wakeUp);
    running = true;
    // The fast lane: claimed mail waiting for a worker is taken by priority, then in claim order,
    // so a HIGH message claimed after a batch of BULK ones is sent next.
    workerPool =
        new ThreadPoolExecutor(
            settings.workers(),
            settings.workers(),
            0,
            TimeUnit.MILLISECONDS,
            new PriorityBlockingQueue<>(),
            threads("mailqueue-worker-", false));
    housekeeping =
        Executors.newSingleThreadScheduledExecutor(threads("mailqueue-housekeeping-", true));
    long renewMillis = Math.max(100, settings.lease().toMillis() / 3);
    housekeeping.scheduleWithFixedDelay(
        this::renewLeases, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
    // Its own thread: purging a large backlog of finished mail can take minutes, and on the
    // housekeeping thread it would hold up lease renewal until leases expired (mail sent twice).
    purger = Executors.newSingleThreadScheduledExecutor(threads("mailqueue-purge-", true));
    purger.scheduleWithFixedDelay(this::purge, 1, 60, TimeUnit.SECONDS);
    if (store instanceof dev.mailqueue.spi.NodeRegistry registry) {
      membership =
          new NodeMembership(
              registry, transport, settings.workerId(), settings.heartbeatInterval());
      housekeeping.scheduleWithFixedDelay(
          membership::heartbeat, 0, settings.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
    }
    listenerNotifier =
        new ListenerNotifier(
            settings.listener(),
            settings.listenerThreads(),
            settings.listenerQueueCapacity(),
            threads("mailqueue-listener-", true));
    completer =
        new Completer(store, inFlight, listenerNotifier, settings.workers() * DECIDED_PER_WORKER);
    completer.start(threads("mailqueue-completer-", false));
    dispatcher = threads("mailqueue-dispatcher-", false).newThread(this::dispatch);
    dispatcher.start();
    log.info(
        "mail queue started: {} workers, poll every {} ms, lease {} s, worker id {}; store {}; transport {}",
        settings.workers(),
        settings.pollInterval().toMillis(),
        settings.lease().toSeconds(),
        settings.workerId(),
        store,
        transport);
  }

  private void dispatch() {
    long errorBackoffMillis = 0;
    while (running) {
      try {
        int free = capacity.availablePermits();
        if (free > 0) {
          List<ClaimedMail> claimed = store.claim(settings.workerId(), free, settings.lease());
          errorBackoffMillis = 0;
          for (int i = 0; i < claimed.size(); i++) {
            ClaimedMail mail = claimed.get(i);
            if (completer.rebind(mail)) {
              continue;
            }
            capacity.acquireUninterruptibly();
            inFlight.put(mail.id(), mail);
            try {
              workerPool.execute(new Delivery(mail, claimOrder.getAndIncrement()));
            } catch (RejectedExecutionException e) {
              // close() stopped waiting for this claim and shut the workers down: give the rest
              // back.
              capacity.release();
              List<ClaimedMail> rest = claimed.subList(i, claimed.size());
              rest.forEach(m -> inFlight.remove(m.id()));
              releaseQuietly(rest);
              return;
            }
          }
          if (claimed.size() == free) {
            // Possibly more due: claim again as soon as capacity frees up.
            awaitWake(settings.pollInterval(), true);
            continue;
          }
        } else {
          // Full: a wake-up now (mail enqueued meanwhile) must not be spent on a claim of nothing
          // and then wait for the poll; claim again as soon as half the capacity is free.
          awaitWake(settings.pollInterval(), true);
          continue;
        }
        awaitWake(settings.pollInterval(), false);
      } catch (RuntimeException | Error e) {
        // An Error too (a driver's LinkageError, say): a dead claimer would stop all delivery
        // silently.
        errorBackoffMillis =
            Math.min(
                Math.max(100, errorBackoffMillis * 2), settings.pollInterval().toMillis() * 10);
        log.error("claiming due mail failed; retrying in {} ms", errorBackoffMillis, e);
        sleepQuietly(errorBackoffMillis);
      }
    }
  }

  /**
   * Waits until woken, the timeout passes, or (when {@code forCapacity}) half the capacity is free.
   */
  private void awaitWake(Duration timeout, boolean forCapacity) {
    lock.lock();
    try {
      long nanos = timeout.toNanos();
      while (running && !wakeRequested && nanos > 0) {
        if (forCapacity && capacity.availablePermits() >= capacityPermits / 2) {
          break;
        }
        nanos = wake.awaitNanos(nanos);
      }
      wakeRequested = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private void process(ClaimedMail mail, long claimedNanos) {
    long startNanos = System.nanoTime();
    boolean handedOver = false;
    try {
      if (!running) {
        store.release(List.of(mail));
        return;
      }
      completer.handOver(
          mail, RetryDecision.withSuppressed(mail, deliver(mail, claimedNanos, startNanos)));
      handedOver = true;
    } catch (RuntimeException | Error e) {
      log.error(
          "message {} could not be delivered; it stays leased and is retried after the lease expires",
          mail.id(),
          e);
    } finally {
      if (!handedOver) {
        inFlight.remove(mail.id());
      }
      capacity.release();
      signalCapacity();
    }
  }

  /**
   * Sends one claimed message. Times are the database's claim time plus this JVM's monotonic time
   * since the claim, so the wait for a worker counts (a message that expired while it waited is not
   * sent); the attempt's own duration runs from {@code startNanos}.
   */
  private RetryDecision.Decision deliver(ClaimedMail mail, long claimedNanos, long startNanos) {
    Instant startedAt = mail.claimedAt().plusNanos(startNanos - claimedNanos);
    if (mail.recipients().isEmpty() || !startedAt.isBefore(mail.expiresAt())) {
      return RetryDecision.expireUnsent(mail, Duration.ZERO, mail.bouncedBefore());
    }
    byte[] mime = mail.preloadedMime() != null ? mail.preloadedMime() : store.loadMime(mail.id());
    List<MailAddress> recipients = new ArrayList<>(mail.recipients().size());
    for (PendingRecipient p : mail.recipients()) {
      recipients.add(p.address());
    }
    OutboundMail out =
        new OutboundMail(
            mail.id(),
            mail.messageIdHeader(),
            mail.envelopeFrom(),
            recipients,
            mime,
            mail.attempts() + 1,
            mail.tag(),
            SmtpUtf8.required(mail.envelopeFrom(), recipients, mime));
    DeliveryResult result;
    try {
      result = routing.deliver(mail, out, transport);
    } catch (RuntimeException | Error e) {
      log.error("transport failed on message {}; deferring it", mail.id(), e);
      result = DeliveryResult.all(recipients, RecipientStatus.DEFERRED, TRANSPORT_FAILURE, null);
    }
    long endNanos = System.nanoTime();
    Duration elapsed = Duration.ofNanos(endNanos - startNanos);
    Instant now = mail.claimedAt().plusNanos(endNanos - claimedNanos);
    return RetryDecision.decide(
        mail,
        result,
        policyFor(mail.tag()),
        now,
        elapsed,
        ThreadLocalRandom.current().nextDouble(),
        mail.bouncedBefore());
  }

  private void signalCapacity() {
    if (capacity.availablePermits() >= capacityPermits / 2) {
      lock.lock();
      try {
        wake.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private void renewLeases() {
    for (ClaimedMail mail : inFlight.values()) {
      try {
        if (!store.renewLease(mail, settings.lease()) && inFlight.containsKey(mail.id())) {
          log.warn("lease on message {} was lost while it was being sent", mail.id());
        }
      } catch (RuntimeException e) {
        log.warn("renewing the lease on message {} failed", mail.id(), e);
      }
    }
  }

  private void purge() {
    try {
      int total = 0;
      int n;
      do {
        n = store.purgeFinished(settings.retention(), 500);
        total += n;
      } while (n == 500 && running);
      if (total > 0) {
        log.debug("purged {} finished messages older than {}", total, settings.retention());
      }
    } catch (RuntimeException e) {
      log.warn("purging finished messages failed", e);
    }
  }

  @Override
  public List<String> problems() {
    return transport == null ? List.of() : transport.problems();
  }

  @Override
  public DeliveryMode mode() {
    return settings.mode();
  }

  @Override
  public boolean isRunning() {
    if (transport == null) {
      return running && !closed.get();
    }
    Thread d = dispatcher;
    Completer c = completer;
    return running && !closed.get() && d != null && d.isAlive() && c != null && c.isAlive();
  }

  @Override
  public QueueStats stats() {
    return store.stats();
  }

  @Override
  public Optional<MessageView> find(MessageId id) {
    return store.find(id);
  }

  @Override
  public List<ReplyCount> replyCounts(int limit) {
    return store.replyCounts(limit);
  }

  @Override
  public dev.mailqueue.MailQueueAdmin admin() {
    return store.admin();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    running = false;
    routing.close();
    wakeUp();
    int inProgress = inFlight.size();
    if (inProgress > 0) {
      log.info(
          "closing: waiting up to {} for {} claimed messages to be sent and recorded",
          settings.shutdownTimeout(),
          inProgress);
    }
    try {
      if (dispatcher != null) {
        dispatcher.join(settings.shutdownTimeout().toMillis());
      }
      if (workerPool != null) {
        workerPool.shutdown();
        if (!workerPool.awaitTermination(
            settings.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn(
              "{} deliveries still running after {}; abandoning them (their leases expire and they are retried)",
              inFlight.size(),
              settings.shutdownTimeout());
          releaseUnstarted(workerPool.shutdownNow());
        }
      }
      if (completer != null) {
        completer.finish(settings.shutdownTimeout());
      }
      if (listenerNotifier != null) {
        listenerNotifier.shutdown(settings.shutdownTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (workerPool != null) {
        releaseUnstarted(workerPool.shutdownNow());
      }
    } finally {
      if (completer != null) {
        completer.stopWaiting();
      }
      if (listenerNotifier != null) {
        listenerNotifier.shutdownNow();
      }
      if (housekeeping != null) {
        housekeeping.shutdownNow();
      }
      if (purger != null) {
        purger.shutdownNow();
      }
      if (membership != null) {
        membership.leave();
      }
      if (transport != null) {
        closeQuietly(transport);
      }
      closeQuietly(store);
      log.info("mail queue stopped");
    }
  }

  /**
   * Gives back claimed mail no worker started, so it is due again now rather than after its lease.
   */
  private void releaseUnstarted(List<Runnable> neverRun) {
    List<ClaimedMail> unstarted = new ArrayList<>(neverRun.size());
    for (Runnable r : neverRun) {
      if (r instanceof Delivery d) {
        inFlight.remove(d.mail.id());
        unstarted.add(d.mail);
      }
    }
    releaseQuietly(unstarted);
  }

  /** Gives claimed mail back, logging (not throwing) when the store cannot take it. */
  private void releaseQuietly(List<ClaimedMail> mails) {
    if (mails.isEmpty()) {
      return;
    }
    try {
      store.release(mails);
      log.info("{} claimed messages no worker started were given back", mails.size());
    } catch (RuntimeException e) {
      log.warn(
          "{} claimed messages could not be given back; they are due again when their leases expire",
          mails.size(),
          e);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed", c.getClass().getSimpleName(), e);
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static ThreadFactory threads(String prefix, boolean daemon) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(daemon);
      t.setUncaughtExceptionHandler(
          (thread, e) ->
              log.error("thread {} ended by an uncaught exception", thread.getName(), e));
      return t;
    };
  }
}
