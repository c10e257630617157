package dev.mailqueue.jdbc;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueStats;
import dev.mailqueue.ReplyCount;
import dev.mailqueue.SendQuota;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.NodeRegistry;
import dev.mailqueue.spi.QueuedMail;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;
import org.jspecify.annotations.Nullable;

/**
 * A {@link MailStore} in a relational database: PostgreSQL 12+, MariaDB 10.6+ / MySQL 8.0+ or H2
 * 2.2+, detected from the {@link DataSource}. What {@code enqueue} acknowledges and every recorded
 * outcome are committed transactions, as durable as the database makes a commit; an H2 file
 * database must therefore have {@code ;WRITE_DELAY=0} in its URL (see {@link #start()}).
 *
 * <p>Messages are claimed with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so any number of nodes
 * can share one database; each claim sets a lease (the row is due again when the lease expires) and
 * increments a fencing token that every later write must present. The MIME body lives in its own
 * table, apart from the row that claims and completions rewrite. All times are epoch milliseconds
 * from the database clock.
 *
 * <p>The schema is the script {@code dev/mailqueue/jdbc/schema-<dialect>.sql} in this jar, run by
 * {@link #start()} when {@link Builder#createSchema(boolean)} is set (default off: run it with your
 * own migrations); a schema at an older version is first upgraded by {@code
 * upgrade-<dialect>-1-to-2.sql} and {@code upgrade-<dialect>-2-to-3.sql} (see {@link
 * #upgradeResource(int)}). Thread-safe.
 *
 * <p>It is also the {@link NodeRegistry} of the nodes sharing the database (table {@code
 * <prefix>node}), so that they can divide per-destination limits among themselves.
 */
public final class JdbcMailStore implements MailStore, NodeRegistry {
  /** Prefix of every table name: {@code mq_}. */
  public static final String DEFAULT_TABLE_PREFIX = "mq_";

