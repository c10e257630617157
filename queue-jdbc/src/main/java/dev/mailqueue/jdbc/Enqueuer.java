package dev.mailqueue.jdbc;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SendQuota;
import dev.mailqueue.Suppression;
import dev.mailqueue.UnsubscribeTokens;
import dev.mailqueue.spi.QueuedMail;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueue: the message, body and recipient rows, the suppression list lookup and send quotas, in
 * the caller's transaction or in one of its own.
 */
final class Enqueuer {
  private static final Logger log = LoggerFactory.getLogger(JdbcMailStore.class);

  /**
   * Recipients looked up on the suppression list in one statement (bounded: drivers cap
   * parameters).
   */
  static final int SUPPRESSION_LOOKUP_CHUNK = 500;

  private final DataSource dataSource;
  private final Dialect dialect;

  /** PostgreSQL with NOTIFY on: wakes every node's workers once an enqueue commits; else null. */
  private final @Nullable EnqueueNotifier notifier;

  private final String channel;
  private volatile List<SendQuota> sendQuotas = List.of();

  /** Followed by the address list and {@link #suppressionLookupTail}. */
  private final String suppressionLookupHead;

  private final String suppressionLookupTail;

  /** Counts mail enqueued recently by one sender, or with one tag. Parameters: key, window ms. */
  private final String countRecentBySender;

  private final String countRecentByTag;

  /** Holds a message over its quota. Parameter: id. */
  private final String holdOverQuota;

