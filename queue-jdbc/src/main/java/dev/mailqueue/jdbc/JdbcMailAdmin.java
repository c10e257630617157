package dev.mailqueue.jdbc;

import static dev.mailqueue.jdbc.Claimer.reply;
import static dev.mailqueue.jdbc.Dialect.bindAll;
import static dev.mailqueue.jdbc.Dialect.placeholders;

import dev.mailqueue.AttemptView;
import dev.mailqueue.Erasure;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageDetails;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.QueueShape;
import dev.mailqueue.QueueStats;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.Suppression;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.Update;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MailQueueAdmin} over the JDBC store's tables. Bulk operations select matching ids in
 * chunks and change each chunk in its own short transaction, repeating the state condition in the
 * UPDATE, so that a message a worker claimed in between is left alone.
 */
final class JdbcMailAdmin implements MailQueueAdmin {
  private static final Logger log = LoggerFactory.getLogger(JdbcMailAdmin.class);

  /** Messages changed per transaction by a bulk operation. */
  static final int CHUNK = 500;

  private final JdbcMailStore store;
  private final Jdbi jdbi;
  private final Dialect dialect;

  /**
   * Messages queued, deferred or held with a pending recipient of an address, in a scope.
   * Parameters: the address, the scope twice ({@link Enqueuer#scopeKey}).
   */
  private final String selectQueuedWithRecipient;

  /**
   * Locks those of the following ids still queued, deferred or held; then {@link #lockQueuedTail}.
   */
  private final String lockQueuedHead;

  private final String lockQueuedTail;

  /**
   * Suppresses an address's pending recipients in the listed messages. Parameters: address, ids.
   */
  private final String suppressRecipientsHead;

  /** Makes the listed queued or deferred messages due now when nothing is pending any more. */
  private final String dueIfNothingPendingHead;

  JdbcMailAdmin(JdbcMailStore store, Jdbi jdbi, Dialect dialect) {
    this.store = store;
    this.jdbi = jdbi;
    this.dialect = dialect;
    this.selectQueuedWithRecipient =
        dialect.fill(
            "SELECT DISTINCT r.message_id FROM {p}recipient r "
                + "JOIN {p}message m ON m.id = r.message_id WHERE LOWER(r.address) = ? "
                + "AND r.status IN ('PENDING', 'DEFERRED') AND m.state IN ('QUEUED', 'DEFERRED', 'HOLD') "
                + "AND (? = '*' OR m.tag = ?)");
    this.lockQueuedHead = dialect.fill("SELECT id FROM {p}message WHERE id IN (");
    this.lockQueuedTail = " AND state IN ('QUEUED', 'DEFERRED', 'HOLD') FOR UPDATE";
    this.suppressRecipientsHead =
        dialect.fill(
            "UPDATE {p}recipient SET status = 'SUPPRESSED', updated_at = NULL "
                + "WHERE LOWER(address) = ? AND status IN ('PENDING', 'DEFERRED') AND message_id IN (");
    this.dueIfNothingPendingHead =
        dialect.fill(
            "UPDATE {p}message SET due_at = {now}, updated_at = {now} "
                + "WHERE state IN ('QUEUED', 'DEFERRED') AND NOT EXISTS (SELECT 1 FROM {p}recipient r "
                + "WHERE r.message_id = {p}message.id AND r.status IN ('PENDING', 'DEFERRED')) AND id IN (");
  }

  /** A WHERE clause over {@code {p}message m} and its parameters. */
  private record Where(String sql, List<Object> params) {}

