package dev.mailqueue.jdbc;

import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import java.lang.reflect.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * PostgreSQL 12+: the claim is one UPDATE ... RETURNING over a {@code SKIP LOCKED} select, a group
 * of completions is three statements over arrays, an enqueue is one statement (message, body,
 * recipients and the suppression lookup), and enqueues NOTIFY other nodes.
 */
final class PostgreSqlDialect extends Dialect {
  private static final String NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS bigint)";

  /** Recipient counts up to this are bound as scalars, one statement text per count. */
  static final int SCALAR_RECIPIENTS = 16;

  /**
   * One array parameter: the element type PgJDBC creates the array as, and the Java class of its
   * elements.
   */
  record ArrayParam(String sqlType, Class<?> element) {}

  /** Parameters of {@link #completeMessages}, in order. */
  private static final List<ArrayParam> COMPLETE_MESSAGE_PARAMS =
      List.of(
          new ArrayParam("uuid", UUID.class),
          new ArrayParam("int8", Long.class),
          new ArrayParam("varchar", String.class),
          new ArrayParam("int8", Long.class),
          new ArrayParam("int4", Integer.class),
          new ArrayParam("int4", Integer.class),
          new ArrayParam("int8", Long.class),
          new ArrayParam("int4", Integer.class),
          new ArrayParam("varchar", String.class),
          new ArrayParam("varchar", String.class));

  /** Parameters of {@link #completeRecipients}, in order. */
  private static final List<ArrayParam> COMPLETE_RECIPIENT_PARAMS =
      List.of(
          new ArrayParam("uuid", UUID.class),
          new ArrayParam("int4", Integer.class),
          new ArrayParam("varchar", String.class),
          new ArrayParam("int4", Integer.class),
          new ArrayParam("varchar", String.class),
          new ArrayParam("varchar", String.class));

  /** Parameters of {@link #insertAttempts}, in order. */
  private static final List<ArrayParam> INSERT_ATTEMPT_PARAMS =
      List.of(
          new ArrayParam("uuid", UUID.class),
          new ArrayParam("int8", Long.class),
          new ArrayParam("int4", Integer.class),
          new ArrayParam("varchar", String.class),
          new ArrayParam("varchar", String.class),
          new ArrayParam("bool", Boolean.class),
          new ArrayParam("bool", Boolean.class),
          new ArrayParam("int4", Integer.class),
          new ArrayParam("varchar", String.class),
          new ArrayParam("varchar", String.class));

  /** Claims and returns the leased rows in one statement. Parameters: limit, owner, lease ms. */
  private final String claimReturning;

  /**
   * Records a group of completions, fenced by lease token and SENDING state (a claim completes
   * once), in one statement. Parameters, one array each, element i for message i: id, lease token,
   * new state, retry delay in ms (null: not due), 1 if the attempt counts, 1 if uncertain, 0 if
   * finished (else null), reply code, enhanced code, text. Returns the id and lease token of each
   * row it changed.
   */
  private final String completeMessages;

  /**
   * Records recipients' outcomes. Parameters, one array each: message id, index, status, code,
   * enhanced code, text.
   */
  private final String completeRecipients;

  /**
   * Appends attempt history. Parameters, one array each: message id, lease token, duration ms,
   * remote host, outcome, counted, uncertain, reply code, enhanced code, text.
   */
  private final String insertAttempts;

  private final String insertMessage;
  private final String upsertSuppression;
  private final String upsertNode;

  /** What the one-statement enqueue does to wake the workers once its transaction commits. */
  enum Wake {
    /** Nothing (the store tells its notifier after its own commit, or NOTIFY is off). */
    NONE,
    /** A NOTIFY in the statement, delivered at commit. */
    NOTIFY,
    /** Returns the transaction id (a third column) for the notifier to wait for. */
    TRANSACTION_ID
  }

  /** {@link #insertAllInOne} by wake-up, then by recipient count (the last slot: arrays). */
  private final String[][] insertAllInOne = new String[Wake.values().length][SCALAR_RECIPIENTS + 2];

  PostgreSqlDialect(String prefix, int statementTimeoutSeconds) {
    super(
        "postgresql",
        NOW,
        prefix,
        statementTimeoutSeconds,
        "SELECT id FROM {p}message WHERE idempotency_key = ?");
    this.claimReturning =
        fill(
            """
        WITH n AS (SELECT {now} AS t),
        due AS (SELECT id FROM {p}message, n WHERE due_at <= n.t
                ORDER BY priority, due_at LIMIT ? FOR UPDATE OF {p}message SKIP LOCKED)
        UPDATE {p}message m
           SET state = 'SENDING', lease_token = m.lease_token + 1, lease_owner = ?,
               due_at = n.t + ?, updated_at = n.t
          FROM due, n
         WHERE m.id = due.id
        RETURNING m.id, m.lease_token, m.attempts, m.created_at, m.expires_at, n.t AS claimed_at, m.priority,
                  m.tag, m.envelope_from, m.message_id_header, m.size_bytes""");
    this.completeMessages =
        fill(
            """
        WITH n AS (SELECT {now} AS t)
        UPDATE {p}message m
           SET state = c.state, due_at = n.t + c.retry_ms, attempts = m.attempts + c.counted,
               uncertain_attempts = m.uncertain_attempts + c.uncertain, lease_owner = NULL, updated_at = n.t,
               finished_at = n.t + c.finished, last_code = c.code, last_enhanced = c.enhanced, last_text = c.text
          FROM n, unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               AS c(id, lease_token, state, retry_ms, counted, uncertain, finished, code, enhanced, text)
         WHERE m.id = c.id AND m.lease_token = c.lease_token AND m.state = 'SENDING'
        RETURNING m.id, m.lease_token""");
    this.completeRecipients =
        fill(
            """
        UPDATE {p}recipient r
           SET status = u.status, reply_code = u.code, reply_enhanced = u.enhanced, reply_text = u.text,
               updated_at = {now}
          FROM unnest(?, ?, ?, ?, ?, ?) AS u(message_id, idx, status, code, enhanced, text)
         WHERE r.message_id = u.message_id AND r.idx = u.idx""");
    this.insertAttempts =
        fill(
            """
        INSERT INTO {p}attempt (message_id, lease_token, finished_at, duration_ms, remote_host, outcome, counted,
                                uncertain, reply_code, reply_enhanced, reply_text)
        SELECT a.message_id, a.lease_token, {now}, a.duration_ms, a.remote_host, a.outcome, a.counted,
               a.uncertain, a.code, a.enhanced, a.text
          FROM unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               AS a(message_id, lease_token, duration_ms, remote_host, outcome, counted, uncertain, code,
                    enhanced, text)""");
    this.insertMessage =
        fill(
            """
        INSERT INTO {p}message (id, state, priority, due_at, created_at, updated_at, expires_at, tag, envelope_from,
                                message_id_header, idempotency_key, size_bytes)
        SELECT ?, 'QUEUED', ?, GREATEST(n.t, ?), n.t, n.t, n.t + ?, ?, ?, ?, ?, ? FROM (SELECT {now} AS t) n
        ON CONFLICT DO NOTHING""");
    this.upsertSuppression =
        fill(
            """
        INSERT INTO {p}suppression (address, scope, reason, reply_code, reply_enhanced, reply_text, created_at, expires_at)
        SELECT ?, ?, ?, CAST(? AS smallint), CAST(? AS varchar), CAST(? AS varchar), n.t, n.t + CAST(? AS bigint)
          FROM (SELECT {now} AS t) n
        ON CONFLICT (address, scope) DO UPDATE SET reason = EXCLUDED.reason, reply_code = EXCLUDED.reply_code,
          reply_enhanced = EXCLUDED.reply_enhanced, reply_text = EXCLUDED.reply_text,
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at""");
    this.upsertNode =
        fill(
            """
        INSERT INTO {p}node (node_id, heartbeat_at, started_at) SELECT ?, n.t, n.t FROM (SELECT {now} AS t) n
        ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at""");
    for (int slot = 0; slot <= SCALAR_RECIPIENTS + 1; slot++) {
      int scalars = slot <= SCALAR_RECIPIENTS ? slot : -1;
      for (Wake wake : Wake.values()) {
        insertAllInOne[wake.ordinal()][slot] = buildInsertAllInOne(wake, scalars);
      }
    }
  }

  /**
   * One array parameter instead of a list of n: the statement text stays the same whatever the
   * batch size, so PgJDBC prepares it once per connection and reads results in binary (a body as
   * bytes, not as hex text), and Jdbi parses it once.
   */
  @Override
  String idIn(String column, int n) {
    return column + " = ANY (?)";
  }

  @Override
  void bindIds(SqlStatement<?> statement, int first, List<UUID> ids) {
    UUID[] values = ids.toArray(new UUID[0]);
    statement.bind(
        first,
        (position, ps, ctx) ->
            ps.setArray(position, ps.getConnection().createArrayOf("uuid", values)));
  }

  // ---------------------------------------------------------------- enqueue

  @Override
  String insertMessage() {
    return insertMessage;
  }

  @Override
  boolean insertsInOneStatement() {
    return true;
  }

  /**
   * The one-statement enqueue for a message with {@code recipients} recipients. Parameters: the tag
   * (null for none; scoped suppression list entries apply to mail with their tag), the recipient
   * addresses then their domains (up to {@link #SCALAR_RECIPIENTS}, one parameter each; beyond, two
   * varchar[] parameters), then id, priority, notBefore, lifetime, tag, envelope from, Message-ID,
   * idempotency key, size, mime, and the notify channel for {@link Wake#NOTIFY}. Returns the id and
   * the number of recipients not suppressed when inserted (and for {@link Wake#TRANSACTION_ID} the
   * transaction id), no row when the key exists. Scalars because with the two arrays the statement
   * took ~900 us instead of ~550 us (measured on one connection), likely re-planned per execution
   * since a cached plan cannot see their length.
   */
  String insertAllInOne(Wake wake, int recipients) {
    return insertAllInOne[wake.ordinal()][Math.min(recipients, SCALAR_RECIPIENTS + 1)];
  }

  /** {@code scalars} recipients bound one by one, or -1 for two array parameters. */
  private String buildInsertAllInOne(Wake wake, int scalars) {
    String lists =
        scalars < 0
            ? "CAST(? AS varchar[]), CAST(? AS varchar[])"
            : "ARRAY["
                + String.join(", ", Collections.nCopies(scalars, "CAST(? AS varchar)"))
                + "], ARRAY["
                + String.join(", ", Collections.nCopies(scalars, "CAST(? AS varchar)"))
                + "]";
    // rc looks every recipient up on the suppression list (primary key), still one round trip; a
    // message whose recipients are all suppressed is queued all the same, so that the engine
    // records it SUPPRESSED and tells its listener.
    return fill(
        """
        WITH n AS (SELECT {now} AS t, CAST(? AS varchar) AS tag),
        rc AS (SELECT u.address, u.domain, u.ord,
                      EXISTS (SELECT 1 FROM {p}suppression s WHERE s.address = lower(u.address)
                                 AND (s.scope = '*' OR s.scope = n.tag)
                                 AND (s.expires_at IS NULL OR s.expires_at > n.t)) AS suppressed
                 FROM n, unnest("""
            + lists
            + """
        ) WITH ORDINALITY AS u(address, domain, ord)),
        live AS (SELECT COUNT(*) FILTER (WHERE NOT rc.suppressed) AS pending FROM rc),
        m AS (INSERT INTO {p}message (id, state, priority, due_at, created_at, updated_at, expires_at, tag,
                                      envelope_from, message_id_header, idempotency_key, size_bytes)
              SELECT ?, 'QUEUED', ?, GREATEST(n.t, ?), n.t, n.t, n.t + ?, ?, ?, ?, ?, ? FROM n
              ON CONFLICT DO NOTHING RETURNING id, envelope_from, tag, created_at),
        b AS (INSERT INTO {p}body (message_id, mime, envelope_from, tag, created_at)
              SELECT id, ?, envelope_from, tag, created_at FROM m),
        r AS (INSERT INTO {p}recipient (message_id, idx, address, domain, status)
              SELECT m.id, CAST(rc.ord - 1 AS smallint), rc.address, rc.domain,
                     CASE WHEN rc.suppressed THEN 'SUPPRESSED' ELSE 'PENDING' END
                FROM m, rc)
        SELECT m.id, live.pending"""
            + switch (wake) {
              case NONE -> "";
              case NOTIFY -> ", pg_notify(?, '')";
              case TRANSACTION_ID -> ", txid_current()";
            }
            + " FROM m, live");
  }

  @Override
  String upsertSuppression() {
    return upsertSuppression;
  }

  // ---------------------------------------------------------------- claim and completion

  @Override
  List<ClaimRow> claim(Handle h, String owner, int limit, Duration lease) {
    return h.createQuery(claimReturning)
        .bind(0, limit)
        .bind(1, owner)
        .bind(2, lease.toMillis())
        .map((rs, ctx) -> ClaimRow.read(rs, rs.getLong("claimed_at")))
        .list();
  }

  /**
   * The same three writes as {@link StandardSqlDialect#complete}, each one statement over arrays: a
   * JDBC batch still executes its statement once per row, and on PostgreSQL that per-execution work
   * was most of the completion's cost.
   */
  @Override
  List<Boolean> complete(Handle h, List<ClaimedMail> mails, List<Completion> completions) {
    Connection c = h.getConnection();
    try {
      int n = mails.size();
      Object[][] message = columns(COMPLETE_MESSAGE_PARAMS, n);
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
      Set<Lease> fenced = new HashSet<>();
      try (PreparedStatement ps = prepare(c, completeMessages)) {
        bindArrays(c, ps, COMPLETE_MESSAGE_PARAMS, message);
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
          recipientRows.add(
              new Object[] {
                mail.id().value(),
                r.index(),
                r.status().name(),
                r.reply() == null ? null : r.reply().code(),
                r.reply() == null ? null : r.reply().enhancedStatus(),
                r.reply() == null ? null : r.reply().text()
              });
        }
        SmtpReply summary = done.summary();
        attemptRows.add(
            new Object[] {
              mail.id().value(),
              mail.leaseToken(),
              (int) Math.min(Integer.MAX_VALUE, done.duration().toMillis()),
              done.remoteHost(),
              done.newState().name(),
              done.countsAsAttempt(),
              done.uncertain(),
              summary == null ? null : summary.code(),
              summary == null ? null : summary.enhancedStatus(),
              summary == null ? null : summary.text()
            });
      }
      executeOverArrays(c, completeRecipients, COMPLETE_RECIPIENT_PARAMS, recipientRows);
      executeOverArrays(c, insertAttempts, INSERT_ATTEMPT_PARAMS, attemptRows);
      return recorded;
    } catch (SQLException e) {
      throw new JdbcStoreException(
          "recording " + mails.size() + " completions failed: " + e.getMessage(), e);
    }
  }

  /** A message's lease as the completion statement returns it when its fence held. */
  private record Lease(UUID id, long token) {}

  /** Runs {@code sql} once, with column {@code k} of {@code rows} bound as one array parameter. */
  private void executeOverArrays(
      Connection c, String sql, List<ArrayParam> params, List<Object[]> rows) throws SQLException {
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
  private static Object[][] columns(List<ArrayParam> params, int length) {
    Object[][] columns = new Object[params.size()][];
    for (int k = 0; k < params.size(); k++) {
      columns[k] = (Object[]) Array.newInstance(params.get(k).element(), length);
    }
    return columns;
  }

  private static void bindArrays(
      Connection c, PreparedStatement ps, List<ArrayParam> params, Object[][] columns)
      throws SQLException {
    for (int k = 0; k < params.size(); k++) {
      ps.setArray(k + 1, c.createArrayOf(params.get(k).sqlType(), columns[k]));
    }
  }

  // ---------------------------------------------------------------- node registry

  @Override
  String upsertNode() {
    return upsertNode;
  }
}
