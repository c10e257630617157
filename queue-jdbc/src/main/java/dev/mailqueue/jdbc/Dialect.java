package dev.mailqueue.jdbc;

import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * What differs between databases, one subclass per database: the clock, id binding, the enqueue,
 * suppression and node upserts, and the whole claim and completion (SQL and binding). The store's
 * other classes choose the path; the dialect owns the statements. Every constant statement is
 * filled (table prefix, clock) once, when the dialect is built.
 *
 * <p>{@link PostgreSqlDialect} claims and completes in one statement each; {@link MariaDbDialect}
 * and {@link H2Dialect} share {@link StandardSqlDialect}'s select-then-update claim and batched
 * completion.
 */
abstract class Dialect {
  /** Prefix of every table name. */
  final String prefix;

  /** Seconds each statement may run, or 0 when statements carry no timeout (H2 in process). */
  final int statementTimeoutSeconds;

  private final String name;
  private final String now;

  /** Inserts the body: message id, bytes, envelope from, tag (nullable); created now. */
  final String insertBody;

  /** Inserts one recipient: message id, index, address, domain, status (PENDING, or SUPPRESSED). */
  final String insertRecipient;

  /** Reads an existing message's id by idempotency key, seeing rows committed by others. */
  final String selectByIdempotencyKey;

  Dialect(
      String name,
      String now,
      String prefix,
      int statementTimeoutSeconds,
      String selectByIdempotencyKey) {
    this.name = name;
    this.now = now;
    this.prefix = prefix;
    this.statementTimeoutSeconds = statementTimeoutSeconds;
    this.insertBody =
        fill(
            "INSERT INTO {p}body (message_id, mime, envelope_from, tag, created_at) "
                + "VALUES (?, ?, ?, ?, {now})");
    this.insertRecipient =
        fill(
            "INSERT INTO {p}recipient (message_id, idx, address, domain, status) "
                + "VALUES (?, ?, ?, ?, ?)");
    this.selectByIdempotencyKey = fill(selectByIdempotencyKey);
  }

  /**
   * The dialect of a database product, for tables starting with {@code prefix}; statements run at
   * most {@code queryTimeoutSeconds}, except on an H2 database in this JVM (see {@link
   * JdbcMailStore.Builder#queryTimeout}).
   */
  static Dialect detect(String productName, String url, String prefix, int queryTimeoutSeconds) {
    String p = productName.toLowerCase(Locale.ROOT);
    if (p.contains("postgres")) {
      return new PostgreSqlDialect(prefix, queryTimeoutSeconds);
    }
    if (p.contains("mariadb") || p.contains("mysql")) {
      return new MariaDbDialect(prefix, queryTimeoutSeconds);
    }
    if (p.equals("h2")) {
      // H2 runs every Statement.setQueryTimeout as a SET command on the session: in process, that
      // was a third of an enqueue's time. There the only wait is for a lock, and H2's own lock
      // timeout (LOCK_TIMEOUT) bounds it; over TCP the query timeout stays.
      return new H2Dialect(prefix, isInProcessH2(url) ? 0 : queryTimeoutSeconds);
    }
    throw new JdbcStoreException(
        "unsupported database '"
            + productName
            + "': mailqueue supports PostgreSQL, MariaDB, MySQL and H2");
  }

  /**
   * An H2 URL of a database in this JVM: not a server ({@code tcp:}, {@code ssl:}) nor mixed mode.
   */
  static boolean isInProcessH2(String url) {
    String u = url == null ? "" : url.toLowerCase(Locale.ROOT);
    return u.startsWith("jdbc:h2:")
        && !u.startsWith("jdbc:h2:tcp:")
        && !u.startsWith("jdbc:h2:ssl:")
        && !u.contains(";auto_server=true");
  }

  /** A short name: the suffix of the schema script, e.g. {@code postgresql}. */
  final String name() {
    return name;
  }

  /** An SQL expression for the database clock, in epoch milliseconds. */
  final String now() {
    return now;
  }

