package dev.mailqueue;

import dev.mailqueue.internal.Engine;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.MailTransport;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A transactional outbound mail queue: {@link #enqueue(Connection, Mail)} writes the mail in the
 * caller's database transaction, so it is sent if and only if that transaction commits; workers
 * then deliver it through a {@link MailTransport}, retry temporary failures per the {@link
 * RetryPolicy}, and report every outcome to a {@link DeliveryListener}.
 *
 * <p>Build one with {@link #builder()}, call {@link #start()} once, and {@link #close()} on
 * shutdown. All methods are thread-safe. The store is prepared (its schema checked or created)
 * once, by {@link #start()} or by the first enqueue, whichever comes first, so a mail enqueued
 * before {@code start()} is stored and waits for it. A node that only enqueues, while others
 * deliver, is built with {@link Builder#enqueueOnly()} instead of a transport.
 *
 * <pre>{@code
 * MailQueue queue = MailQueue.builder()
 *     .store(JdbcMailStore.builder(dataSource).build())
 *     .transport(SmtpTransport.relay("smtp.example.com", 587).credentials(user, secret).build())
 *     .build();
 * queue.start();
 * queue.enqueue(connection, Mail.builder().from("shop@example.com").to("bob@example.org")
 *     .subject("Your receipt").text("Thanks!").tag("receipt").build());
 * }</pre>
 */
public interface MailQueue extends AutoCloseable {

  /**
   * Renders, validates and stores a mail in a transaction of the store's own, committed before this
   * returns; wakes the workers at once.
   *
   * @param mail the mail to send
   * @return the new message's id, or the existing one's if its idempotency key was used before
   * @throws InvalidMailException if the mail is invalid or too large; nothing is stored
   */
  MessageId enqueue(Mail mail);

  /**
   * Renders, validates and stores a mail in the caller's transaction on {@code connection}. Never
   * commits, rolls back, closes the connection or changes its auto-commit mode: the mail is sent if
   * and only if the caller commits. Workers notice within the poll interval, at once on PostgreSQL
   * (a NOTIFY follows the commit), or at once after the caller calls {@link #wakeUp()} after commit
   * (the Spring integration does this for you).
   *
   * @param connection the caller's connection, inside the caller's transaction
   * @param mail the mail to send
   * @return the new message's id, or the existing one's if its idempotency key was used before
   * @throws InvalidMailException if the mail is invalid or too large; nothing is written
   */
  MessageId enqueue(Connection connection, Mail mail);

  /**
   * Enqueues several mails in one transaction of the store's own: all or none are stored. Every
   * mail is validated and rendered before anything is written.
   *
   * @param mails the mails to send, in order
   * @return the ids in the order of {@code mails}
   * @throws InvalidMailException if any mail is invalid; nothing is stored
   */
  List<MessageId> enqueueAll(java.util.Collection<Mail> mails);

  /**
   * Enqueues several mails in the caller's transaction on {@code connection}, with the same
   * guarantees as {@link #enqueue(Connection, Mail)}.
   *
   * @param connection the caller's connection, inside the caller's transaction
   * @param mails the mails to send, in order
   * @return the ids in the order of {@code mails}
   * @throws InvalidMailException if any mail is invalid; nothing is written
   */
  List<MessageId> enqueueAll(Connection connection, java.util.Collection<Mail> mails);

  /**
   * Asks the workers to look for due messages now rather than at the next poll. Cheap; never
   * blocks.
   */
  void wakeUp();

  /**
   * Prepares the store if no enqueue has yet, and starts the workers (an {@linkplain
   * Builder#enqueueOnly() enqueue-only} queue has none). Idempotent.
   */
  void start();

  /**
   * Whether the queue was started, is not closed, and its dispatcher and recorder threads are
   * alive: false means nothing is being delivered from this node (a health check reports DOWN). An
   * enqueue-only queue is running from {@link #start()} to {@link #close()}.
   *
   * @return whether this node is delivering (or, enqueue-only, accepting mail)
   */
  boolean isRunning();

  /** {@return counts by state and the oldest waiting message's age} */
  QueueStats stats();

  /**
   * What keeps this node from delivering right now for a reason on this side, as its transport
   * reports it (e.g. a relay refusing the configured credentials); health views show these.
   *
   * @return one line per problem; empty when there is none, and always for an enqueue-only queue
   */
  List<String> problems();

  /**
   * What this node does with the mail it dispatches, as {@link Builder#mode} set it; health views
   * show it so that nobody mistakes staging for production.
   *
   * @return the mode; {@link DeliveryMode#live()} unless configured otherwise (the default)
   */
  default DeliveryMode mode() {
    return DeliveryMode.live();
  }

  /**
   * One message with its recipients' statuses and last replies.
   *
   * @param id the message's id
   * @return the message, or empty if there is none with this id (never stored, or purged after the
   *     retention)
   */
  Optional<MessageView> find(MessageId id);

  /**
   * Recipient counts grouped by status and last reply, most frequent first.
   *
   * @param limit the most groups returned
   * @return the groups, most frequent first
   */
  List<ReplyCount> replyCounts(int limit);

  /**
   * Inspection and operations on the queue's messages (list, show, hold, release, retry, expire,
   * delete, shape) and its suppression list; see {@link MailQueueAdmin}.
   *
   * @return the administrative interface of the store
   * @throws UnsupportedOperationException if the store has no administrative interface
   */
  default MailQueueAdmin admin() {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " has no administrative interface");
  }

  /**
   * Stops claiming, lets in-flight deliveries finish within the shutdown timeout, gives back what
   * was claimed but not started, then closes the transport and the store. Idempotent. A delivery
   * still running after the timeout is abandoned; its lease expires and another worker retries it
   * (the same Message-ID is sent).
   */
  @Override
  void close();

  /** {@return a builder; {@link Builder#store} and {@link Builder#transport} are required} */
  static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link MailQueue}. Every setter says its default. Not thread-safe. */
  final class Builder {
    /** Worker threads delivering in parallel: 8. */
    public static final int DEFAULT_WORKERS = 8;

    /** How often workers look for due mail when nothing wakes them: 1 s. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

    /** How long a claimed message stays leased before another worker may take it: 5 minutes. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(5);

    /** How long {@link MailQueue#close()} waits for in-flight deliveries: 30 s. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    /** Largest rendered message accepted: 25 MB. */
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 25L * 1024 * 1024;

    /** How long finished messages are kept for inspection: 7 days. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

    /** How often a started queue records in its store that it is alive: 5 s. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

    /**
     * Threads calling the {@link DeliveryListener}: 1, so that one message's events arrive in
     * order.
     */
    public static final int DEFAULT_LISTENER_THREADS = 1;

    /** Outcomes recorded but not yet told to the listener that are held at most: 10,000. */
    public static final int DEFAULT_LISTENER_QUEUE_CAPACITY = 10_000;

    /** What the queue does with the mail it dispatches: {@link DeliveryMode#live()}, send it. */
    public static final DeliveryMode DEFAULT_MODE = DeliveryMode.live();

    private MailStore store;
    private @Nullable MailTransport transport;
    private boolean enqueueOnly;
    private DeliveryListener listener = DeliveryListener.NONE;
    private int workers = DEFAULT_WORKERS;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration lease = DEFAULT_LEASE;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private long maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private Duration retention = DEFAULT_RETENTION;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private int listenerThreads = DEFAULT_LISTENER_THREADS;
    private int listenerQueueCapacity = DEFAULT_LISTENER_QUEUE_CAPACITY;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private final Map<String, RetryPolicy> retryPolicyByTag = new HashMap<>();
    private String messageIdDomain;
    private String workerId = defaultWorkerId();
    private DeliveryMode mode = DEFAULT_MODE;

    Builder() {}

    /**
     * Where messages are stored. Required.
     *
     * @param store the store, not {@code null}
     * @return this builder
     */
    public Builder store(MailStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * How messages are sent. Required, unless the queue is {@linkplain #enqueueOnly()
     * enqueue-only}.
     *
     * @param transport the transport, not {@code null}
     * @return this builder
     */
    public Builder transport(MailTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * Makes a producer: a queue that enqueues into the store and never delivers, for a node whose
     * mail another node (one built with a {@link #transport}) sends. It takes no transport, starts
     * no dispatcher, worker or housekeeping thread, and does not join the store's node registry;
     * {@link MailQueue#start()} only prepares the store, and enqueueing before it does so too. Not
     * enqueue-only by default.
     *
     * @return this builder
     */
    public Builder enqueueOnly() {
      this.enqueueOnly = true;
      return this;
    }

    /**
     * Who hears about outcomes. Defaults to {@link DeliveryListener#NONE}. The listener runs on
     * threads of its own ({@link #listenerThreads}), after the outcome is committed, never on the
     * threads that record outcomes or claim mail: a slow or blocking listener delays only later
     * events, not delivery.
     *
     * @param listener the listener, not {@code null}
     * @return this builder
     */
    public Builder listener(DeliveryListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Threads calling the listener. With one, the events of a message arrive in the order they
     * happened; with more, events of different messages are told in parallel and a message's events
     * may overtake each other. Defaults to {@value #DEFAULT_LISTENER_THREADS}.
     *
     * @param threads the number of listener threads, 1 to 64
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is outside 1 to 64
     */
    public Builder listenerThreads(int threads) {
      if (threads < 1 || threads > 64) {
        throw new IllegalArgumentException("listenerThreads must be 1..64: " + threads);
      }
      this.listenerThreads = threads;
      return this;
    }

    /**
     * Events held for a listener that falls behind. When it is full, further events are not told
     * (each is logged at WARN with its message id; the outcome itself is recorded and can be read
     * with {@link MailQueue#find}): memory stays bounded and recording never waits for the
     * listener. Defaults to {@value #DEFAULT_LISTENER_QUEUE_CAPACITY}.
     *
     * @param capacity the most events held, positive
     * @return this builder
     * @throws IllegalArgumentException if {@code capacity} is not positive
     */
    public Builder listenerQueueCapacity(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("listenerQueueCapacity must be positive: " + capacity);
      }
      this.listenerQueueCapacity = capacity;
      return this;
    }

    /**
     * Parallel deliveries. Defaults to {@value #DEFAULT_WORKERS}.
     *
     * @param workers the number of worker threads, 1 to 1024
     * @return this builder
     * @throws IllegalArgumentException if {@code workers} is outside 1 to 1024
     */
    public Builder workers(int workers) {
      if (workers < 1 || workers > 1024) {
        throw new IllegalArgumentException("workers must be 1..1024: " + workers);
      }
      this.workers = workers;
      return this;
    }

    /**
     * Fallback polling interval. Defaults to 1 s.
     *
     * @param pollInterval the interval, positive
     * @return this builder
     * @throws IllegalArgumentException if the interval is zero or negative
     */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = requirePositive(pollInterval, "pollInterval");
      return this;
    }

    /**
     * Lease of a claimed message; renewed while a send runs. Defaults to 5 minutes.
     *
     * @param lease the lease, positive
     * @return this builder
     * @throws IllegalArgumentException if the lease is zero or negative
     */
    public Builder lease(Duration lease) {
      this.lease = requirePositive(lease, "lease");
      return this;
    }

    /**
     * How long {@code close()} waits for in-flight deliveries. Defaults to 30 s.
     *
     * @param shutdownTimeout the timeout, positive
     * @return this builder
     * @throws IllegalArgumentException if the timeout is zero or negative
     */
    public Builder shutdownTimeout(Duration shutdownTimeout) {
      this.shutdownTimeout = requirePositive(shutdownTimeout, "shutdownTimeout");
      return this;
    }

    /**
     * Largest rendered message, in bytes. Defaults to 25 MB.
     *
     * @param bytes the largest size in bytes, at least 1024
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 1024
     */
    public Builder maxMessageSize(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxMessageSize must be at least 1024 bytes: " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /**
     * How long finished messages are kept before they are purged. Defaults to 7 days.
     *
     * @param retention the retention, positive
     * @return this builder
     * @throws IllegalArgumentException if the retention is zero or negative
     */
    public Builder retention(Duration retention) {
      this.retention = requirePositive(retention, "retention");
      return this;
    }

    /**
     * How often a started queue records that it is alive, when its store keeps a {@link
     * dev.mailqueue.spi.NodeRegistry} ({@code JdbcMailStore} does). A node silent for three
     * intervals no longer counts; the live count divides the transport's per-destination limits
     * among the nodes when the transport is {@link dev.mailqueue.spi.ClusterAware} (an {@code
     * SmtpTransport} with shaping is). Every node sharing a store should use the same interval.
     * Defaults to 5 s.
     *
     * @param interval the interval, at least 10 ms
     * @return this builder
     * @throws IllegalArgumentException if the interval is shorter than 10 ms
     */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = requirePositive(interval, "heartbeatInterval");
      if (interval.toMillis() < 10) {
        throw new IllegalArgumentException("heartbeatInterval must be at least 10 ms: " + interval);
      }
      return this;
    }

    /**
     * The retry policy for untagged mail and tags without their own. Defaults to {@link
     * RetryPolicy#defaults()}.
     *
     * @param policy the policy, not {@code null}
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * A retry policy for mail with this tag, e.g. a short one for {@code password-reset}. None by
     * default.
     *
     * @param tag the tag, as given to {@link Mail.Builder#tag}
     * @param policy the policy for mail with this tag, replacing any set before for it
     * @return this builder
     */
    public Builder retryPolicy(String tag, RetryPolicy policy) {
      retryPolicyByTag.put(
          Objects.requireNonNull(tag, "tag"), Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /**
     * The domain in generated Message-IDs. Defaults to the domain of each mail's From address.
     *
     * @param domain the domain, stored in lower-case ASCII form
     * @return this builder
     * @throws InvalidMailException if {@code domain} is not a valid domain
     */
    public Builder messageIdDomain(String domain) {
      this.messageIdDomain = MailAddress.of("x@" + domain).domain();
      return this;
    }

    /**
     * This node's name in leases (for administration) and in the store's node registry; every node
     * sharing a store needs its own. Defaults to host name, process id and a random suffix.
     *
     * @param workerId the name, 1 to 64 characters, not blank
     * @return this builder
     * @throws IllegalArgumentException if the name is blank or longer than 64 characters
     */
    public Builder workerId(String workerId) {
      if (workerId == null || workerId.isBlank() || workerId.length() > 64) {
        throw new IllegalArgumentException("workerId must have 1 to 64 characters");
      }
      this.workerId = workerId;
      return this;
    }

    /**
     * What this node does with the mail it dispatches: send it, capture it, redirect it to test
     * inboxes, or send only to listed domains and addresses (see {@link DeliveryMode}). For staging
     * and development; the start-up log names the mode (a WARN line unless live) and {@link
     * MailQueue#mode()} reports it to health views. Addresses at {@code simulator.invalid} are
     * answered by the simulator in every mode. Defaults to {@link #DEFAULT_MODE}, live.
     *
     * @param mode the mode, not {@code null}
     * @return this builder
     */
    public Builder mode(DeliveryMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Builds the queue; call {@link MailQueue#start()} to start delivering.
     *
     * @return the queue, not started
     * @throws IllegalStateException if no store is set, if no transport is set on a queue that is
     *     not enqueue-only, or if a transport is set on one that is
     */
    public MailQueue build() {
      if (store == null) {
        throw new IllegalStateException("store is required");
      }
      if (enqueueOnly && transport != null) {
        throw new IllegalStateException(
            "an enqueue-only queue takes no transport: drop transport(...) or enqueueOnly()");
      }
      if (!enqueueOnly && transport == null) {
        throw new IllegalStateException(
            "transport is required to deliver; for a producer that only enqueues "
                + "(another node delivers), call enqueueOnly() instead");
      }
      return Engine.newQueue(
          store,
          transport,
          listener,
          workers,
          pollInterval,
          lease,
          shutdownTimeout,
          maxMessageSize,
          retention,
          retryPolicy,
          Map.copyOf(retryPolicyByTag),
          messageIdDomain,
          workerId,
          heartbeatInterval,
          listenerThreads,
          listenerQueueCapacity,
          mode);
    }

    private static Duration requirePositive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }

    private static String defaultWorkerId() {
      String jvm = ManagementFactory.getRuntimeMXBean().getName();
      String id = jvm + "-" + UUID.randomUUID().toString().substring(0, 8);
      return id.length() > 64 ? id.substring(id.length() - 64) : id;
    }
  }
}
