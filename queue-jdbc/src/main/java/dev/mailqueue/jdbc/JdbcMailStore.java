package dev.mailqueue.jdbc;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.QueueStats;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.ReplyCount;
import dev.mailqueue.SendQuota;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.NodeRegistry;
import dev.mailqueue.spi.QueuedMail;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;
import org.jdbi.v3.core.statement.Update;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MailStore} in a relational database: PostgreSQL 12+, MariaDB 10.6+ / MySQL 8.0+ or
 * H2 2.2+, detected from the {@link DataSource}. What {@code enqueue} acknowledges and every
 * recorded outcome are committed transactions, as durable as the database makes a commit; an H2
 * file database must therefore have {@code ;WRITE_DELAY=0} in its URL (see {@link #start()}).
 *
 * <p>Messages are claimed with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so any number of
 * nodes can share one database; each claim sets a lease (the row is due again when the lease
 * expires) and increments a fencing token that every later write must present. The MIME body
 * lives in its own table, apart from the row that claims and completions rewrite. All times
 * are epoch milliseconds from the database clock.
 *
 * <p>The schema is the script {@code dev/mailqueue/jdbc/schema-<dialect>.sql} in this jar, run
 * by {@link #start()} when {@link Builder#createSchema(boolean)} is set (default off: run it with
 * your own migrations); a schema at version 1 is first upgraded by
 * {@code upgrade-<dialect>-1-to-2.sql} (see {@link #upgradeResource()}). Thread-safe.
 *
 * <p>It is also the {@link NodeRegistry} of the nodes sharing the database (table
 * {@code <prefix>node}), so that they can divide per-destination limits among themselves.
 */
public final class JdbcMailStore implements MailStore, NodeRegistry {
  /** Prefix of every table name: {@code mq_}. */
  public static final String DEFAULT_TABLE_PREFIX = "mq_";
  /** The schema version this code reads and writes. */
  public static final int SCHEMA_VERSION = 2;

  private static final Logger log = LoggerFactory.getLogger(JdbcMailStore.class);
  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,19}");

  /**
   * Longest any one statement may run: 30 seconds. The queue's own statements take milliseconds;
   * this bounds the waits that are not its own, such as a row lock another transaction holds
   * (PostgreSQL waits for those for ever by default).
   */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Longest one statement of a schema or upgrade script may run: 30 minutes (the upgrade to
   * version 2 measured 12 s per 1,000,000 messages on PostgreSQL).
   */
  static final int SCRIPT_STATEMENT_TIMEOUT_SECONDS = 30 * 60;

  /** Bodies up to this size are read with the claim; larger ones when sent: 64 KiB. */
  public static final int DEFAULT_PRELOAD_BODY_BYTES = 64 * 1024;

  /** At most this many body bytes are read with one claim, so a claim's memory stays small: 4 MiB. */
  public static final int PRELOAD_BUDGET_BYTES = 4 * 1024 * 1024;

  /**
   * Enhanced codes of a hard bounce that put the recipient on the suppression list: 5.1.1 (no
   * such mailbox), 5.1.2 (no such domain), 5.1.3 (bad address syntax), 5.1.10 (null MX).
   */
  public static final Set<String> DEFAULT_SUPPRESS_ON_BOUNCE = Set.of("5.1.1", "5.1.2", "5.1.3", "5.1.10");

  /** Nodes silent for this long are deleted from the node table by the next heartbeat. */
  static final Duration FORGET_NODES_AFTER = Duration.ofDays(1);

  private final DataSource dataSource;
  private final Jdbi jdbi;
  private final Dialect dialect;
  private final boolean createSchema;
  private final boolean notifyOnEnqueue;
  private final String channel;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile PostgresListener listener;
  private final Set<String> suppressOnBounce;
  private final Duration bounceSuppressionTtl;
  private final int preloadBodyBytes;
  private final boolean retainBodies;
  private final int queryTimeoutSeconds;
  /** Whether statements carry {@link #queryTimeoutSeconds} (all but in-process H2). */
  private final boolean statementTimeouts;
  /** Whether the DataSource's connections start in READ COMMITTED; {@code null} until first seen. */
  private volatile Boolean readCommittedByDefault;
  private volatile List<SendQuota> sendQuotas = List.of();
  private final JdbcMailAdmin admin;

  private JdbcMailStore(Builder b) {
    this.dataSource = b.dataSource;
    this.createSchema = b.createSchema;
    this.jdbi = Jdbi.create(dataSource);
    jdbi.setTemplateEngine(TemplateEngine.NOP);
    this.queryTimeoutSeconds = b.queryTimeoutSeconds;
    String product;
    String url;
    try (Connection c = dataSource.getConnection()) {
      product = c.getMetaData().getDatabaseProductName();
      url = c.getMetaData().getURL();
    } catch (SQLException e) {
      throw new JdbcStoreException("cannot connect to the database to detect its kind: " + e.getMessage(), e);
    }
    this.dialect = Dialect.detect(product, b.tablePrefix);
    // H2 runs every Statement.setQueryTimeout as a SET command on the session: in process, that
    // was a third of an enqueue's time. There the only wait is for a lock, and H2's own lock
    // timeout (LOCK_TIMEOUT) bounds it; over TCP the query timeout stays.
    this.statementTimeouts = !(dialect instanceof Dialect.H2Dialect && isInProcessH2(url));
    if (statementTimeouts) {
      jdbi.getConfig(SqlStatements.class).setQueryTimeout(queryTimeoutSeconds);
    }
    this.notifyOnEnqueue = b.notifyOnEnqueue && dialect instanceof Dialect.PostgresDialect;
    this.channel = b.tablePrefix + "enqueued";
    this.suppressOnBounce = Set.copyOf(b.suppressOnBounce);
    this.bounceSuppressionTtl = b.bounceSuppressionTtl;
    this.preloadBodyBytes = b.preloadBodyBytes;
    this.retainBodies = b.retainBodies;
    this.admin = new JdbcMailAdmin(this, jdbi, dialect);
  }

  /** The administrative interface over this store: usable without a running queue (e.g. a CLI). */
  @Override
  public MailQueueAdmin admin() {
    return admin;
  }

  @Override
  public void sendQuotas(List<SendQuota> quotas) {
    this.sendQuotas = List.copyOf(quotas);
  }

  /** A builder for a store on {@code dataSource} (the application's own pool is the usual choice). */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The detected dialect's name: {@code postgresql}, {@code mariadb} or {@code h2}. */
  public String dialectName() {
    return dialect.name();
  }

  /** The classpath resource of the schema script for this store's database. */
  public String schemaResource() {
    return "dev/mailqueue/jdbc/schema-" + dialect.name() + ".sql";
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
   * crash or a power loss can still lose the last commits). The store does not change the
   * setting itself: H2 applies the URL's value, or the default, every time it opens the database
   * (and it closes the database when its last connection closes), so a {@code SET WRITE_DELAY 0}
   * would not last. An in-memory H2 database ({@code mem:}) is not checked: nothing in it
   * outlives the JVM.
   *
   * @throws JdbcStoreException if the database cannot keep what the queue acknowledges, or its
   *     schema is missing or at another version
   */
  @Override
  public void start() {
    requireDurableCommits();
    if (createSchema) {
      createSchema();
    }
    checkSchemaVersion();
    warnIfAutovacuumIsOff();
  }

  /** See {@link #start()}: an H2 file database must write each commit before it returns. */
  private void requireDurableCommits() {
    if (!(dialect instanceof Dialect.H2Dialect)) {
      return;
    }
    String path;
    String url;
    int writeDelay = 0;
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      url = c.getMetaData().getURL();
      try (ResultSet rs = s.executeQuery("SELECT DATABASE_PATH()")) {
        path = rs.next() ? rs.getString(1) : null;
      }
      if (path == null) {
        return; // in memory
      }
      // Two rows when SET WRITE_DELAY was ever run: the stored setting and the value in effect.
      try (ResultSet rs = s.executeQuery(
          "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {
        while (rs.next()) {
          writeDelay = Math.max(writeDelay, Integer.parseInt(rs.getString(1).strip()));
        }
      }
    } catch (SQLException | NumberFormatException e) {
      throw new JdbcStoreException("cannot read H2's WRITE_DELAY setting to check that commits are written "
          + "before they return: " + e.getMessage(), e);
    }
    if (writeDelay > 0) {
      throw new JdbcStoreException("H2 database " + path + " keeps commits in memory for up to " + writeDelay
          + " ms before writing them (WRITE_DELAY=" + writeDelay + "): mail that enqueue acknowledged could be lost, "
          + "and mail already delivered sent again, if the process died. Add ;WRITE_DELAY=0 to the JDBC URL, e.g. "
          + url + ";WRITE_DELAY=0");
    }
  }

  /**
   * Every claim and completion rewrites a message row, so the queue tables need autovacuum: without
   * it dead rows pile up and the planner, with no statistics on a freshly filled table, scans the
   * recipient table whole on every claim (measured: 5-8 ms per claim at 10,000 queued).
   */
  private void warnIfAutovacuumIsOff() {
    if (!(dialect instanceof Dialect.PostgresDialect)) {
      return;
    }
    try {
      String setting = jdbi.withHandle(h -> h.createQuery("SELECT current_setting('autovacuum')")
          .mapTo(String.class).one());
      if ("off".equalsIgnoreCase(setting)) {
        log.warn("PostgreSQL runs with autovacuum off: the queue tables' dead rows and planner statistics are "
            + "never maintained, and claims slow down as the queue grows; turn it on, or VACUUM ANALYZE "
            + "the {}* tables regularly", dialect.prefix);
      }
    } catch (RuntimeException e) {
      log.debug("could not read the autovacuum setting", e);
    }
  }

  /** The classpath resource of the script that upgrades this store's database from schema version 1. */
  public String upgradeResource() {
    return "dev/mailqueue/jdbc/upgrade-" + dialect.name() + "-1-to-2.sql";
  }

  /**
   * Upgrades tables at schema version 1, then creates whatever is missing. The create script runs
   * statement by statement in auto-commit: in one transaction, PostgreSQL would hold the locks of
   * its CREATE INDEX IF NOT EXISTS statements (they block writes even when the index exists) on
   * the live queue tables until the end, at every start of every node.
   */
  private void createSchema() {
    Integer before = schemaVersion();
    if (Integer.valueOf(1).equals(before)) {
      log.info("upgrading the mailqueue schema ({}*) from version 1 to {} with {}", dialect.prefix, SCHEMA_VERSION,
          upgradeResource());
      runScript(upgradeResource(), "upgrading the mailqueue schema", true);
    }
    runScript(schemaResource(), "creating the mailqueue schema", false);
    if (before == null) {
      log.info("created the mailqueue tables {}* (schema version {}) with {}", dialect.prefix, SCHEMA_VERSION,
          schemaResource());
    }
  }

  /**
   * MariaDB/MySQL errors that mean an upgrade step was done by an earlier, interrupted run: duplicate
   * column (1060), duplicate key name (1061), no such column or key to drop (1091). MySQL has no
   * ADD COLUMN IF NOT EXISTS, so the upgrade script resumes by skipping these.
   */
  private static final Set<Integer> MARIADB_STEP_ALREADY_DONE = Set.of(1060, 1061, 1091);

  /**
   * Runs a script's statements, in one transaction when {@code inOneTransaction} (atomic where
   * DDL is transactional, as on PostgreSQL; MariaDB and H2 commit each DDL statement anyway).
   */
  private void runScript(String resource, String what, boolean inOneTransaction) {
    String script;
    try (InputStream in = JdbcMailStore.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new JdbcStoreException("script missing from the jar: " + resource);
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new JdbcStoreException("cannot read " + resource, e);
    }
    script = script.replace(DEFAULT_TABLE_PREFIX, dialect.prefix);
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.setQueryTimeout(SCRIPT_STATEMENT_TIMEOUT_SECONDS);
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(!inOneTransaction);
      try {
        for (String statement : script.split(";\\s*\\n")) {
          String sql = stripComments(statement);
          if (!sql.isBlank()) {
            execute(s, sql);
          }
        }
        if (inOneTransaction) {
          c.commit();
        }
      } catch (SQLException e) {
        if (inOneTransaction) {
          c.rollback();
        }
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new JdbcStoreException(what + " failed (" + resource + "): " + e.getMessage(), e);
    }
  }

  private void execute(Statement s, String sql) throws SQLException {
    try {
      s.execute(sql);
    } catch (SQLException e) {
      if (!(dialect instanceof Dialect.MariaDbDialect && MARIADB_STEP_ALREADY_DONE.contains(e.getErrorCode()))) {
        throw e;
      }
      log.info("schema step already done, skipped ({}): {}", e.getMessage(), sql.lines().findFirst().orElse(sql));
    }
  }

  /** The schema version in the database, or null when there is no version table (or no row). */
  private Integer schemaVersion() {
    try {
      return readSchemaVersion();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The schema version in the database (null without a row); throws when there is no version table. */
  private Integer readSchemaVersion() {
    return jdbi.withHandle(h -> h.createQuery(dialect.sql("SELECT MAX(version) FROM {p}schema_version"))
        .mapTo(Integer.class).one());
  }

  private static String stripComments(String statement) {
    StringBuilder sb = new StringBuilder();
    for (String line : statement.split("\n")) {
      int dash = line.indexOf("--");
      sb.append(dash >= 0 ? line.substring(0, dash) : line).append('\n');
    }
    return sb.toString().strip();
  }

  private void checkSchemaVersion() {
    Integer version;
    try {
      version = readSchemaVersion();
    } catch (RuntimeException e) {
      throw new JdbcStoreException("mailqueue tables not found (" + dialect.prefix + "schema_version): run the script "
          + schemaResource() + " from the mailqueue-jdbc jar, or enable createSchema", e);
    }
    if (version != null && version == 1) {
      throw new JdbcStoreException("mailqueue schema version 1 found, " + SCHEMA_VERSION + " expected: with every "
          + "node stopped, run the script " + upgradeResource() + " from the mailqueue-jdbc jar, or enable createSchema");
    }
    if (version == null || version != SCHEMA_VERSION) {
      throw new JdbcStoreException("mailqueue schema version " + version + " found, " + SCHEMA_VERSION
          + " expected: run the matching script " + schemaResource());
    }
  }

  // ---------------------------------------------------------------- enqueue

  @Override
  public MessageId insert(Connection connection, QueuedMail mail) {
    Objects.requireNonNull(connection, "connection");
    try {
      return insertOn(connection, mail);
    } catch (SQLException e) {
      throw new JdbcStoreException("enqueueing message " + mail.id() + " failed: " + e.getMessage(), e);
    }
  }

  /** Inserts on a Jdbi handle's connection, in the handle's transaction. */
  public MessageId insert(Handle handle, QueuedMail mail) {
    return insert(handle.getConnection(), mail);
  }

  @Override
  public MessageId insert(QueuedMail mail) {
    if (dialect.insertsInOneStatement() && sendQuotas.isEmpty()) {
      // One statement is atomic on its own: in auto-commit it needs no COMMIT round trip.
      try (Connection c = dataSource.getConnection()) {
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        return insertOn(c, mail);
      } catch (SQLException e) {
        throw new JdbcStoreException("enqueueing message " + mail.id() + " failed: " + e.getMessage(), e);
      }
    }
    return insertAll(List.of(mail)).get(0);
  }

  @Override
  public List<MessageId> insertAll(Connection connection, List<QueuedMail> mails) {
    Objects.requireNonNull(connection, "connection");
    try {
      return insertAllOn(connection, mails);
    } catch (SQLException e) {
      throw new JdbcStoreException("enqueueing " + mails.size() + " messages failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<MessageId> insertAll(List<QueuedMail> mails) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        List<MessageId> ids = insertAllOn(c, mails);
        c.commit();
        return ids;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new JdbcStoreException("enqueueing " + mails.size() + " messages failed: " + e.getMessage(), e);
    }
  }

  private List<MessageId> insertAllOn(Connection c, List<QueuedMail> mails) throws SQLException {
    if (mails.size() > 1 && batchable(mails)) {
      return insertBatch(c, mails);
    }
    List<MessageId> ids = new ArrayList<>(mails.size());
    for (QueuedMail m : mails) {
      ids.add(insertOn(c, m));
    }
    return ids;
  }

  /**
   * Whether {@link #insertBatch} may take these: no idempotency keys (a duplicate must return the
   * existing id, which needs a statement per message) and no send quotas (counted per message).
   */
  private boolean batchable(List<QueuedMail> mails) {
    if (!dialect.batchesInserts() || !sendQuotas.isEmpty()) {
      return false;
    }
    for (QueuedMail m : mails) {
      if (m.idempotencyKey() != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Inserts many messages with one JDBC batch per table: one suppression lookup per chunk of
   * recipients, then the message, body and recipient rows, each table's rows in one round trip,
   * instead of a round trip per message. The ids are fresh, so no row can conflict.
   */
  private List<MessageId> insertBatch(Connection c, List<QueuedMail> mails) throws SQLException {
    List<MailAddress> everyone = new ArrayList<>();
    for (QueuedMail m : mails) {
      everyone.addAll(m.recipients());
    }
    Set<String> suppressed = new java.util.HashSet<>();
    for (int from = 0; from < everyone.size(); from += SUPPRESSION_LOOKUP_CHUNK) {
      suppressed.addAll(suppressedAmong(c, everyone.subList(from,
          Math.min(everyone.size(), from + SUPPRESSION_LOOKUP_CHUNK))));
    }
    try (PreparedStatement messages = prepare(c, dialect.insertMessage());
         PreparedStatement bodies = prepare(c, dialect.insertBody());
         PreparedStatement recipients = prepare(c, dialect.insertRecipient())) {
      for (QueuedMail m : mails) {
        bindMessage(messages, m, 1);
        messages.addBatch();
        Object id = dialect.id(m.id().value());
        bindBody(bodies, m);
        bodies.addBatch();
        addRecipients(recipients, id, m, suppressed);
      }
      messages.executeBatch();
      bodies.executeBatch();
      recipients.executeBatch();
    }
    List<MessageId> ids = new ArrayList<>(mails.size());
    for (QueuedMail m : mails) {
      if (!suppressed.isEmpty() && m.recipients().stream().allMatch(a -> suppressed.contains(suppressionKey(a.address())))) {
        finishSuppressed(c, m);
      }
      ids.add(m.id());
    }
    if (notifyOnEnqueue) {
      try (PreparedStatement ps = prepare(c, "SELECT pg_notify(?, '')")) {
        ps.setString(1, channel);
        ps.execute();
      }
    }
    return ids;
  }

  /** Adds a {@link Dialect#insertRecipient()} row per recipient of {@code m} to the batch: PENDING, or SUPPRESSED. */
  private static void addRecipients(PreparedStatement ps, Object id, QueuedMail m, Set<String> suppressed)
      throws SQLException {
    for (int r = 0; r < m.recipients().size(); r++) {
      MailAddress a = m.recipients().get(r);
      ps.setObject(1, id);
      ps.setInt(2, r);
      ps.setString(3, a.address());
      ps.setString(4, a.domain());
      ps.setString(5, (suppressed.contains(suppressionKey(a.address())) ? RecipientStatus.SUPPRESSED
          : RecipientStatus.PENDING).name());
      ps.addBatch();
    }
  }

  /** Recipients looked up on the suppression list in one statement (bounded: drivers cap parameters). */
  private static final int SUPPRESSION_LOOKUP_CHUNK = 500;

  private MessageId insertOn(Connection c, QueuedMail m) throws SQLException {
    if (dialect instanceof Dialect.PostgresDialect pg) {
      int n = m.recipients().size();
      try (PreparedStatement ps = prepare(c, pg.insertAllInOne(notifyOnEnqueue, n))) {
        int i;
        if (n <= Dialect.PostgresDialect.SCALAR_RECIPIENTS) {
          for (int r = 0; r < n; r++) {
            ps.setString(1 + r, m.recipients().get(r).address());
            ps.setString(1 + n + r, m.recipients().get(r).domain());
          }
          i = bindMessage(ps, m, 1 + 2 * n);
        } else {
          String[] addresses = new String[n];
          String[] domains = new String[n];
          for (int r = 0; r < n; r++) {
            addresses[r] = m.recipients().get(r).address();
            domains[r] = m.recipients().get(r).domain();
          }
          ps.setArray(1, c.createArrayOf("varchar", addresses));
          ps.setArray(2, c.createArrayOf("varchar", domains));
          i = bindMessage(ps, m, 3);
        }
        ps.setBytes(i++, m.mime());
        if (notifyOnEnqueue) {
          ps.setString(i, channel);
        }
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            if (MessageState.QUEUED.name().equals(rs.getString(2))) {
              applySendQuotas(c, m);
            }
            return m.id();
          }
        }
      }
      return existing(c, m);
    }

    Set<String> suppressed = suppressedAmong(c, m.recipients());
    boolean inserted;
    try (PreparedStatement ps = prepare(c, dialect.insertMessage())) {
      bindMessage(ps, m, 1);
      inserted = ps.executeUpdate() == 1;
    } catch (SQLException e) {
      if (!(dialect.duplicateIsError() && isDuplicateKey(e) && m.idempotencyKey() != null)) {
        throw e;
      }
      inserted = false;
    }
    if (!inserted) {
      return existing(c, m);
    }
    try (PreparedStatement ps = prepare(c, dialect.insertBody())) {
      bindBody(ps, m);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = prepare(c, dialect.insertRecipient())) {
      addRecipients(ps, dialect.id(m.id().value()), m, suppressed);
      ps.executeBatch();
    }
    if (suppressed.size() == m.recipients().size()) {
      finishSuppressed(c, m);
    } else {
      applySendQuotas(c, m);
    }
    return m.id();
  }

  // ---------------------------------------------------------------- suppression list and quotas at enqueue

  /** The suppression list key of an address: lower case. */
  static String suppressionKey(String address) {
    return address.toLowerCase(java.util.Locale.ROOT);
  }

  /** Which of these recipients are on the suppression list: one primary-key lookup for all. */
  private Set<String> suppressedAmong(Connection c, List<MailAddress> recipients) throws SQLException {
    List<String> keys = new ArrayList<>(recipients.size());
    for (MailAddress a : recipients) {
      keys.add(suppressionKey(a.address()));
    }
    Set<String> found = new java.util.HashSet<>();
    try (PreparedStatement ps = prepare(c, suppressionLookupSql(keys.size()))) {
      for (int i = 0; i < keys.size(); i++) {
        ps.setString(i + 1, keys.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    return found;
  }

  private String suppressionLookupSql(int addresses) {
    return dialect.sql("SELECT address FROM {p}suppression WHERE address IN (" + placeholders(addresses)
        + ") AND (expires_at IS NULL OR expires_at > {now})");
  }

  /** Every recipient is suppressed: nothing to send, the message is finished (DELIVERED, no listener call). */
  private void finishSuppressed(Connection c, QueuedMail m) throws SQLException {
    try (PreparedStatement ps = prepare(c, dialect.sql("UPDATE {p}message SET state = 'DELIVERED', "
        + "due_at = NULL, finished_at = {now}, updated_at = {now} WHERE id = ?"))) {
      ps.setObject(1, dialect.id(m.id().value()));
      ps.executeUpdate();
    }
  }

  /**
   * Holds the just-inserted message when a send quota is exceeded: counts matching mail
   * enqueued within the quota's window (this one included) in the caller's transaction.
   */
  private void applySendQuotas(Connection c, QueuedMail m) throws SQLException {
    List<SendQuota> quotas = sendQuotas;
    for (SendQuota q : quotas) {
      String key = q.keyOf(m.envelopeFrom().address(), m.tag());
      if (key == null) {
        continue;
      }
      String column = q.scope() == SendQuota.Scope.SENDER ? "envelope_from" : "tag";
      long recent;
      try (PreparedStatement ps = prepare(c, dialect.sql("SELECT COUNT(*) FROM {p}body WHERE " + column
          + " = ? AND created_at > {now} - ?"))) {
        ps.setString(1, key);
        ps.setLong(2, q.window().toMillis());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          recent = rs.getLong(1);
        }
      }
      if (recent > q.limit()) {
        try (PreparedStatement ps = prepare(c, dialect.sql("UPDATE {p}message SET state = 'HOLD', "
            + "due_at = NULL, updated_at = {now} WHERE id = ? AND finished_at IS NULL"))) {
          ps.setObject(1, dialect.id(m.id().value()));
          ps.executeUpdate();
        }
        log.warn("message {} held: {} {} enqueued {} mails within {} (quota {}); release it with admin().release",
            m.id(), q.scope().name().toLowerCase(java.util.Locale.ROOT), key, recent, q.window(), q.limit());
        return;
      }
    }
  }

  private int bindMessage(PreparedStatement ps, QueuedMail m, int first) throws SQLException {
    int i = first;
    ps.setObject(i++, dialect.id(m.id().value()));
    ps.setInt(i++, m.priority().rank());
    if (m.notBefore() == null) {
      ps.setNull(i++, Types.BIGINT);
    } else {
      ps.setLong(i++, m.notBefore().toEpochMilli());
    }
    ps.setLong(i++, m.lifetime().toMillis());
    ps.setString(i++, m.tag());
    ps.setString(i++, m.envelopeFrom().address());
    ps.setString(i++, m.messageIdHeader());
    ps.setString(i++, m.idempotencyKey());
    ps.setInt(i++, m.mime().length);
    return i;
  }

  /** A statement on {@code c} bounded by the query timeout, as every Jdbi statement of this store is. */
  private PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    if (statementTimeouts) {
      ps.setQueryTimeout(queryTimeoutSeconds);
    }
    return ps;
  }

  /** An H2 URL of a database in this JVM: not a server ({@code tcp:}, {@code ssl:}) nor mixed mode. */
  static boolean isInProcessH2(String url) {
    String u = url == null ? "" : url.toLowerCase(java.util.Locale.ROOT);
    return u.startsWith("jdbc:h2:") && !u.startsWith("jdbc:h2:tcp:") && !u.startsWith("jdbc:h2:ssl:")
        && !u.contains(";auto_server=true");
  }

  private void bindBody(PreparedStatement ps, QueuedMail m) throws SQLException {
    ps.setObject(1, dialect.id(m.id().value()));
    ps.setBytes(2, m.mime());
    ps.setString(3, m.envelopeFrom().address());
    ps.setString(4, m.tag());
  }

  private MessageId existing(Connection c, QueuedMail m) throws SQLException {
    if (m.idempotencyKey() == null) {
      throw new JdbcStoreException("message " + m.id() + " was not inserted and has no idempotency key");
    }
    try (PreparedStatement ps = prepare(c, dialect.selectByIdempotencyKey())) {
      ps.setString(1, m.idempotencyKey());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return new MessageId(UUID.fromString(rs.getString(1)));
        }
      }
    }
    throw new JdbcStoreException("idempotency key '" + m.idempotencyKey() + "' conflicts with a message this "
        + "transaction cannot see yet (isolation level above READ COMMITTED?); retry the transaction");
  }

  private static boolean isDuplicateKey(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("23");
  }

  // ---------------------------------------------------------------- claim and complete

  @Override
  public List<ClaimedMail> claim(String owner, int limit, Duration lease) {
    if (limit <= 0) {
      return List.of();
    }
    return writeTransaction(h -> {
      List<Row> rows = dialect.claimsInOneStatement() ? claimReturning(h, owner, limit, lease)
          : claimSelectThenUpdate(h, owner, limit, lease);
      if (rows.isEmpty()) {
        return List.of();
      }
      Map<UUID, List<RecipientRow>> recipients = recipients(h, rows);
      Map<UUID, byte[]> bodies = smallBodies(h, rows);
      List<ClaimedMail> claimed = new ArrayList<>(rows.size());
      for (Row r : rows) {
        List<PendingRecipient> pending = new ArrayList<>();
        boolean bounced = false;
        for (RecipientRow rr : recipients.getOrDefault(r.id, List.of())) {
          if (rr.status == RecipientStatus.PENDING || rr.status == RecipientStatus.DEFERRED) {
            pending.add(new PendingRecipient(rr.idx, MailAddress.of(rr.address), rr.reply));
          } else if (rr.status == RecipientStatus.BOUNCED) {
            bounced = true;
          }
        }
        claimed.add(new ClaimedMail(new MessageId(r.id), r.leaseToken, r.attempts, Instant.ofEpochMilli(r.createdAt),
            Instant.ofEpochMilli(r.expiresAt), Instant.ofEpochMilli(r.claimedAt), Priority.ofRank(r.priority), r.tag,
            MailAddress.of(r.envelopeFrom), r.messageIdHeader, pending, bounced, bodies.get(r.id)));
      }
      return claimed;
    });
  }

  private record Row(UUID id, long leaseToken, int attempts, long createdAt, long expiresAt, long claimedAt,
                     int priority, String tag, String envelopeFrom, String messageIdHeader, int sizeBytes) {}

  private record RecipientRow(int idx, String address, RecipientStatus status, SmtpReply reply) {}

  private List<Row> claimReturning(Handle h, String owner, int limit, Duration lease) {
    return h.createQuery(dialect.claimReturning())
        .bind(0, limit).bind(1, owner).bind(2, lease.toMillis())
        .map((rs, ctx) -> row(rs, rs.getLong("claimed_at")))
        .list();
  }

  private List<Row> claimSelectThenUpdate(Handle h, String owner, int limit, Duration lease) {
    long now = now(h);
    List<Object> ids = h.createQuery(dialect.selectDueForUpdate()).bind(0, now).bind(1, limit)
        .map((rs, ctx) -> dialect.id(UUID.fromString(rs.getString(1)))).list();
    if (ids.isEmpty()) {
      return List.of();
    }
    Update update = h.createUpdate(dialect.sql("UPDATE {p}message SET state = 'SENDING', lease_token = lease_token + 1, "
        + "lease_owner = ?, due_at = ?, updated_at = ? WHERE id IN (" + placeholders(ids.size()) + ")"));
    update.bind(0, owner).bind(1, now + lease.toMillis()).bind(2, now);
    bindAll(update, 3, ids);
    update.execute();
    Query q = h.createQuery(dialect.sql("SELECT id, lease_token, attempts, created_at, expires_at, priority, tag, "
        + "envelope_from, message_id_header, size_bytes FROM {p}message WHERE id IN (" + placeholders(ids.size()) + ") "
        + "ORDER BY priority, created_at"));
    bindAll(q, 0, ids);
    return q.map((rs, ctx) -> row(rs, now)).list();
  }

  private static Row row(ResultSet rs, long claimedAt) throws SQLException {
    return new Row(UUID.fromString(rs.getString("id")), rs.getLong("lease_token"), rs.getInt("attempts"),
        rs.getLong("created_at"), rs.getLong("expires_at"), claimedAt, rs.getInt("priority"), rs.getString("tag"),
        rs.getString("envelope_from"), rs.getString("message_id_header"), rs.getInt("size_bytes"));
  }

  /**
   * Reads the bodies of the claimed messages up to {@link #preloadBodyBytes} each and
   * {@link #PRELOAD_BUDGET_BYTES} in all, in one query: one round trip per claim instead of one
   * per message. Larger bodies are read when sent.
   */
  private Map<UUID, byte[]> smallBodies(Handle h, List<Row> rows) {
    List<UUID> ids = new ArrayList<>(rows.size());
    long budget = PRELOAD_BUDGET_BYTES;
    for (Row r : rows) {
      if (r.sizeBytes <= preloadBodyBytes && r.sizeBytes <= budget) {
        ids.add(r.id);
        budget -= r.sizeBytes;
      }
    }
    if (ids.isEmpty()) {
      return Map.of();
    }
    Query q = h.createQuery(dialect.sql("SELECT message_id, mime FROM {p}body WHERE "
        + dialect.idIn("message_id", ids.size())));
    dialect.bindIds(q, 0, ids);
    Map<UUID, byte[]> result = new HashMap<>();
    q.map((rs, ctx) -> result.put(UUID.fromString(rs.getString(1)), rs.getBytes(2))).list();
    return result;
  }

  private Map<UUID, List<RecipientRow>> recipients(Handle h, List<Row> rows) {
    List<UUID> ids = new ArrayList<>(rows.size());
    for (Row r : rows) {
      ids.add(r.id);
    }
    Query q = h.createQuery(dialect.sql("SELECT message_id, idx, address, status, reply_code, reply_enhanced, reply_text "
        + "FROM {p}recipient WHERE " + dialect.idIn("message_id", ids.size()) + " ORDER BY message_id, idx"));
    dialect.bindIds(q, 0, ids);
    Map<UUID, List<RecipientRow>> result = new HashMap<>();
    q.map((rs, ctx) -> {
      result.computeIfAbsent(UUID.fromString(rs.getString(1)), k -> new ArrayList<>())
          .add(new RecipientRow(rs.getInt(2), rs.getString(3), RecipientStatus.valueOf(rs.getString(4)), reply(rs, 5)));
      return Boolean.TRUE;
    }).list();
    return result;
  }

  static SmtpReply reply(ResultSet rs, int firstColumn) throws SQLException {
    int code = rs.getInt(firstColumn);
    if (rs.wasNull()) {
      return null;
    }
    return new SmtpReply(code, rs.getString(firstColumn + 1), rs.getString(firstColumn + 2));
  }

  @Override
  public byte[] loadMime(MessageId id) {
    return jdbi.withHandle(h -> h.createQuery(dialect.sql("SELECT mime FROM {p}body WHERE message_id = ?"))
        .bind(0, dialect.id(id.value()))
        .map((rs, ctx) -> rs.getBytes(1))
        .findOne()
        .orElseThrow(() -> new JdbcStoreException("body of message " + id + " is missing")));
  }

  @Override
  public boolean renewLease(ClaimedMail mail, Duration lease) {
    return jdbi.withHandle(h -> h.createUpdate(dialect.sql(
            "UPDATE {p}message SET due_at = {now} + ? WHERE id = ? AND lease_token = ? AND state = 'SENDING'"))
        .bind(0, lease.toMillis()).bind(1, dialect.id(mail.id().value())).bind(2, mail.leaseToken())
        .execute() == 1);
  }

  @Override
  public boolean complete(ClaimedMail mail, Completion completion) {
    return completeAll(List.of(mail), List.of(completion)).get(0);
  }

  /** One transaction for the whole group: one commit instead of one per message. */
  @Override
  public List<Boolean> completeAll(List<ClaimedMail> mails, List<Completion> completions) {
    if (mails.size() != completions.size()) {
      throw new IllegalArgumentException("one completion per mail");
    }
    if (mails.isEmpty()) {
      return List.of();
    }
    return writeTransaction(h -> {
      List<Boolean> recorded = dialect instanceof Dialect.PostgresDialect pg
          ? recordWithArrays(h.getConnection(), pg, mails, completions)
          : recordInBatches(h, mails, completions);
      suppressHardBounces(h, mails, completions, recorded);
      if (!retainBodies) {
        eraseDeliveredBodies(h, mails, completions, recorded);
      }
      return recorded;
    });
  }

  /** Message rows, then recipients and attempt history of the recorded ones, as JDBC batches. */
  private List<Boolean> recordInBatches(Handle h, List<ClaimedMail> mails, List<Completion> completions) {
    PreparedBatch messages = h.prepareBatch(dialect.sql("UPDATE {p}message SET state = ?, due_at = {now} + ?, "
        + "attempts = attempts + ?, uncertain_attempts = uncertain_attempts + ?, lease_owner = NULL, "
        + "updated_at = {now}, finished_at = {now} + ?, last_code = ?, last_enhanced = ?, last_text = ? "
        + "WHERE id = ? AND lease_token = ? AND state = 'SENDING'"));
    for (int i = 0; i < mails.size(); i++) {
      Completion c = completions.get(i);
      SmtpReply summary = c.summary();
      messages.bind(0, c.newState().name())
          .bindByType(1, c.retryDelay() == null ? null : c.retryDelay().toMillis(), Long.class)
          .bind(2, c.countsAsAttempt() ? 1 : 0)
          .bind(3, c.uncertain() ? 1 : 0)
          .bindByType(4, c.newState().isTerminal() ? 0L : null, Long.class)
          .bindByType(5, summary == null ? null : summary.code(), Integer.class)
          .bindByType(6, summary == null ? null : summary.enhancedStatus(), String.class)
          .bindByType(7, summary == null ? null : summary.text(), String.class)
          .bind(8, dialect.id(mails.get(i).id().value()))
          .bind(9, mails.get(i).leaseToken())
          .add();
    }
    int[] counts = messages.execute();
    List<Boolean> recorded = new ArrayList<>(mails.size());
    for (int i = 0; i < mails.size(); i++) {
      if (counts[i] < 0) {
        throw new JdbcStoreException("the driver reported no update count for a fenced completion ("
            + counts[i] + "); disable bulk statements on this connection (MariaDB: useBulkStmts=false)");
      }
      recorded.add(counts[i] == 1);
    }

    PreparedBatch recipients = h.prepareBatch(dialect.sql("UPDATE {p}recipient SET status = ?, reply_code = ?, "
        + "reply_enhanced = ?, reply_text = ?, updated_at = {now} WHERE message_id = ? AND idx = ?"));
    PreparedBatch attempts = h.prepareBatch(dialect.sql("INSERT INTO {p}attempt (message_id, lease_token, "
        + "finished_at, duration_ms, remote_host, outcome, counted, uncertain, reply_code, reply_enhanced, "
        + "reply_text) VALUES (?, ?, {now}, ?, ?, ?, ?, ?, ?, ?, ?)"));
    boolean anyRecipient = false;
    boolean anyAttempt = false;
    for (int i = 0; i < mails.size(); i++) {
      if (!recorded.get(i)) {
        continue;
      }
      Object id = dialect.id(mails.get(i).id().value());
      Completion c = completions.get(i);
      for (Completion.RecipientUpdate r : c.recipients()) {
        recipients.bind(0, r.status().name())
            .bindByType(1, r.reply() == null ? null : r.reply().code(), Integer.class)
            .bindByType(2, r.reply() == null ? null : r.reply().enhancedStatus(), String.class)
            .bindByType(3, r.reply() == null ? null : r.reply().text(), String.class)
            .bind(4, id)
            .bind(5, r.index())
            .add();
        anyRecipient = true;
      }
      SmtpReply summary = c.summary();
      attempts.bind(0, id)
          .bind(1, mails.get(i).leaseToken())
          .bind(2, (int) Math.min(Integer.MAX_VALUE, c.duration().toMillis()))
          .bindByType(3, c.remoteHost(), String.class)
          .bind(4, c.newState().name())
          .bind(5, c.countsAsAttempt())
          .bind(6, c.uncertain())
          .bindByType(7, summary == null ? null : summary.code(), Integer.class)
          .bindByType(8, summary == null ? null : summary.enhancedStatus(), String.class)
          .bindByType(9, summary == null ? null : summary.text(), String.class)
          .add();
      anyAttempt = true;
    }
    if (anyRecipient) {
      recipients.execute();
    }
    if (anyAttempt) {
      attempts.execute();
    }
    return recorded;
  }

  /**
   * The same three writes as {@link #recordInBatches}, each one statement over arrays: a JDBC
   * batch still executes its statement once per row, and on PostgreSQL that per-execution work
   * was most of the completion's cost.
   */
  private List<Boolean> recordWithArrays(Connection c, Dialect.PostgresDialect pg, List<ClaimedMail> mails,
                                         List<Completion> completions) {
    try {
      int n = mails.size();
      Object[][] message = columns(Dialect.PostgresDialect.COMPLETE_MESSAGE_PARAMS, n);
      for (int i = 0; i < n; i++) {
        Completion done = completions.get(i);
        SmtpReply summary = done.summary();
        message[0][i] = mails.get(i).id().value();
        message[1][i] = mails.get(i).leaseToken();
        message[2][i] = done.newState().name();
        message[3][i] = done.retryDelay() == null ? null : done.retryDelay().toMillis();
        message[4][i] = done.countsAsAttempt() ? 1 : 0;
        message[5][i] = done.uncertain() ? 1 : 0;
        message[6][i] = done.newState().isTerminal() ? 0L : null;
        message[7][i] = summary == null ? null : summary.code();
        message[8][i] = summary == null ? null : summary.enhancedStatus();
        message[9][i] = summary == null ? null : summary.text();
      }
      Set<Lease> fenced = new java.util.HashSet<>();
      try (PreparedStatement ps = prepare(c, pg.completeMessages())) {
        bindArrays(c, ps, Dialect.PostgresDialect.COMPLETE_MESSAGE_PARAMS, message);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            fenced.add(new Lease(rs.getObject(1, UUID.class), rs.getLong(2)));
          }
        }
      }
      List<Boolean> recorded = new ArrayList<>(n);
      List<Object[]> recipientRows = new ArrayList<>();
      List<Object[]> attemptRows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ClaimedMail mail = mails.get(i);
        boolean ok = fenced.contains(new Lease(mail.id().value(), mail.leaseToken()));
        recorded.add(ok);
        if (!ok) {
          continue;
        }
        Completion done = completions.get(i);
        for (Completion.RecipientUpdate r : done.recipients()) {
          recipientRows.add(new Object[] {mail.id().value(), r.index(), r.status().name(),
              r.reply() == null ? null : r.reply().code(), r.reply() == null ? null : r.reply().enhancedStatus(),
              r.reply() == null ? null : r.reply().text()});
        }
        SmtpReply summary = done.summary();
        attemptRows.add(new Object[] {mail.id().value(), mail.leaseToken(),
            (int) Math.min(Integer.MAX_VALUE, done.duration().toMillis()), done.remoteHost(), done.newState().name(),
            done.countsAsAttempt(), done.uncertain(), summary == null ? null : summary.code(),
            summary == null ? null : summary.enhancedStatus(), summary == null ? null : summary.text()});
      }
      executeOverArrays(c, pg.completeRecipients(), Dialect.PostgresDialect.COMPLETE_RECIPIENT_PARAMS, recipientRows);
      executeOverArrays(c, pg.insertAttempts(), Dialect.PostgresDialect.INSERT_ATTEMPT_PARAMS, attemptRows);
      return recorded;
    } catch (SQLException e) {
      throw new JdbcStoreException("recording " + mails.size() + " completions failed: " + e.getMessage(), e);
    }
  }

  /** A message's lease as the completion statement returns it when its fence held. */
  private record Lease(UUID id, long token) {}

  /** Runs {@code sql} once, with column {@code k} of {@code rows} bound as one array parameter. */
  private void executeOverArrays(Connection c, String sql, List<Dialect.PostgresDialect.ArrayParam> params,
                                        List<Object[]> rows) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Object[][] columns = columns(params, rows.size());
    for (int r = 0; r < rows.size(); r++) {
      for (int k = 0; k < params.size(); k++) {
        columns[k][r] = rows.get(r)[k];
      }
    }
    try (PreparedStatement ps = prepare(c, sql)) {
      bindArrays(c, ps, params, columns);
      ps.executeUpdate();
    }
  }

  /** One typed array per parameter (Long[], String[], ...), as PgJDBC encodes them. */
  private static Object[][] columns(List<Dialect.PostgresDialect.ArrayParam> params, int length) {
    Object[][] columns = new Object[params.size()][];
    for (int k = 0; k < params.size(); k++) {
      columns[k] = (Object[]) java.lang.reflect.Array.newInstance(params.get(k).element(), length);
    }
    return columns;
  }

  private static void bindArrays(Connection c, PreparedStatement ps, List<Dialect.PostgresDialect.ArrayParam> params,
                                 Object[][] columns) throws SQLException {
    for (int k = 0; k < params.size(); k++) {
      ps.setArray(k + 1, c.createArrayOf(params.get(k).sqlType(), columns[k]));
    }
  }

  /**
   * Puts recipients that bounced with one of the configured enhanced codes on the suppression
   * list, in the completion's transaction; addresses sorted so concurrent completers lock in order.
   */
  private void suppressHardBounces(Handle h, List<ClaimedMail> mails, List<Completion> completions,
                                   List<Boolean> recorded) {
    if (suppressOnBounce.isEmpty()) {
      return;
    }
    java.util.TreeMap<String, SmtpReply> hard = new java.util.TreeMap<>();
    for (int i = 0; i < mails.size(); i++) {
      if (!recorded.get(i)) {
        continue;
      }
      for (Completion.RecipientUpdate r : completions.get(i).recipients()) {
        if (r.status() == RecipientStatus.BOUNCED && r.reply() != null && r.reply().isPermanent()
            // a 5xx without an enhanced code (plain "550 No such user") suppresses nothing: Set.of(...) would
            // throw on contains(null), and the outcome could never be recorded
            && r.reply().enhancedStatus() != null && suppressOnBounce.contains(r.reply().enhancedStatus())) {
          for (PendingRecipient p : mails.get(i).recipients()) {
            if (p.index() == r.index()) {
              hard.put(suppressionKey(p.address().address()), r.reply());
            }
          }
        }
      }
    }
    if (hard.isEmpty()) {
      return;
    }
    PreparedBatch upsert = h.prepareBatch(dialect.upsertSuppression());
    Long ttl = bounceSuppressionTtl == null ? null : bounceSuppressionTtl.toMillis();
    for (Map.Entry<String, SmtpReply> e : hard.entrySet()) {
      upsert.bind(0, e.getKey()).bind(1, dev.mailqueue.Suppression.HARD_BOUNCE)
          .bind(2, e.getValue().code())
          .bindByType(3, e.getValue().enhancedStatus(), String.class)
          .bindByType(4, e.getValue().text(), String.class)
          .bindByType(5, ttl, Long.class)
          .add();
    }
    upsert.execute();
  }

  /**
   * Empties the body of every message recorded as DELIVERED, in the completion's transaction: a
   * password-reset link must not outlive its delivery in the database. The body row stays (its
   * sender, tag and time count for send quotas and filters) with zero bytes of MIME.
   */
  private void eraseDeliveredBodies(Handle h, List<ClaimedMail> mails, List<Completion> completions,
                                    List<Boolean> recorded) {
    List<Object> delivered = new ArrayList<>();
    for (int i = 0; i < mails.size(); i++) {
      if (recorded.get(i) && completions.get(i).newState() == MessageState.DELIVERED) {
        delivered.add(dialect.id(mails.get(i).id().value()));
      }
    }
    if (delivered.isEmpty()) {
      return;
    }
    Update erase = h.createUpdate(dialect.sql("UPDATE {p}body SET mime = ? WHERE message_id IN ("
        + placeholders(delivered.size()) + ")"));
    erase.bind(0, new byte[0]);
    bindAll(erase, 1, delivered);
    erase.execute();
  }

  /** Every recorded attempt has its row in the attempt table, keyed by message id and lease token. */
  @Override
  public boolean isCompleted(ClaimedMail mail) {
    return jdbi.withHandle(h -> h.createQuery(dialect.sql(
            "SELECT COUNT(*) FROM {p}attempt WHERE message_id = ? AND lease_token = ?"))
        .bind(0, dialect.id(mail.id().value())).bind(1, mail.leaseToken())
        .mapTo(Integer.class).one()) > 0;
  }

  @Override
  public void release(List<ClaimedMail> mails) {
    if (mails.isEmpty()) {
      return;
    }
    jdbi.useTransaction(h -> {
      PreparedBatch batch = h.prepareBatch(dialect.sql("UPDATE {p}message SET state = CASE WHEN attempts = 0 "
          + "THEN 'QUEUED' ELSE 'DEFERRED' END, due_at = {now}, lease_owner = NULL, lease_token = lease_token + 1 "
          + "WHERE id = ? AND lease_token = ? AND state = 'SENDING'"));
      for (ClaimedMail m : mails) {
        batch.bind(0, dialect.id(m.id().value())).bind(1, m.leaseToken()).add();
      }
      batch.execute();
    });
  }

  // ---------------------------------------------------------------- inspection and housekeeping

  @Override
  public QueueStats stats() {
    return jdbi.withHandle(h -> {
      Map<MessageState, Long> counts = new EnumMap<>(MessageState.class);
      h.createQuery(dialect.sql("SELECT state, COUNT(*) FROM {p}message GROUP BY state"))
          .map((rs, ctx) -> counts.put(MessageState.valueOf(rs.getString(1)), rs.getLong(2))).list();
      Duration oldest = h.createQuery(dialect.sql("SELECT {now} - MIN(created_at) FROM {p}message WHERE finished_at IS NULL"))
          .map((rs, ctx) -> {
            long v = rs.getLong(1);
            return rs.wasNull() ? Duration.ZERO : Duration.ofMillis(Math.max(0, v));
          }).one();
      return new QueueStats(counts, oldest);
    });
  }

  @Override
  public List<ReplyCount> replyCounts(int limit) {
    return jdbi.withHandle(h -> h.createQuery(dialect.sql("SELECT status, reply_code, reply_enhanced, reply_text, "
            + "COUNT(*) AS n FROM {p}recipient GROUP BY status, reply_code, reply_enhanced, reply_text "
            + "ORDER BY n DESC, status LIMIT ?"))
        .bind(0, limit)
        .map((rs, ctx) -> new ReplyCount(RecipientStatus.valueOf(rs.getString(1)), reply(rs, 2), rs.getLong(5)))
        .list());
  }

  /**
   * The dispatch lag: how long the most overdue claimable message (due by the database clock and
   * not claimed: queued, deferred, or leased by a worker whose lease ran out) has waited past its
   * due time; zero when there is none. One indexed lookup per priority; meant for a gauge.
   */
  public Duration dispatchLag() {
    return jdbi.withHandle(h -> {
      long now = now(h);
      long oldestDue = now;
      for (Priority priority : Priority.values()) {
        Long due = h.createQuery(dialect.sql("SELECT MIN(due_at) FROM {p}message WHERE priority = ? AND due_at <= ?"))
            .bind(0, priority.rank()).bind(1, now)
            .mapTo(Long.class).one();
        if (due != null) {
          oldestDue = Math.min(oldestDue, due);
        }
      }
      return Duration.ofMillis(now - oldestDue);
    });
  }

  @Override
  public Optional<MessageView> find(MessageId id) {
    return jdbi.withHandle(h -> {
      Object key = dialect.id(id.value());
      List<MessageView.Recipient> recipients = h.createQuery(dialect.sql("SELECT address, status, reply_code, "
              + "reply_enhanced, reply_text FROM {p}recipient WHERE message_id = ? ORDER BY idx"))
          .bind(0, key)
          .map((rs, ctx) -> new MessageView.Recipient(MailAddress.of(rs.getString(1)),
              RecipientStatus.valueOf(rs.getString(2)), reply(rs, 3)))
          .list();
      return h.createQuery(dialect.sql("SELECT id, message_id_header, state, tag, priority, attempts, uncertain_attempts, "
              + "envelope_from, created_at, due_at, expires_at FROM {p}message WHERE id = ?"))
          .bind(0, key)
          .map((rs, ctx) -> {
            long due = rs.getLong(10);
            Instant dueAt = rs.wasNull() ? null : Instant.ofEpochMilli(due);
            return new MessageView(id, rs.getString(2), MessageState.valueOf(rs.getString(3)), rs.getString(4),
                Priority.ofRank(rs.getInt(5)), rs.getInt(6), rs.getInt(7), MailAddress.of(rs.getString(8)),
                Instant.ofEpochMilli(rs.getLong(9)), dueAt, Instant.ofEpochMilli(rs.getLong(11)), recipients);
          })
          .findOne();
    });
  }

  @Override
  public int purgeFinished(Duration age, int batch) {
    return jdbi.withHandle(h -> {
      List<Object> ids = h.createQuery(dialect.sql("SELECT id FROM {p}message WHERE finished_at < {now} - ? "
              + "ORDER BY finished_at LIMIT ?"))
          .bind(0, age.toMillis()).bind(1, batch)
          .map((rs, ctx) -> dialect.id(UUID.fromString(rs.getString(1)))).list();
      int purged = 0;
      if (!ids.isEmpty()) {
        Update delete = h.createUpdate(dialect.sql("DELETE FROM {p}message WHERE id IN ("
            + placeholders(ids.size()) + ")"));
        bindAll(delete, 0, ids);
        purged = delete.execute();
      }
      if (ids.size() < batch) {
        // the last round of a purge: suppression entries whose time is up go too
        int expired = h.createUpdate(dialect.sql("DELETE FROM {p}suppression WHERE expires_at < {now}")).execute();
        if (expired > 0) {
          log.info("purged {} expired suppression list entries", expired);
        }
      }
      return purged;
    });
  }

  @Override
  public void onRemoteEnqueue(Runnable wakeUp) {
    if (dialect instanceof Dialect.PostgresDialect && listener == null) {
      listener = new PostgresListener(dataSource, channel, wakeUp, queryTimeoutSeconds);
      listener.start();
    }
  }

  // ---------------------------------------------------------------- node registry

  /** Upserts the node's row at the database clock, deletes rows silent for a day, and counts the live ones. */
  @Override
  public int heartbeat(String nodeId, Duration liveness) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(liveness, "liveness");
    return jdbi.withHandle(h -> {
      h.createUpdate(dialect.upsertNode()).bind(0, nodeId).execute();
      h.createUpdate(dialect.sql("DELETE FROM {p}node WHERE heartbeat_at < {now} - ?"))
          .bind(0, FORGET_NODES_AFTER.toMillis()).execute();
      return h.createQuery(dialect.sql("SELECT COUNT(*) FROM {p}node WHERE heartbeat_at > {now} - ?"))
          .bind(0, liveness.toMillis()).mapTo(Integer.class).one();
    });
  }

  @Override
  public void leave(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    jdbi.useHandle(h -> h.createUpdate(dialect.sql("DELETE FROM {p}node WHERE node_id = ?")).bind(0, nodeId)
        .execute());
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && listener != null) {
      listener.close();
    }
  }

  /** Attempts before a claim or completion that keeps hitting deadlocks gives up. */
  private static final int DEADLOCK_RETRIES = 5;

  /**
   * A claim or completion transaction: READ COMMITTED (InnoDB's default REPEATABLE READ takes gap
   * locks on the due index that make concurrent claimers deadlock), retried when the database
   * picks it as a deadlock or serialization victim — both are safe to repeat, since every write
   * is fenced by the lease token and a rolled-back claim leased nothing.
   */
  private <T> T writeTransaction(org.jdbi.v3.core.HandleCallback<T, RuntimeException> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return jdbi.inTransaction(h -> {
          // Not Jdbi's inTransaction(level): it reads the connection's level before and after,
          // and PgJDBC answers each read with a SHOW round trip (six per transaction, measured).
          if (!startsReadCommitted(h)) {
            h.execute(dialect.readCommittedForThisTransaction());
          }
          return work.withHandle(h);
        });
      } catch (RuntimeException e) {
        if (attempt >= DEADLOCK_RETRIES || !isTransientConflict(e)) {
          throw e;
        }
        log.debug("transaction conflict (attempt {}), retrying: {}", attempt, e.toString());
      }
    }
  }

  /** Whether the DataSource's connections start in READ COMMITTED: read once, from the first one. */
  private boolean startsReadCommitted(Handle h) {
    Boolean known = readCommittedByDefault;
    if (known == null) {
      try {
        known = h.getConnection().getTransactionIsolation() == Connection.TRANSACTION_READ_COMMITTED;
      } catch (SQLException e) {
        throw new JdbcStoreException("cannot read the connection's isolation level: " + e.getMessage(), e);
      }
      readCommittedByDefault = known;
    }
    return known;
  }

  private static boolean isTransientConflict(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.equals("40001") || state.equals("40P01") || state.startsWith("40"))) {
          return true;
        }
      }
    }
    return false;
  }

  private long now(Handle h) {
    return h.createQuery("SELECT " + dialect.now()).mapTo(Long.class).one();
  }

  static String placeholders(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?"));
  }

  static void bindAll(org.jdbi.v3.core.statement.SqlStatement<?> statement, int from, List<Object> values) {
    for (int i = 0; i < values.size(); i++) {
      statement.bind(from + i, values.get(i));
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
    if (!statementTimeouts) {
      m.put("statementTimeouts", "off for H2 in process (its LOCK_TIMEOUT bounds lock waits)");
    }
    m.put("retainBodies", retainBodies);
    return "JdbcMailStore" + m;
  }

  /** Builds a {@link JdbcMailStore}. Every setter says its default. Not thread-safe. */
  public static final class Builder {
    private final DataSource dataSource;
    private String tablePrefix = DEFAULT_TABLE_PREFIX;
    private boolean createSchema;
    private boolean notifyOnEnqueue = true;
    private int queryTimeoutSeconds = (int) DEFAULT_QUERY_TIMEOUT.toSeconds();
    private Set<String> suppressOnBounce = DEFAULT_SUPPRESS_ON_BOUNCE;
    private Duration bounceSuppressionTtl;
    private int preloadBodyBytes = DEFAULT_PRELOAD_BODY_BYTES;
    private boolean retainBodies;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Prefix of every table name: lower-case letters, digits and '_', starting with a letter,
     * at most 20 characters. Defaults to {@value #DEFAULT_TABLE_PREFIX_TEXT}.
     */
    public Builder tablePrefix(String prefix) {
      if (prefix == null || !PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException("tablePrefix must match " + PREFIX.pattern() + ": " + prefix);
      }
      this.tablePrefix = prefix;
      return this;
    }

    /**
     * Whether {@link #start()} creates missing tables from the bundled script, or upgrades tables
     * at an earlier schema version with the bundled upgrade script. Defaults to false.
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * PostgreSQL only: whether each enqueue sends a NOTIFY (delivered at commit) so that every
     * node's workers wake at once. Defaults to true.
     */
    public Builder notifyOnEnqueue(boolean notify) {
      this.notifyOnEnqueue = notify;
      return this;
    }

    /**
     * Enhanced status codes of a 5xx bounce that put the recipient on the suppression list, in
     * the transaction that records the bounce; an empty set turns this off. Defaults to
     * {@link #DEFAULT_SUPPRESS_ON_BOUNCE} (5.1.1, 5.1.2, 5.1.3, 5.1.10).
     */
    public Builder suppressOnBounce(Set<String> enhancedCodes) {
      this.suppressOnBounce = Set.copyOf(enhancedCodes);
      return this;
    }

    /** How long an address stays suppressed after a hard bounce. Defaults to {@code null}: for ever. */
    public Builder bounceSuppressionTtl(Duration ttl) {
      if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
        throw new IllegalArgumentException("bounceSuppressionTtl must be positive: " + ttl);
      }
      this.bounceSuppressionTtl = ttl;
      return this;
    }

    /**
     * Whether a delivered message keeps its body (the MIME bytes) until it is purged with the
     * rest of the message. By default it does not: the body is emptied in the transaction that
     * records the delivery, so that secrets in it (a password-reset link, a one-time code) do not
     * outlive their purpose in the database; the message's metadata, recipients and attempt
     * history stay for the retention period. Bounced and expired messages always keep their
     * bodies until purged, for inspection. Defaults to false.
     */
    public Builder retainBodies(boolean retain) {
      this.retainBodies = retain;
      return this;
    }

    /**
     * Bodies up to this many bytes are read in the claim's query (at most
     * {@link #PRELOAD_BUDGET_BYTES} per claim), saving a round trip per message; larger ones are
     * read when sent; 0 reads every body when sent. Defaults to {@link #DEFAULT_PRELOAD_BODY_BYTES}.
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
     * driver's socket timeout, which is set on the DataSource (PostgreSQL and MariaDB:
     * {@code socketTimeout}). Defaults to {@link #DEFAULT_QUERY_TIMEOUT}.
     *
     * <p>Not applied to an H2 database in the same JVM: H2 turns each statement's timeout into a
     * command of its own, which cost a third of an enqueue, and an in-process database's only wait
     * is for a lock, which H2's {@code LOCK_TIMEOUT} (2 s unless changed) bounds.
     */
    public Builder queryTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("queryTimeout must be positive: " + timeout);
      }
      long seconds = (timeout.toMillis() + 999) / 1000;
      this.queryTimeoutSeconds = (int) Math.min(Integer.MAX_VALUE, seconds);
      return this;
    }

    /** The default prefix, for Javadoc. */
    static final String DEFAULT_TABLE_PREFIX_TEXT = DEFAULT_TABLE_PREFIX;

    /** Connects once to detect the database and builds the store. */
    public JdbcMailStore build() {
      return new JdbcMailStore(this);
    }
  }

  /** Holds one connection that LISTENs for enqueues on other nodes; reconnects after failures. */
  private static final class PostgresListener implements AutoCloseable {
    private final DataSource dataSource;
    private final String channel;
    private final Runnable wakeUp;
    private final int queryTimeoutSeconds;
    private volatile boolean running = true;
    private final Thread thread;

    PostgresListener(DataSource dataSource, String channel, Runnable wakeUp, int queryTimeoutSeconds) {
      this.dataSource = dataSource;
      this.channel = channel;
      this.wakeUp = wakeUp;
      this.queryTimeoutSeconds = queryTimeoutSeconds;
      this.thread = new Thread(this::run, "mailqueue-pg-listen");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void run() {
      long backoff = 500;
      while (running) {
        try (Connection c = dataSource.getConnection()) {
          c.setAutoCommit(true);
          try (Statement s = c.createStatement()) {
            s.setQueryTimeout(queryTimeoutSeconds);
            s.execute("LISTEN " + channel);
          }
          org.postgresql.PGConnection pg = c.unwrap(org.postgresql.PGConnection.class);
          backoff = 500;
          // Enqueues committed while we were not listening sent their NOTIFY to nobody: look now.
          wakeUp.run();
          while (running) {
            org.postgresql.PGNotification[] notifications = pg.getNotifications(500);
            if (notifications != null && notifications.length > 0) {
              wakeUp.run();
            }
          }
        } catch (SQLException | RuntimeException | LinkageError e) {
          if (!running) {
            return;
          }
          log.warn("LISTEN {} failed; polling covers the gap, retrying in {} ms: {}", channel, backoff, e.toString());
          try {
            Thread.sleep(backoff);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
          backoff = Math.min(backoff * 2, 30_000);
        }
      }
    }

    @Override
    public void close() {
      running = false;
      thread.interrupt();
    }
  }
}