  private Where where(MessageFilter f, boolean paging) {
    StringBuilder sql = new StringBuilder(" WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (!f.ids().isEmpty()) {
      sql.append(" AND m.id IN (").append(placeholders(f.ids().size())).append(')');
      for (MessageId id : f.ids()) {
        params.add(dialect.id(id.value()));
      }
    }
    if (!f.states().isEmpty()) {
      sql.append(" AND m.state IN (").append(placeholders(f.states().size())).append(')');
      for (MessageState s : f.states()) {
        params.add(s.name());
      }
    }
    if (f.tag() != null) {
      sql.append(" AND m.id IN (SELECT b.message_id FROM {p}body b WHERE b.tag = ?)");
      params.add(f.tag());
    }
    if (f.sender() != null) {
      sql.append(" AND m.id IN (SELECT b.message_id FROM {p}body b WHERE b.envelope_from = ?)");
      params.add(f.sender());
    }
    if (f.recipientDomain() != null) {
      sql.append(
          " AND EXISTS (SELECT 1 FROM {p}recipient r WHERE r.message_id = m.id AND r.domain = ?)");
      params.add(f.recipientDomain());
    }
    if (f.olderThan() != null) {
      sql.append(" AND m.created_at <= {now} - ?");
      params.add(f.olderThan().toMillis());
    }
    if (f.youngerThan() != null) {
      sql.append(" AND m.created_at > {now} - ?");
      params.add(f.youngerThan().toMillis());
    }
    if (f.lastReplyCode() != null) {
      sql.append(" AND m.last_code = ?");
      params.add(f.lastReplyCode());
    }
    if (f.lastReplyLike() != null) {
      sql.append(" AND m.last_text LIKE ? ESCAPE '").append(MessageFilter.LIKE_ESCAPE).append('\'');
      params.add(f.lastReplyLike());
    }
    if (paging && f.after() != null) {
      sql.append(" AND m.id > ?");
      params.add(dialect.id(f.after().value()));
    }
    return new Where(sql.toString(), params);
  }

  private <S extends SqlStatement<S>> S bind(S statement, List<Object> params) {
    bindAll(statement, 0, params);
    return statement;
  }

  // ---------------------------------------------------------------- inspection

  @Override
  public List<MessageSummary> list(MessageFilter filter) {
    Where w = where(filter, true);
    List<Object> params = new ArrayList<>(w.params());
    params.add(filter.limit());
    params.add(filter.offset());
    return jdbi.withHandle(
        h ->
            bind(
                    h.createQuery(
                        dialect.fill(
                            "SELECT m.id, m.state, m.tag, m.priority, "
                                + "m.envelope_from, m.size_bytes, m.attempts, m.created_at, m.due_at, m.last_code, m.last_enhanced, "
                                + "m.last_text, (SELECT COUNT(*) FROM {p}recipient r WHERE r.message_id = m.id), "
                                + "(SELECT COUNT(*) FROM {p}recipient r WHERE r.message_id = m.id AND r.status IN ('PENDING', 'DEFERRED')) "
                                + "FROM {p}message m"
                                + w.sql()
                                + " ORDER BY m.id LIMIT ? OFFSET ?")),
                    params)
                .map(
                    (rs, ctx) ->
                        new MessageSummary(
                            new MessageId(UUID.fromString(rs.getString(1))),
                            MessageState.valueOf(rs.getString(2)),
                            rs.getString(3),
                            Priority.ofRank(rs.getInt(4)),
                            MailAddress.of(rs.getString(5)),
                            rs.getInt(13),
                            rs.getInt(14),
                            rs.getInt(6),
                            rs.getInt(7),
                            Instant.ofEpochMilli(rs.getLong(8)),
                            instant(rs, 9),
                            reply(rs, 10)))
                .list());
  }

  @Override
  public long count(MessageFilter filter) {
    Where w = where(filter, false);
    return jdbi.withHandle(
        h ->
            bind(
                    h.createQuery(dialect.fill("SELECT COUNT(*) FROM {p}message m" + w.sql())),
                    w.params())
                .mapTo(Long.class)
                .one());
  }