  /** Whether statements carry a query timeout. */
  final boolean statementTimeouts() {
    return statementTimeoutSeconds > 0;
  }

  /**
   * Replaces {@code {p}} with the table prefix and {@code {now}} with the clock expression.
   * Constant statements are filled once, in constructors; statements built per call (id lists,
   * admin filters) are filled each time.
   */
  final String fill(String template) {
    return template.replace("{p}", prefix).replace("{now}", now);
  }

  /**
   * A statement on {@code c} bounded by the query timeout, as every Jdbi statement of the store is.
   */
  final PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    if (statementTimeouts()) {
      ps.setQueryTimeout(statementTimeoutSeconds);
    }
    return ps;
  }

  /** The value bound for a message id. */
  Object id(UUID id) {
    return id;
  }

  /**
   * Sets READ COMMITTED for the transaction about to start, as its first statement; used only when
   * the DataSource's connections start in another level.
   */
  String readCommittedForThisTransaction() {
    return "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
  }

  /** A condition that {@code column} is one of {@code n} ids, bound by {@link #bindIds}. */
  String idIn(String column, int n) {
    return column + " IN (" + placeholders(n) + ")";
  }

  /** Binds the ids of {@link #idIn} from parameter {@code first} on. */
  void bindIds(SqlStatement<?> statement, int first, List<UUID> ids) {
    for (int i = 0; i < ids.size(); i++) {
      statement.bind(first + i, id(ids.get(i)));
    }
  }

  // ---------------------------------------------------------------- enqueue

  /**
   * Inserts a message row, doing nothing when the idempotency key (or id) exists. Parameters in
   * order: id, priority, notBefore (nullable), lifetime ms, tag, envelope from, Message-ID,
   * idempotency key, size.
   */
  abstract String insertMessage();

  /**
   * Whether {@link #insertMessage()} signals a duplicate by an SQL error (23xxx) rather than by
   * zero rows.
   */
  boolean duplicateIsError() {
    return false;
  }

  /**
   * Whether {@link #insertMessage()} may run as a JDBC batch. Not on MariaDB: its bulk protocol
   * refuses INSERT ... SELECT ("not supported in the prepared statement protocol yet").
   */
  boolean batchesInserts() {
    return true;
  }

  /**
   * Whether message, body and recipients are inserted in one statement ({@link PostgreSqlDialect}).
   */
  boolean insertsInOneStatement() {
    return false;
  }

  /**
   * Adds or replaces a suppression list entry. Parameters: address (lower case), scope ({@link
   * Enqueuer#scopeKey}), reason, reply code, enhanced code, text (all three nullable), time to live
   * in ms (nullable: for ever).
   */
  abstract String upsertSuppression();

  // ---------------------------------------------------------------- claim and completion

  /**
   * Leases up to {@code limit} due messages to {@code owner} for {@code lease}, in the caller's
   * READ COMMITTED transaction: each row's state becomes SENDING, its lease token advances, and it
   * is due again when the lease ends. Returns the leased rows, most urgent first.
   */
  abstract List<ClaimRow> claim(Handle h, String owner, int limit, Duration lease);

  /**
   * Records completions in the caller's transaction, each fenced by lease token and SENDING state
   * (a claim completes once): the message row, then the recipients and attempt history of those
   * whose fence held. Returns, per mail, whether it was recorded.
   */
  abstract List<Boolean> complete(Handle h, List<ClaimedMail> mails, List<Completion> completions);

  // ---------------------------------------------------------------- node registry

  /**
   * Records a node's heartbeat at the database clock: inserts the node (started now) or moves its
   * heartbeat to now, keeping when it started. Parameter: node id.
   */
  abstract String upsertNode();

  // ---------------------------------------------------------------- helpers

  /** {@code n} comma-separated parameter markers. */
  static String placeholders(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }

  /** Binds {@code values} from parameter {@code from} on. */
  static void bindAll(SqlStatement<?> statement, int from, List<Object> values) {
    for (int i = 0; i < values.size(); i++) {
      statement.bind(from + i, values.get(i));
    }
  }
}