  /** The schema version this code reads and writes. */
  public static final int SCHEMA_VERSION = 3;

  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,19}");

  /**
   * Longest any one statement may run: 30 seconds. The queue's own statements take milliseconds;
   * this bounds the waits that are not its own, such as a row lock another transaction holds
   * (PostgreSQL waits for those for ever by default).
   */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(30);

  /** Bodies up to this size are read with the claim; larger ones when sent: 64 KiB. */
  public static final int DEFAULT_PRELOAD_BODY_BYTES = 64 * 1024;

  /**
   * At most this many body bytes are read with one claim, so a claim's memory stays small: 4 MiB.
   */
  public static final int PRELOAD_BUDGET_BYTES = 4 * 1024 * 1024;

  /**
   * Enhanced codes of a hard bounce that put the recipient on the suppression list: 5.1.1 (no such
   * mailbox), 5.1.2 (no such domain), 5.1.3 (bad address syntax), 5.1.10 (null MX).
   */
  public static final Set<String> DEFAULT_SUPPRESS_ON_BOUNCE =
      Set.of("5.1.1", "5.1.2", "5.1.3", "5.1.10");

  /** Whether a hard bounce puts its address on the suppression list: true. */
  public static final boolean DEFAULT_BOUNCE_SUPPRESSION = true;

  /**
   * How long a hard bounce keeps its address on the suppression list: 90 days, as hosted mail
   * providers do. A mailbox that did not exist may exist later (a new employee, a domain that was
   * re-registered); an address suppressed for ever would never hear from the application.
   */
  public static final Duration DEFAULT_BOUNCE_SUPPRESSION_TTL = Duration.ofDays(90);

  /** Nodes silent for this long are deleted from the node table by the next heartbeat. */
  static final Duration FORGET_NODES_AFTER = NodeTable.FORGET_NODES_AFTER;

  // The store is a facade: each concern lives in its own class, each database's SQL in its dialect.
  private final DataSource dataSource;
  private final Dialect dialect;
  private final boolean createSchema;
  private final boolean retainBodies;
  private final String bounceSuppressionText;
  private final int queryTimeoutSeconds;
  private final String channel;
  private final Schema schema;
  private final Enqueuer enqueuer;
  private final Claimer claimer;
  private final Completer completer;
  private final QueueInspection inspection;
  private final NodeTable nodes;
  private final JdbcMailAdmin admin;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile EnqueueNotifications notifications;

  /** PostgreSQL with NOTIFY on: announces committed enqueues; else null. */
  private final @Nullable EnqueueNotifier notifier;

  private JdbcMailStore(Builder b) {
    this.dataSource = b.dataSource;
    this.createSchema = b.createSchema;
    this.retainBodies = b.retainBodies;
    this.bounceSuppressionText =
        !b.bounceSuppression || b.suppressOnBounce.isEmpty()
            ? "off"
            : b.bounceSuppressionTtl == null ? "for ever" : b.bounceSuppressionTtl.toString();
    this.queryTimeoutSeconds = b.queryTimeoutSeconds;
    Jdbi jdbi = Jdbi.create(dataSource);
    jdbi.setTemplateEngine(TemplateEngine.NOP);
    String product;
    String url;
    try (Connection c = dataSource.getConnection()) {
      product = c.getMetaData().getDatabaseProductName();
      url = c.getMetaData().getURL();
    } catch (SQLException e) {
      throw new JdbcStoreException(
          "cannot connect to the database to detect its kind: " + e.getMessage(), e);
    }
    this.dialect = Dialect.detect(product, url, b.tablePrefix, queryTimeoutSeconds);
    if (dialect.statementTimeouts()) {
      jdbi.getConfig(SqlStatements.class).setQueryTimeout(queryTimeoutSeconds);
    }
    this.channel = b.tablePrefix + "enqueued";
    WriteTransactions transactions = new WriteTransactions(jdbi, dialect);
    this.schema = new Schema(dataSource, jdbi, dialect);
    this.notifier =
        b.notifyOnEnqueue && dialect instanceof PostgreSqlDialect
            ? new EnqueueNotifier(dataSource, channel, queryTimeoutSeconds, b.notifyInterval)
            : null;
    this.enqueuer = new Enqueuer(dataSource, dialect, notifier, channel);
    enqueuer.sendQuotas(b.sendQuotas);
    this.claimer = new Claimer(jdbi, dialect, transactions, b.preloadBodyBytes);
    this.completer =
        new Completer(
            jdbi,
            dialect,
            transactions,
            b.bounceSuppression ? b.suppressOnBounce : Set.of(),
            b.bounceSuppressionTtl,
            b.retainBodies);
    this.inspection = new QueueInspection(jdbi, dialect);
    this.nodes = new NodeTable(jdbi, dialect);
    this.admin = new JdbcMailAdmin(this, jdbi, dialect);
  }

  /** The notifier of committed enqueues, or null; for tests. */
  @Nullable EnqueueNotifier notifier() {
    return notifier;
  }

  /** Replaces the builder's send quotas; for tests that change them on a live store. */
  void sendQuotas(List<SendQuota> quotas) {
    enqueuer.sendQuotas(quotas);
  }

  /** The administrative interface over this store: usable without a running queue (e.g. a CLI). */
  @Override
  public MailQueueAdmin admin() {
    return admin;
  }

  /**
   * A builder for a store on {@code dataSource} (the application's own pool is the usual choice).
   *
   * @param dataSource where the store takes its connections; not null. Nothing connects until
   *     {@link Builder#build()}
   * @return a builder with every setting at its default
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** {@return the detected dialect's name: {@code postgresql}, {@code mariadb} or {@code h2}} */
  public String dialectName() {
    return dialect.name();
  }

  /**
   * {@return the classpath resource of the schema script for this store's database}, such as {@code
   * dev/mailqueue/jdbc/schema-postgresql.sql}; for running it with your own migrations.
   */
  public String schemaResource() {
    return schema.schemaResource();
  }

  /**
   * Checks the database and, with {@link Builder#createSchema(boolean)}, creates or upgrades the
   * schema; then checks the schema version.
   *
   * <p>Refuses an H2 file database that delays writes ({@code WRITE_DELAY} above 0; H2 2.x keeps
   * commits in memory for 500 ms by default): a mail {@code enqueue} acknowledged, or an outcome
   * already reported to the listener, would be lost if the process died within that time. Add
   * {@code ;WRITE_DELAY=0} to the JDBC URL (H2 then writes each commit to the file before it
   * returns, which survives the process being killed; it does not fsync, so an operating system
   * crash or a power loss can still lose the last commits). The store does not change the setting
   * itself: H2 applies the URL's value, or the default, every time it opens the database (and it
   * closes the database when its last connection closes), so a {@code SET WRITE_DELAY 0} would not
   * last. An in-memory H2 database ({@code mem:}) is not checked: nothing in it outlives the JVM.
   *
   * @throws JdbcStoreException if the database cannot keep what the queue acknowledges, or its
   *     schema is missing or at another version
   */
  @Override
  public void start() {
    // The queue starts its store itself (at start() or the first enqueue), and so may the code that
    // built it: check and warn once. A failed start may be tried again.
    if (!started.compareAndSet(false, true)) {
      return;
    }
    try {
      schema.start(createSchema);
    } catch (RuntimeException | Error e) {
      started.set(false);
      throw e;
    }
  }

  /**
   * {@return the classpath resource of the script that upgrades this store's database from schema
   * version 1}, such as {@code dev/mailqueue/jdbc/upgrade-postgresql-1-to-2.sql}.
   */
  public String upgradeResource() {
    return schema.upgradeResource(1);
  }

  /**
   * {@return the classpath resource of the script that upgrades this store's database from schema
   * version {@code from} to the next}, such as {@code
   * dev/mailqueue/jdbc/upgrade-postgresql-2-to-3.sql}.
   *
   * @param from the version the script upgrades from, 1 to {@link #SCHEMA_VERSION} - 1
   */
  public String upgradeResource(int from) {
    if (from < 1 || from >= SCHEMA_VERSION) {
      throw new IllegalArgumentException(
          "no upgrade from schema version " + from + "; versions 1 to " + (SCHEMA_VERSION - 1));
    }
    return schema.upgradeResource(from);
  }

  /**
   * An H2 URL of a database in this JVM: not a server ({@code tcp:}, {@code ssl:}) nor mixed mode.
   */
  static boolean isInProcessH2(String url) {
    return Dialect.isInProcessH2(url);
  }

  // ---------------------------------------------------------------- enqueue (Enqueuer)

  @Override
  public MessageId insert(Connection connection, QueuedMail mail) {
    return enqueuer.insert(connection, mail);
  }

  /**
   * Inserts on a Jdbi handle's connection, in the handle's transaction; like {@link
   * #insert(Connection, QueuedMail)}, never commits, rolls back or closes it.
   *
   * @param handle the caller's handle, normally inside {@code useTransaction}/{@code inTransaction}
   *     so that the mail is queued if and only if the caller's transaction commits
   * @param mail the message to queue
   * @return the new message's id, or the existing message's id when its idempotency key is already
   *     present
   */
  public MessageId insert(Handle handle, QueuedMail mail) {
    return insert(handle.getConnection(), mail);
  }

  @Override
  public MessageId insert(QueuedMail mail) {
    return enqueuer.insert(mail);
  }

  @Override
  public List<MessageId> insertAll(Connection connection, List<QueuedMail> mails) {
    return enqueuer.insertAll(connection, mails);
  }

  @Override
  public List<MessageId> insertAll(List<QueuedMail> mails) {
    return enqueuer.insertAll(mails);
  }

  // ---------------------------------------------------------------- claim (Claimer, the dialect's
  // claim)

  @Override
  public List<ClaimedMail> claim(String owner, int limit, Duration lease) {
    return claimer.claim(owner, limit, lease);
  }

  @Override
  public byte[] loadMime(MessageId id) {
    return claimer.loadMime(id);
  }

  @Override
  public boolean renewLease(ClaimedMail mail, Duration lease) {
    return claimer.renewLease(mail, lease);
  }

  @Override
  public void release(List<ClaimedMail> mails) {
    claimer.release(mails);
  }

  // ---------------------------------------------------------------- completion (Completer, the
  // dialect's completion)

  @Override
  public boolean complete(ClaimedMail mail, Completion completion) {
    return completeAll(List.of(mail), List.of(completion)).get(0);
  }

  /** One transaction for the whole group: one commit instead of one per message. */
  @Override
  public List<Boolean> completeAll(List<ClaimedMail> mails, List<Completion> completions) {
    return completer.completeAll(mails, completions);
  }

  /**
   * Every recorded attempt has its row in the attempt table, keyed by message id and lease token.
   */
  @Override
  public boolean isCompleted(ClaimedMail mail) {
    return completer.isCompleted(mail);
  }

  // ---------------------------------------------------------------- inspection and housekeeping
  // (QueueInspection)

  @Override
  public QueueStats stats() {
    return inspection.stats();
  }

  @Override
  public List<ReplyCount> replyCounts(int limit) {
    return inspection.replyCounts(limit);
  }

  /**
   * The dispatch lag: how long the most overdue claimable message (due by the database clock and
   * not claimed: queued, deferred, or leased by a worker whose lease ran out) has waited past its
   * due time; zero when there is none. One indexed lookup per priority; meant for a gauge.
   *
   * @return the lag in milliseconds by the database clock; never negative
   */
  public Duration dispatchLag() {
    return inspection.dispatchLag();
  }

  @Override
  public Optional<MessageView> find(MessageId id) {
    return inspection.find(id);
  }

  @Override
  public int purgeFinished(Duration age, int batch) {
    return inspection.purgeFinished(age, batch);
  }

  // ---------------------------------------------------------------- notifications
  // (EnqueueNotifications)

  @Override
  public void onRemoteEnqueue(Runnable wakeUp) {
    if (dialect instanceof PostgreSqlDialect && notifications == null) {
      notifications = new EnqueueNotifications(dataSource, channel, wakeUp, queryTimeoutSeconds);
      notifications.start();
    }
  }

  // ---------------------------------------------------------------- node registry (NodeTable)

  /**
   * Upserts the node's row at the database clock, deletes rows silent for a day, and counts the
   * live ones.
   */
  @Override
  public int heartbeat(String nodeId, Duration liveness) {
    return nodes.heartbeat(nodeId, liveness);
  }

  @Override
  public void leave(String nodeId) {
    nodes.leave(nodeId);
  }

  @Override
  public void close() {
    EnqueueNotifications n = notifications;
    if (closed.compareAndSet(false, true)) {
      if (n != null) {
        n.close();
      }
      if (notifier != null) {
        notifier.close();
      }
    }
  }

  /** Debug view of the configuration; never includes credentials (the DataSource holds them). */
  @Override
  public String toString() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dialect", dialect.name());
    m.put("tablePrefix", dialect.prefix);
    m.put("createSchema", createSchema);
    m.put("schemaVersion", SCHEMA_VERSION);
    m.put("queryTimeoutSeconds", queryTimeoutSeconds);
    if (!dialect.statementTimeouts()) {
      m.put("statementTimeouts", "off for H2 in process (its LOCK_TIMEOUT bounds lock waits)");
    }
    m.put("retainBodies", retainBodies);
    m.put("bounceSuppression", bounceSuppressionText);
    return "JdbcMailStore" + m;
  }

  /** Builds a {@link JdbcMailStore}. Every setter says its default. Not thread-safe. */
  public static final class Builder {
    private final DataSource dataSource;
    private String tablePrefix = DEFAULT_TABLE_PREFIX;
    private boolean createSchema;
    private boolean notifyOnEnqueue = true;
    private Duration notifyInterval = EnqueueNotifier.DEFAULT_IN_TRANSACTION_INTERVAL;
    private int queryTimeoutSeconds = (int) DEFAULT_QUERY_TIMEOUT.toSeconds();
    private Set<String> suppressOnBounce = DEFAULT_SUPPRESS_ON_BOUNCE;
    private boolean bounceSuppression = DEFAULT_BOUNCE_SUPPRESSION;
    private Duration bounceSuppressionTtl = DEFAULT_BOUNCE_SUPPRESSION_TTL;
    private int preloadBodyBytes = DEFAULT_PRELOAD_BODY_BYTES;
    private boolean retainBodies;
    private final List<SendQuota> sendQuotas = new ArrayList<>();

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Prefix of every table name: lower-case letters, digits and '_', starting with a letter, at
     * most 20 characters. Defaults to {@value #DEFAULT_TABLE_PREFIX_TEXT}.
     *
     * @param prefix the prefix, e.g. {@code mail_} for tables {@code mail_message} and so on; null
     *     or any other form is rejected with an {@link IllegalArgumentException}
     * @return this builder
     */
    public Builder tablePrefix(String prefix) {
      if (prefix == null || !PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException(
            "tablePrefix must match " + PREFIX.pattern() + ": " + prefix);
      }
      this.tablePrefix = prefix;
      return this;
    }

    /**
     * Whether {@link #start()} creates missing tables from the bundled script, or upgrades tables
     * at an earlier schema version with the bundled upgrade script. Defaults to false.
     *
     * @param createSchema true to create or upgrade at start; false to only check the version (the
     *     tables then come from your own migrations, see {@link JdbcMailStore#schemaResource()})
     * @return this builder
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * PostgreSQL only: whether each enqueue's commit sends a NOTIFY so that every node's workers
     * wake at once. Defaults to true.
     *
     * <p>PostgreSQL serialises the commits of transactions that NOTIFY, so at most one enqueue
     * transaction per 20 ms carries the NOTIFY itself (delivered at its commit); the others hand
     * their transaction id to one thread of the store, which sends one NOTIFY, in a transaction of
     * its own, for all of them that committed since its last look (within about a millisecond of
     * the commit when it is waiting, at most 250 ms for transactions that stay open for long).
     * Concurrent producers then share WAL flushes as they would without the queue.
     *
     * @param notify false leaves other nodes to find new mail at their next poll; ignored on
     *     MariaDB and H2, which have no NOTIFY
     * @return this builder
     */
    public Builder notifyOnEnqueue(boolean notify) {
      this.notifyOnEnqueue = notify;
      return this;
    }

    /**
     * For tests: how often at most one enqueue transaction carries its own NOTIFY (the others are
     * announced by the store's notifier thread once they commit).
     */
    Builder notifyInterval(Duration interval) {
      this.notifyInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /**
     * Enhanced status codes of a 5xx bounce that put the recipient on the suppression list, in the
     * transaction that records the bounce; an empty set turns this off. Defaults to {@link
     * #DEFAULT_SUPPRESS_ON_BOUNCE} (5.1.1, 5.1.2, 5.1.3, 5.1.10). A bounce the transport marked as
     * a {@linkplain SenderBlock block against the sender} never suppresses its address, whatever
     * its code.
     *
     * @param enhancedCodes codes such as {@code 5.1.1}, matched exactly; copied, not null and
     *     without null elements
     * @return this builder
     */
    public Builder suppressOnBounce(Set<String> enhancedCodes) {
      this.suppressOnBounce = Set.copyOf(enhancedCodes);
      return this;
    }

    /**
     * Whether a hard bounce (see {@link #suppressOnBounce(Set)}) puts its address on the
     * suppression list; false turns automatic suppression off (entries added with {@code
     * admin().suppress} still apply). Defaults to {@value #DEFAULT_BOUNCE_SUPPRESSION}.
     *
     * @param enabled false keeps bounced addresses off the suppression list whatever {@link
     *     #suppressOnBounce(Set)} holds
     * @return this builder
     */
    public Builder bounceSuppression(boolean enabled) {
      this.bounceSuppression = enabled;
      return this;
    }

    /**
     * How long an address stays suppressed after a hard bounce; {@code null} keeps it for ever. A
     * later hard bounce starts the time again. Entries added with {@code admin().suppress} take
     * their own time to live. Defaults to {@link #DEFAULT_BOUNCE_SUPPRESSION_TTL} (90 days).
     *
     * @param ttl a positive duration, to the millisecond, or {@code null} for ever; zero or
     *     negative is rejected with an {@link IllegalArgumentException}
     * @return this builder
     */
    public Builder bounceSuppressionTtl(Duration ttl) {
      if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
        throw new IllegalArgumentException("bounceSuppressionTtl must be positive: " + ttl);
      }
      this.bounceSuppressionTtl = ttl;
      return this;
    }

    /**
     * Whether a delivered message keeps its body (the MIME bytes) until it is purged with the rest
     * of the message. By default it does not: the body is emptied in the transaction that records
     * the delivery, so that secrets in it (a password-reset link, a one-time code) do not outlive
     * their purpose in the database; the message's metadata, recipients and attempt history stay
     * for the retention period. Bounced and expired messages always keep their bodies until purged,
     * for inspection. Defaults to false.
     *
     * @param retain true keeps delivered bodies until the message is purged
     * @return this builder
     */
    public Builder retainBodies(boolean retain) {
      this.retainBodies = retain;
      return this;
    }

    /**
     * Bodies up to this many bytes are read in the claim's query (at most {@link
     * #PRELOAD_BUDGET_BYTES} per claim), saving a round trip per message; larger ones are read when
     * sent; 0 reads every body when sent. Defaults to {@link #DEFAULT_PRELOAD_BODY_BYTES}.
     *
     * @param bytes the largest body size read with the claim, in bytes; 0 or more, a negative value
     *     is rejected with an {@link IllegalArgumentException}
     * @return this builder
     */
    public Builder preloadBodyBytes(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("preloadBodyBytes must not be negative: " + bytes);
      }
      this.preloadBodyBytes = bytes;
      return this;
    }

    /**
     * Longest any one statement of this store may run, in whole seconds (rounded up); a statement
     * that runs longer fails, and the engine retries as after any database error. It bounds waits
     * inside the database (row locks); a connection whose peer has vanished is bounded by the
     * driver's socket timeout, which is set on the DataSource (PostgreSQL and MariaDB: {@code
     * socketTimeout}). Defaults to {@link #DEFAULT_QUERY_TIMEOUT}.
     *
     * <p>Not applied to an H2 database in the same JVM: H2 turns each statement's timeout into a
     * command of its own, which cost a third of an enqueue, and an in-process database's only wait
     * is for a lock, which H2's {@code LOCK_TIMEOUT} (2 s unless changed) bounds.
     *
     * @param timeout a positive duration, rounded up to whole seconds; null, zero or negative is
     *     rejected with an {@link IllegalArgumentException}
     * @return this builder
     */
    public Builder queryTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("queryTimeout must be positive: " + timeout);
      }
      long seconds = (timeout.toMillis() + 999) / 1000;
      this.queryTimeoutSeconds = (int) Math.min(Integer.MAX_VALUE, seconds);
      return this;
    }

    /**
     * Adds a quota against runaway senders, e.g. {@code SendQuota.perSender(500,
     * Duration.ofHours(1))}: a mail over it is stored held (state HOLD, nothing sent) in the
     * enqueue's own transaction and logged; release it with {@code admin().release(...)}. Quotas
     * are counted per message, so a store with quotas inserts one message per statement. None by
     * default.
     *
     * @param quota the quota to add; not null. Every quota added applies
     * @return this builder
     */
    public Builder sendQuota(SendQuota quota) {
      sendQuotas.add(Objects.requireNonNull(quota, "quota"));
      return this;
    }

    /** The default prefix, for Javadoc. */
    static final String DEFAULT_TABLE_PREFIX_TEXT = DEFAULT_TABLE_PREFIX;

    /**
     * Connects once to detect the database and builds the store; the schema is checked (or created)
     * later, by {@link JdbcMailStore#start()}.
     *
     * @return a new store, not yet started
     * @throws JdbcStoreException if no connection can be had to detect the database's kind, or the
     *     database is none of PostgreSQL, MariaDB/MySQL and H2
     */
    public JdbcMailStore build() {
      return new JdbcMailStore(this);
    }
  }
}