  @Override
  public Optional<MessageDetails> show(MessageId id) {
    Optional<MessageView> view = store.find(id);
    if (view.isEmpty()) {
      return Optional.empty();
    }
    return jdbi.withHandle(
        h -> {
          Object key = dialect.id(id.value());
          // A SENDING message's due_at is its lease's end: the claim sets it to now + lease,
          // renewals move it.
          Object[] row =
              h.createQuery(
                      dialect.fill(
                          "SELECT size_bytes, state, lease_owner, due_at FROM {p}message "
                              + "WHERE id = ?"))
                  .bind(0, key)
                  .map(
                      (rs, ctx) ->
                          new Object[] {
                            rs.getInt(1), rs.getString(2), rs.getString(3), instant(rs, 4)
                          })
                  .findOne()
                  .orElse(new Object[] {0, null, null, null});
          boolean sending = MessageState.SENDING.name().equals(row[1]);
          List<AttemptView> attempts =
              h.createQuery(
                      dialect.fill(
                          "SELECT finished_at, remote_host, outcome, reply_code, "
                              + "reply_enhanced, reply_text, duration_ms, counted, uncertain FROM {p}attempt WHERE message_id = ? "
                              + "ORDER BY finished_at, lease_token"))
                  .bind(0, key)
                  .map(
                      (rs, ctx) ->
                          new AttemptView(
                              Instant.ofEpochMilli(rs.getLong(1)),
                              rs.getString(2),
                              MessageState.valueOf(rs.getString(3)),
                              reply(rs, 4),
                              Duration.ofMillis(rs.getLong(7)),
                              rs.getBoolean(8),
                              rs.getBoolean(9)))
                  .list();
          return Optional.of(
              new MessageDetails(
                  view.get(),
                  (Integer) row[0],
                  attempts,
                  sending ? (String) row[2] : null,
                  sending ? (Instant) row[3] : null));
        });
  }

  /** Two queries for any number of ids: the messages, then their recipients. */
  @Override
  public List<MessageView> views(List<MessageId> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    List<Object> keys = new ArrayList<>();
    for (MessageId id : ids) {
      keys.add(dialect.id(id.value()));
    }
    return jdbi.withHandle(
        h -> {
          Map<String, List<MessageView.Recipient>> recipients = new HashMap<>();
          bind(
                  h.createQuery(
                      dialect.fill(
                          "SELECT message_id, address, status, reply_code, reply_enhanced, reply_text "
                              + "FROM {p}recipient WHERE message_id IN ("
                              + placeholders(keys.size())
                              + ") ORDER BY message_id, idx")),
                  keys)
              .map(
                  (rs, ctx) ->
                      recipients
                          .computeIfAbsent(
                              rs.getString(1).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                          .add(
                              new MessageView.Recipient(
                                  MailAddress.of(rs.getString(2)),
                                  RecipientStatus.valueOf(rs.getString(3)),
                                  reply(rs, 4))))
              .list();
          Map<String, MessageView> byId = new HashMap<>();
          bind(
                  h.createQuery(
                      dialect.fill(
                          "SELECT id, message_id_header, state, tag, priority, attempts, "
                              + "uncertain_attempts, envelope_from, created_at, due_at, expires_at FROM {p}message WHERE id IN ("
                              + placeholders(keys.size())
                              + ")")),
                  keys)
              .map(
                  (rs, ctx) -> {
                    String id = rs.getString(1).toLowerCase(Locale.ROOT);
                    return byId.put(
                        id,
                        new MessageView(
                            new MessageId(UUID.fromString(id)),
                            rs.getString(2),
                            MessageState.valueOf(rs.getString(3)),
                            rs.getString(4),
                            Priority.ofRank(rs.getInt(5)),
                            rs.getInt(6),
                            rs.getInt(7),
                            MailAddress.of(rs.getString(8)),
                            Instant.ofEpochMilli(rs.getLong(9)),
                            instant(rs, 10),
                            Instant.ofEpochMilli(rs.getLong(11)),
                            recipients.getOrDefault(id, List.of())));
                  })
              .list();
          List<MessageView> views = new ArrayList<>();
          for (MessageId id : ids) {
            MessageView v = byId.get(id.toString());
            if (v != null) {
              views.add(v);
            }
          }
          return views;
        });
  }

  /** The stored body; a finished message's body is empty when the store does not retain bodies. */
  @Override
  public Optional<byte[]> content(MessageId id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(dialect.fill("SELECT mime FROM {p}body WHERE message_id = ?"))
                .bind(0, dialect.id(id.value()))
                .map((rs, ctx) -> rs.getBytes(1))
                .findOne()
                .filter(mime -> mime.length > 0));
  }