  Enqueuer(
      DataSource dataSource, Dialect dialect, @Nullable EnqueueNotifier notifier, String channel) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.notifier = notifier;
    this.channel = channel;
    this.suppressionLookupHead =
        dialect.fill("SELECT address, scope FROM {p}suppression WHERE address IN (");
    this.suppressionLookupTail = dialect.fill(") AND (expires_at IS NULL OR expires_at > {now})");
    this.countRecentBySender =
        dialect.fill(
            "SELECT COUNT(*) FROM {p}body WHERE envelope_from = ? " + "AND created_at > {now} - ?");
    this.countRecentByTag =
        dialect.fill("SELECT COUNT(*) FROM {p}body WHERE tag = ? AND created_at > {now} - ?");
    this.holdOverQuota =
        dialect.fill(
            "UPDATE {p}message SET state = 'HOLD', "
                + "due_at = NULL, updated_at = {now} WHERE id = ? AND finished_at IS NULL");
  }

  void sendQuotas(List<SendQuota> quotas) {
    this.sendQuotas = List.copyOf(quotas);
  }

  MessageId insert(Connection connection, QueuedMail mail) {
    Objects.requireNonNull(connection, "connection");
    try {
      return insertOn(connection, mail, true);
    } catch (SQLException e) {
      throw new JdbcStoreException(
          "enqueueing message " + mail.id() + " failed: " + e.getMessage(), e);
    }
  }

  MessageId insert(QueuedMail mail) {
    if (dialect.insertsInOneStatement() && sendQuotas.isEmpty()) {
      // One statement is atomic on its own: in auto-commit it needs no COMMIT round trip.
      try (Connection c = dataSource.getConnection()) {
        if (!c.getAutoCommit()) {
          c.setAutoCommit(true);
        }
        MessageId id = insertOn(c, mail, false);
        if (notifier != null) {
          notifier.committed();
        }
        return id;
      } catch (SQLException e) {
        throw new JdbcStoreException(
            "enqueueing message " + mail.id() + " failed: " + e.getMessage(), e);
      }
    }
    return insertAll(List.of(mail)).get(0);
  }

  List<MessageId> insertAll(Connection connection, List<QueuedMail> mails) {
    Objects.requireNonNull(connection, "connection");
    try {
      return insertAllOn(connection, mails, true);
    } catch (SQLException e) {
      throw new JdbcStoreException(
          "enqueueing " + mails.size() + " messages failed: " + e.getMessage(), e);
    }
  }

  List<MessageId> insertAll(List<QueuedMail> mails) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        List<MessageId> ids = insertAllOn(c, mails, false);
        c.commit();
        if (notifier != null) {
          notifier.committed();
        }
        return ids;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new JdbcStoreException(
          "enqueueing " + mails.size() + " messages failed: " + e.getMessage(), e);
    }
  }

  /**
   * @param callerTransaction whether {@code c} is in the caller's transaction (this store cannot
   *     know when it commits, so the enqueue arranges its NOTIFY itself), or in one of the store's
   *     own (the store tells the notifier after the commit)
   */
  private List<MessageId> insertAllOn(
      Connection c, List<QueuedMail> mails, boolean callerTransaction) throws SQLException {
    if (mails.size() > 1 && batchable(mails)) {
      return insertBatch(c, mails, callerTransaction);
    }
    List<MessageId> ids = new ArrayList<>(mails.size());
    for (QueuedMail m : mails) {
      ids.add(insertOn(c, m, callerTransaction));
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
  private List<MessageId> insertBatch(
      Connection c, List<QueuedMail> mails, boolean callerTransaction) throws SQLException {
    List<MailAddress> everyone = new ArrayList<>();
    for (QueuedMail m : mails) {
      everyone.addAll(m.recipients());
    }
    Map<String, Set<String>> suppressed = new HashMap<>();
    for (int from = 0; from < everyone.size(); from += SUPPRESSION_LOOKUP_CHUNK) {
      suppressedAmong(
              c, everyone.subList(from, Math.min(everyone.size(), from + SUPPRESSION_LOOKUP_CHUNK)))
          .forEach(
              (a, scopes) -> suppressed.computeIfAbsent(a, k -> new HashSet<>()).addAll(scopes));
    }
    try (PreparedStatement messages = dialect.prepare(c, dialect.insertMessage());
        PreparedStatement bodies = dialect.prepare(c, dialect.insertBody);
        PreparedStatement recipients = dialect.prepare(c, dialect.insertRecipient)) {
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
      ids.add(m.id());
    }
    if (notifier != null && callerTransaction) {
      if (notifier.notifyInTransaction()) {
        try (PreparedStatement ps = dialect.prepare(c, "SELECT pg_notify(?, '')")) {
          ps.setString(1, channel);
          ps.execute();
        }
      } else {
        try (PreparedStatement ps = dialect.prepare(c, "SELECT txid_current()");
            ResultSet rs = ps.executeQuery()) {
          rs.next();
          notifier.afterCommitOf(rs.getLong(1));
        }
      }
    }
    return ids;
  }

  /**
   * Adds a {@link Dialect#insertRecipient} row per recipient of {@code m} to the batch: PENDING, or
   * SUPPRESSED; returns how many are PENDING.
   */
  private static int addRecipients(
      PreparedStatement ps, Object id, QueuedMail m, Map<String, Set<String>> suppressed)
      throws SQLException {
    int pending = 0;
    for (int r = 0; r < m.recipients().size(); r++) {
      MailAddress a = m.recipients().get(r);
      ps.setObject(1, id);
      ps.setInt(2, r);
      ps.setString(3, a.address());
      ps.setString(4, a.domain());
      Set<String> scopes = suppressed.getOrDefault(suppressionKey(a.address()), Set.of());
      boolean isSuppressed =
          scopes.contains(ALL_SCOPES) || (m.tag() != null && scopes.contains(m.tag()));
      if (!isSuppressed) {
        pending++;
      }
      ps.setString(5, (isSuppressed ? RecipientStatus.SUPPRESSED : RecipientStatus.PENDING).name());
      ps.addBatch();
    }
    return pending;
  }

  private MessageId insertOn(Connection c, QueuedMail m, boolean callerTransaction)
      throws SQLException {
    if (dialect instanceof PostgreSqlDialect pg) {
      return insertInOneStatement(c, pg, m, callerTransaction);
    }
    Map<String, Set<String>> suppressed = suppressedAmong(c, m.recipients());
    boolean inserted;
    try (PreparedStatement ps = dialect.prepare(c, dialect.insertMessage())) {
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
    try (PreparedStatement ps = dialect.prepare(c, dialect.insertBody)) {
      bindBody(ps, m);
      ps.executeUpdate();
    }
    int pending;
    try (PreparedStatement ps = dialect.prepare(c, dialect.insertRecipient)) {
      pending = addRecipients(ps, dialect.id(m.id().value()), m, suppressed);
      ps.executeBatch();
    }
    // A message whose recipients are all suppressed is queued all the same (the engine records it
    // SUPPRESSED and tells the listener at once), but it sends nothing: no quota counts it.
    if (pending > 0) {
      applySendQuotas(c, m);
    }
    return m.id();
  }

  /**
   * PostgreSQL: message, body, recipients and the suppression lookup in one round trip; in the
   * caller's transaction also its NOTIFY, or its transaction id for the {@link #notifier}.
   */
  private MessageId insertInOneStatement(
      Connection c, PostgreSqlDialect pg, QueuedMail m, boolean callerTransaction)
      throws SQLException {
    int n = m.recipients().size();
    PostgreSqlDialect.Wake wake =
        notifier == null || !callerTransaction
            ? PostgreSqlDialect.Wake.NONE
            : notifier.notifyInTransaction()
                ? PostgreSqlDialect.Wake.NOTIFY
                : PostgreSqlDialect.Wake.TRANSACTION_ID;
    try (PreparedStatement ps = dialect.prepare(c, pg.insertAllInOne(wake, n))) {
      int i;
      ps.setString(1, m.tag());
      if (n <= PostgreSqlDialect.SCALAR_RECIPIENTS) {
        for (int r = 0; r < n; r++) {
          ps.setString(2 + r, m.recipients().get(r).address());
          ps.setString(2 + n + r, m.recipients().get(r).domain());
        }
        i = bindMessage(ps, m, 2 + 2 * n);
      } else {
        String[] addresses = new String[n];
        String[] domains = new String[n];
        for (int r = 0; r < n; r++) {
          addresses[r] = m.recipients().get(r).address();
          domains[r] = m.recipients().get(r).domain();
        }
        ps.setArray(2, c.createArrayOf("varchar", addresses));
        ps.setArray(3, c.createArrayOf("varchar", domains));
        i = bindMessage(ps, m, 4);
      }
      ps.setBytes(i++, m.mime());
      if (wake == PostgreSqlDialect.Wake.NOTIFY) {
        ps.setString(i, channel);
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          if (wake == PostgreSqlDialect.Wake.TRANSACTION_ID) {
            notifier.afterCommitOf(rs.getLong(3));
          }
          if (rs.getLong(2) > 0) {
            applySendQuotas(c, m);
          }
          return m.id();
        }
      }
    }
    return existing(c, m);
  }

  // ---------------------------------------------------------------- suppression list and quotas at
  // enqueue

  /** The suppression list key of an address: lower case. */
  static String suppressionKey(String address) {
    return address.toLowerCase(Locale.ROOT);
  }

  /**
   * The suppression list scope of an entry for all mail: {@value}, so that the scope can be part of
   * the primary key.
   */
  static final String ALL_SCOPES = UnsubscribeTokens.ALL_MAIL;

  /**
   * The suppression list scope of a tag, or of all mail ({@code null}): see {@link #ALL_SCOPES}.
   */
  static String scopeKey(@Nullable String scope) {
    String tag = Suppression.scope(scope);
    return tag == null ? ALL_SCOPES : tag;
  }

  /**
   * The scopes these recipients are suppressed for, by suppression key: one primary-key lookup for
   * all.
   */
  private Map<String, Set<String>> suppressedAmong(Connection c, List<MailAddress> recipients)
      throws SQLException {
    List<String> keys = new ArrayList<>(recipients.size());
    for (MailAddress a : recipients) {
      keys.add(suppressionKey(a.address()));
    }
    Map<String, Set<String>> found = new HashMap<>();
    try (PreparedStatement ps =
        dialect.prepare(
            c, suppressionLookupHead + Dialect.placeholders(keys.size()) + suppressionLookupTail)) {
      for (int i = 0; i < keys.size(); i++) {
        ps.setString(i + 1, keys.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2));
        }
      }
    }
    return found;
  }

  /**
   * Holds the just-inserted message when a send quota is exceeded: counts matching mail enqueued
   * within the quota's window (this one included) in the caller's transaction.
   */
  private void applySendQuotas(Connection c, QueuedMail m) throws SQLException {
    List<SendQuota> quotas = sendQuotas;
    for (SendQuota q : quotas) {
      String key = q.keyOf(m.envelopeFrom().address(), m.tag());
      if (key == null) {
        continue;
      }
      long recent;
      try (PreparedStatement ps =
          dialect.prepare(
              c, q.scope() == SendQuota.Scope.SENDER ? countRecentBySender : countRecentByTag)) {
        ps.setString(1, key);
        ps.setLong(2, q.window().toMillis());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          recent = rs.getLong(1);
        }
      }
      if (recent > q.limit()) {
        try (PreparedStatement ps = dialect.prepare(c, holdOverQuota)) {
          ps.setObject(1, dialect.id(m.id().value()));
          ps.executeUpdate();
        }
        log.warn(
            "message {} held: {} {} enqueued {} mails within {} (quota {}); release it with admin().release",
            m.id(),
            q.scope().name().toLowerCase(Locale.ROOT),
            key,
            recent,
            q.window(),
            q.limit());
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

  private void bindBody(PreparedStatement ps, QueuedMail m) throws SQLException {
    ps.setObject(1, dialect.id(m.id().value()));
    ps.setBytes(2, m.mime());
    ps.setString(3, m.envelopeFrom().address());
    ps.setString(4, m.tag());
  }

  private MessageId existing(Connection c, QueuedMail m) throws SQLException {
    if (m.idempotencyKey() == null) {
      throw new JdbcStoreException(
          "message " + m.id() + " was not inserted and has no idempotency key");
    }
    try (PreparedStatement ps = dialect.prepare(c, dialect.selectByIdempotencyKey)) {
      ps.setString(1, m.idempotencyKey());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return new MessageId(UUID.fromString(rs.getString(1)));
        }
      }
    }
    throw new JdbcStoreException(
        "idempotency key '"
            + m.idempotencyKey()
            + "' conflicts with a message this "
            + "transaction cannot see yet (isolation level above READ COMMITTED?); retry the transaction");
  }

  private static boolean isDuplicateKey(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("23");
  }
}