  @Override
  public QueueStats stats() {
    return store.stats();
  }

  @Override
  public QueueShape shape(Set<MessageState> states, int maxDomains) {
    if (states.isEmpty()) {
      throw new IllegalArgumentException("shape needs at least one state");
    }
    if (maxDomains < 1) {
      throw new IllegalArgumentException("maxDomains must be positive: " + maxDomains);
    }
    StringBuilder bucket = new StringBuilder("CASE");
    for (int i = 0; i < QueueShape.BUCKETS.size(); i++) {
      bucket
          .append(" WHEN {now} - m.created_at < ")
          .append(QueueShape.BUCKETS.get(i).toMillis())
          .append(" THEN ")
          .append(i);
    }
    bucket.append(" ELSE ").append(QueueShape.BUCKETS.size()).append(" END");
    List<Object> params = new ArrayList<>();
    for (MessageState s : states) {
      params.add(s.name());
    }
    int width = QueueShape.BUCKETS.size() + 1;
    Map<String, long[]> byDomain = new HashMap<>();
    jdbi.useHandle(
        h ->
            bind(
                    h.createQuery(
                        dialect.fill(
                            "SELECT domain, bucket, COUNT(DISTINCT id) FROM ("
                                + "SELECT r.domain AS domain, "
                                + bucket
                                + " AS bucket, m.id AS id FROM {p}message m "
                                + "JOIN {p}recipient r ON r.message_id = m.id WHERE m.state IN ("
                                + placeholders(states.size())
                                + ") "
                                + "AND r.status IN ('PENDING', 'DEFERRED')) x GROUP BY domain, bucket")),
                    params)
                .map(
                    (rs, ctx) ->
                        byDomain
                                .computeIfAbsent(rs.getString(1), d -> new long[width])[
                                rs.getInt(2)] +=
                            rs.getLong(3))
                .list());
    long[] total = new long[width];
    List<Map.Entry<String, long[]>> rows = new ArrayList<>(byDomain.entrySet());
    for (Map.Entry<String, long[]> e : rows) {
      for (int i = 0; i < width; i++) {
        total[i] += e.getValue()[i];
      }
    }
    rows.sort(
        (a, b) -> {
          int c =
              Long.compare(Arrays.stream(b.getValue()).sum(), Arrays.stream(a.getValue()).sum());
          return c != 0 ? c : a.getKey().compareTo(b.getKey());
        });
    List<QueueShape.Row> domains = new ArrayList<>();
    for (Map.Entry<String, long[]> e : rows.subList(0, Math.min(maxDomains, rows.size()))) {
      domains.add(row(e.getKey(), e.getValue()));
    }
    return new QueueShape(QueueShape.BUCKETS, row("TOTAL", total), domains);
  }

  private static QueueShape.Row row(String domain, long[] counts) {
    List<Long> list = new ArrayList<>(counts.length);
    long sum = 0;
    for (long c : counts) {
      list.add(c);
      sum += c;
    }
    return new QueueShape.Row(domain, sum, list);
  }

  // ---------------------------------------------------------------- operations

  /** QUEUED or DEFERRED: waiting, not being sent, not finished. */
  private static final String WAITING = "m.state IN ('QUEUED', 'DEFERRED')";

  @Override
  public int hold(MessageFilter filter) {
    return bulk(
        filter,
        WAITING,
        (h, ids) ->
            update(
                h,
                "UPDATE {p}message SET state = 'HOLD', due_at = NULL, "
                    + "updated_at = {now} WHERE state IN ('QUEUED', 'DEFERRED') AND id IN (",
                ids));
  }

  @Override
  public int release(MessageFilter filter) {
    return bulk(
        filter,
        "m.state = 'HOLD'",
        (h, ids) ->
            update(
                h,
                "UPDATE {p}message SET state = CASE WHEN "
                    + "attempts = 0 THEN 'QUEUED' ELSE 'DEFERRED' END, due_at = {now}, updated_at = {now} "
                    + "WHERE state = 'HOLD' AND id IN (",
                ids));
  }

  @Override
  public int retryNow(MessageFilter filter) {
    return bulk(
        filter,
        WAITING + " AND m.due_at > {now}",
        (h, ids) ->
            update(
                h,
                "UPDATE {p}message SET "
                    + "due_at = {now}, updated_at = {now} WHERE state IN ('QUEUED', 'DEFERRED') AND due_at > {now} AND id IN (",
                ids));
  }

  @Override
  public int expire(MessageFilter filter) {
    return bulk(
        filter,
        "m.state IN ('QUEUED', 'DEFERRED', 'HOLD')",
        (h, ids) -> {
          // One fenced UPDATE per message, so that only the recipients of messages really expired
          // change.
          PreparedBatch messages =
              h.prepareBatch(
                  dialect.fill(
                      "UPDATE {p}message SET state = 'EXPIRED', due_at = NULL, "
                          + "finished_at = {now}, updated_at = {now} WHERE id = ? AND state IN ('QUEUED', 'DEFERRED', 'HOLD')"));
          for (Object id : ids) {
            messages.bind(0, id).add();
          }
          int[] counts = messages.execute();
          List<Object> expired = new ArrayList<>();
          for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
              expired.add(ids.get(i));
            }
          }
          if (!expired.isEmpty()) {
            Update recipients =
                h.createUpdate(
                    dialect.fill(
                        "UPDATE {p}recipient SET status = 'EXPIRED', updated_at = {now} "
                            + "WHERE status IN ('PENDING', 'DEFERRED') AND message_id IN ("
                            + placeholders(expired.size())
                            + ")"));
            bindAll(recipients, 0, expired);
            recipients.execute();
          }
          return expired.size();
        });
  }

  @Override
  public int delete(MessageFilter filter) {
    return bulk(
        filter,
        "1 = 1",
        (h, ids) -> {
          // Children first: the tables cascade, but explicit deletes keep this independent of the
          // FK setup.
          for (String child : List.of("attempt", "recipient", "body")) {
            Update d =
                h.createUpdate(
                    dialect.fill(
                        "DELETE FROM {p}"
                            + child
                            + " WHERE message_id IN ("
                            + placeholders(ids.size())
                            + ")"));
            bindAll(d, 0, ids);
            d.execute();
          }
          return update(h, "DELETE FROM {p}message WHERE id IN (", ids);
        });
  }

  private int update(Handle h, String sqlUpToIdList, List<Object> ids) {
    Update u = h.createUpdate(dialect.fill(sqlUpToIdList + placeholders(ids.size()) + ")"));
    bindAll(u, 0, ids);
    return u.execute();
  }

  /** Changes one chunk of selected ids inside the chunk's transaction; returns how many changed. */
  @FunctionalInterface
  private interface ChunkOperation {
    int apply(Handle h, List<Object> ids);
  }

  /**
   * Selects up to {@link #CHUNK} ids matching the filter and {@code eligible}, applies the
   * operation in the same transaction, and repeats until a chunk comes back short. Every operation
   * makes its messages ineligible, so the loop ends.
   */
  private int bulk(MessageFilter filter, String eligible, ChunkOperation operation) {
    Where w = where(filter, false);
    String select =
        dialect.fill(
            "SELECT m.id FROM {p}message m"
                + w.sql()
                + " AND "
                + eligible
                + " ORDER BY m.id LIMIT "
                + CHUNK);
    int total = 0;
    while (true) {
      int[] selected = new int[1];
      total +=
          jdbi.inTransaction(
              h -> {
                List<Object> ids =
                    bind(h.createQuery(select), w.params())
                        .map((rs, ctx) -> dialect.id(UUID.fromString(rs.getString(1))))
                        .list();
                selected[0] = ids.size();
                return ids.isEmpty() ? 0 : operation.apply(h, ids);
              });
      if (selected[0] < CHUNK) {
        return total;
      }
    }
  }

  // ---------------------------------------------------------------- suppression list

  @Override
  public void suppress(String address, String scope, String reason, Duration ttl) {
    String scopeKey = Enqueuer.scopeKey(scope);
    String key =
        Enqueuer.suppressionKey(
            MailAddress.of(Objects.requireNonNull(address, "address")).address());
    if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    String why = reason == null || reason.isBlank() ? Suppression.MANUAL : reason.strip();
    if (why.length() > 64) {
      throw new IllegalArgumentException("reason longer than 64 characters: " + why);
    }
    int[] changed =
        jdbi.inTransaction(
            h -> {
              h.createUpdate(dialect.upsertSuppression())
                  .bind(0, key)
                  .bind(1, scopeKey)
                  .bind(2, why)
                  .bindByType(3, null, Integer.class)
                  .bindByType(4, null, String.class)
                  .bindByType(5, null, String.class)
                  .bindByType(6, ttl == null ? null : ttl.toMillis(), Long.class)
                  .execute();
              return suppressQueued(h, key, scopeKey);
            });
    if (changed[0] > 0) {
      log.info(
          "suppressed an address ({}, scope {}): {} of its recipients in {} queued messages will not be "
              + "sent; {} of those messages have nothing left to send and are due now",
          why,
          scopeKey,
          changed[0],
          changed[1],
          changed[2]);
    }
  }

  /**
   * Suppresses the pending recipients of {@code key} in mail of {@code scopeKey} (all mail, or the
   * mail with that tag) that is queued, deferred or held, leaving messages being sent alone;
   * returns recipients suppressed, messages touched, messages made due. The message rows are locked
   * first (a claim skips locked rows, and waits for none), so that no claim reads a recipient this
   * transaction is changing. The recipients keep updated_at NULL: the next claim of their message
   * hands them to the engine, which records them SUPPRESSED and tells the listener; a message left
   * with nothing to send is due at once.
   */
  private int[] suppressQueued(Handle h, String key, String scopeKey) {
    List<Object> ids =
        h.createQuery(selectQueuedWithRecipient)
            .bind(0, key)
            .bind(1, scopeKey)
            .bind(2, scopeKey)
            .map((rs, ctx) -> dialect.id(UUID.fromString(rs.getString(1))))
            .list();
    int recipients = 0;
    int messages = 0;
    int due = 0;
    for (int from = 0; from < ids.size(); from += CHUNK) {
      List<Object> chunk = ids.subList(from, Math.min(ids.size(), from + CHUNK));
      String idList = placeholders(chunk.size()) + ")";
      List<Object> locked =
          bind(h.createQuery(lockQueuedHead + idList + lockQueuedTail), chunk)
              .map((rs, ctx) -> dialect.id(UUID.fromString(rs.getString(1))))
              .list();
      if (locked.isEmpty()) {
        continue;
      }
      String lockedList = placeholders(locked.size()) + ")";
      Update suppress = h.createUpdate(suppressRecipientsHead + lockedList);
      suppress.bind(0, key);
      bindAll(suppress, 1, locked);
      recipients += suppress.execute();
      messages += locked.size();
      due += bind(h.createUpdate(dueIfNothingPendingHead + lockedList), locked).execute();
    }
    return new int[] {recipients, messages, due};
  }

  @Override
  public Erasure erase(String address) {
    String key =
        Enqueuer.suppressionKey(
            MailAddress.of(Objects.requireNonNull(address, "address")).address());
    return jdbi.inTransaction(
        h -> {
          boolean suppression =
              h.createUpdate(dialect.fill("DELETE FROM {p}suppression WHERE address = ?"))
                      .bind(0, key)
                      .execute()
                  > 0;
          List<String[]> rows =
              h.createQuery(
                      dialect.fill(
                          "SELECT m.id, m.state FROM {p}message m "
                              + "WHERE LOWER(m.envelope_from) = ? OR m.id IN (SELECT r.message_id FROM {p}recipient r "
                              + "WHERE LOWER(r.address) = ?)"))
                  .bind(0, key)
                  .bind(1, key)
                  .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
                  .list();
          List<Object> ids = new ArrayList<>();
          int sending = 0;
          for (String[] r : rows) {
            if (MessageState.SENDING.name().equals(r[1])) {
              sending++;
            } else {
              ids.add(dialect.id(UUID.fromString(r[0])));
            }
          }
          int erased = 0;
          for (int from = 0; from < ids.size(); from += 500) {
            List<Object> chunk = ids.subList(from, Math.min(ids.size(), from + 500));
            // SENDING again in the condition: a claim between the select and this delete keeps its
            // message
            Update delete =
                h.createUpdate(
                    dialect.fill(
                        "DELETE FROM {p}message WHERE state <> 'SENDING' AND id IN ("
                            + placeholders(chunk.size())
                            + ")"));
            for (int i = 0; i < chunk.size(); i++) {
              delete.bind(i, chunk.get(i));
            }
            erased += delete.execute();
          }
          sending += ids.size() - erased;
          log.info(
              "erased {} messages of one address on request; {} being sent were left{}",
              erased,
              sending,
              suppression ? "; its suppression entry was removed" : "");
          return new Erasure(erased, sending, suppression);
        });
  }

  @Override
  public boolean unsuppress(String address) {
    String key = Enqueuer.suppressionKey(address.strip());
    return jdbi.withHandle(
            h ->
                h.createUpdate(dialect.fill("DELETE FROM {p}suppression WHERE address = ?"))
                    .bind(0, key)
                    .execute())
        > 0;
  }

  @Override
  public Optional<Suppression> suppression(String address) {
    return suppression(address, null);
  }

  @Override
  public Optional<Suppression> suppression(String address, String scope) {
    String key = Enqueuer.suppressionKey(address.strip());
    String scopeKey = Enqueuer.scopeKey(scope);
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    dialect.fill(
                        SUPPRESSION_COLUMNS
                            + "WHERE address = ? AND scope = ? "
                            + "AND (expires_at IS NULL OR expires_at > {now})"))
                .bind(0, key)
                .bind(1, scopeKey)
                .map((rs, ctx) -> suppressionRow(rs))
                .findOne());
  }

  @Override
  public List<Suppression> suppressions(String afterAddress, int limit) {
    checkLimit(limit);
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    dialect.fill(
                        SUPPRESSION_COLUMNS
                            + "WHERE (expires_at IS NULL OR expires_at > {now}) "
                            + "AND address > ? ORDER BY address, scope LIMIT ?"))
                .bind(0, afterAddress == null ? "" : Enqueuer.suppressionKey(afterAddress))
                .bind(1, limit)
                .map((rs, ctx) -> suppressionRow(rs))
                .list());
  }

  @Override
  public List<Suppression> suppressionsAfter(Suppression after, int limit) {
    if (after == null) {
      return suppressions((String) null, limit);
    }
    checkLimit(limit);
    String key = Enqueuer.suppressionKey(after.address());
    String scopeKey = Enqueuer.scopeKey(after.scope());
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    dialect.fill(
                        SUPPRESSION_COLUMNS
                            + "WHERE (expires_at IS NULL OR expires_at > {now}) "
                            + "AND (address > ? OR (address = ? AND scope > ?)) "
                            + "ORDER BY address, scope LIMIT ?"))
                .bind(0, key)
                .bind(1, key)
                .bind(2, scopeKey)
                .bind(3, limit)
                .map((rs, ctx) -> suppressionRow(rs))
                .list());
  }

  private static void checkLimit(int limit) {
    if (limit < 1 || limit > MessageFilter.MAX_LIMIT) {
      throw new IllegalArgumentException(
          "limit must be 1.." + MessageFilter.MAX_LIMIT + ": " + limit);
    }
  }

  /** The columns {@link #suppressionRow} reads, and FROM; followed by the WHERE clause. */
  private static final String SUPPRESSION_COLUMNS =
      "SELECT address, scope, reason, reply_code, reply_enhanced, reply_text, created_at, "
          + "expires_at FROM {p}suppression ";

  private static Suppression suppressionRow(ResultSet rs) throws SQLException {
    return new Suppression(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        reply(rs, 4),
        Instant.ofEpochMilli(rs.getLong(7)),
        instant(rs, 8));
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  @Override
  public String toString() {
    return "JdbcMailAdmin[" + dialect.name() + ", " + dialect.prefix + "]";
  }
}
