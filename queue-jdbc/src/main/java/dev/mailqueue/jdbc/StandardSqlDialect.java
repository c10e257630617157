package dev.mailqueue.jdbc;

import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.Update;

/**
 * The claim and completion of databases without UPDATE ... RETURNING over arrays (MariaDB, MySQL,
 * H2): the claim selects due ids with {@code FOR UPDATE SKIP LOCKED}, updates them and reads them
 * back, all in the caller's transaction; a completion is three JDBC batches.
 */
abstract class StandardSqlDialect extends Dialect {
  /** Reads the database clock. */
  private final String selectNow;

  /**
   * Selects due ids, locking them and skipping rows other claimers locked. Parameters: now, limit.
   */
  private final String selectDueForUpdate;

  /**
   * Leases the selected rows; followed by their id list. Parameters: owner, lease end, now, ids.
   */
  private final String leaseSelectedHead;

  /** Reads the leased rows back; followed by their id list and the order. */
  private final String readLeasedHead;

  /**
   * Records one completion, fenced by lease token and SENDING state. Parameters: new state, retry
   * delay ms (null: not due), 1 if the attempt counts, 1 if uncertain, 0 if finished (else null),
   * reply code, enhanced code, text, id, lease token.
   */
  private final String completeMessage;

  /**
   * Records one recipient's outcome. Parameters: status, code, enhanced code, text, message id,
   * index.
   */
  private final String completeRecipient;

  /**
   * Appends one attempt. Parameters: message id, lease token, duration ms, remote host, outcome,
   * counted, uncertain, reply code, enhanced code, text.
   */
  private final String insertAttempt;

  StandardSqlDialect(
      String name,
      String now,
      String prefix,
      int statementTimeoutSeconds,
      String selectByIdempotencyKey) {
    super(name, now, prefix, statementTimeoutSeconds, selectByIdempotencyKey);
    this.selectNow = "SELECT " + now;
    this.selectDueForUpdate =
        fill(
            "SELECT id FROM {p}message WHERE due_at <= ? ORDER BY priority, due_at LIMIT ? "
                + "FOR UPDATE SKIP LOCKED");
    this.leaseSelectedHead =
        fill(
            "UPDATE {p}message SET state = 'SENDING', lease_token = lease_token + 1, "
                + "lease_owner = ?, due_at = ?, updated_at = ? WHERE id IN (");
    this.readLeasedHead =
        fill(
            "SELECT id, lease_token, attempts, created_at, expires_at, priority, tag, "
                + "envelope_from, message_id_header, size_bytes FROM {p}message WHERE id IN (");
    this.completeMessage =
        fill(
            "UPDATE {p}message SET state = ?, due_at = {now} + ?, "
                + "attempts = attempts + ?, uncertain_attempts = uncertain_attempts + ?, lease_owner = NULL, "
                + "updated_at = {now}, finished_at = {now} + ?, last_code = ?, last_enhanced = ?, last_text = ? "
                + "WHERE id = ? AND lease_token = ? AND state = 'SENDING'");
    this.completeRecipient =
        fill(
            "UPDATE {p}recipient SET status = ?, reply_code = ?, "
                + "reply_enhanced = ?, reply_text = ?, updated_at = {now} WHERE message_id = ? AND idx = ?");
    this.insertAttempt =
        fill(
            "INSERT INTO {p}attempt (message_id, lease_token, "
                + "finished_at, duration_ms, remote_host, outcome, counted, uncertain, reply_code, reply_enhanced, "
                + "reply_text) VALUES (?, ?, {now}, ?, ?, ?, ?, ?, ?, ?, ?)");
  }

  /** The claim's clock is read once, so that the lease end and the claimed time agree. */
  @Override
  List<ClaimRow> claim(Handle h, String owner, int limit, Duration lease) {
    long now = h.createQuery(selectNow).mapTo(Long.class).one();
    List<Object> ids =
        h.createQuery(selectDueForUpdate)
            .bind(0, now)
            .bind(1, limit)
            .map((rs, ctx) -> id(UUID.fromString(rs.getString(1))))
            .list();
    if (ids.isEmpty()) {
      return List.of();
    }
    String idList = placeholders(ids.size()) + ")";
    Update update = h.createUpdate(leaseSelectedHead + idList);
    update.bind(0, owner).bind(1, now + lease.toMillis()).bind(2, now);
    bindAll(update, 3, ids);
    update.execute();
    Query q = h.createQuery(readLeasedHead + idList + " ORDER BY priority, created_at");
    bindAll(q, 0, ids);
    return q.map((rs, ctx) -> ClaimRow.read(rs, now)).list();
  }

  /** Message rows, then recipients and attempt history of the recorded ones, as JDBC batches. */
  @Override
  List<Boolean> complete(Handle h, List<ClaimedMail> mails, List<Completion> completions) {
    PreparedBatch messages = h.prepareBatch(completeMessage);
    for (int i = 0; i < mails.size(); i++) {
      Completion c = completions.get(i);
      SmtpReply summary = c.summary();
      messages
          .bind(0, c.newState().name())
          .bindByType(1, c.retryDelay() == null ? null : c.retryDelay().toMillis(), Long.class)
          .bind(2, c.countsAsAttempt() ? 1 : 0)
          .bind(3, c.uncertain() ? 1 : 0)
          .bindByType(4, c.newState().isTerminal() ? 0L : null, Long.class)
          .bindByType(5, summary == null ? null : summary.code(), Integer.class)
          .bindByType(6, summary == null ? null : summary.enhancedStatus(), String.class)
          .bindByType(7, summary == null ? null : summary.text(), String.class)
          .bind(8, id(mails.get(i).id().value()))
          .bind(9, mails.get(i).leaseToken())
          .add();
    }
    int[] counts = messages.execute();
    List<Boolean> recorded = new ArrayList<>(mails.size());
    for (int i = 0; i < mails.size(); i++) {
      if (counts[i] < 0) {
        throw new JdbcStoreException(
            "the driver reported no update count for a fenced completion ("
                + counts[i]
                + "); disable bulk statements on this connection (MariaDB: useBulkStmts=false)");
      }
      recorded.add(counts[i] == 1);
    }

    PreparedBatch recipients = h.prepareBatch(completeRecipient);
    PreparedBatch attempts = h.prepareBatch(insertAttempt);
    boolean anyRecipient = false;
    boolean anyAttempt = false;
    for (int i = 0; i < mails.size(); i++) {
      if (!recorded.get(i)) {
        continue;
      }
      Object id = id(mails.get(i).id().value());
      Completion c = completions.get(i);
      for (Completion.RecipientUpdate r : c.recipients()) {
        recipients
            .bind(0, r.status().name())
            .bindByType(1, r.reply() == null ? null : r.reply().code(), Integer.class)
            .bindByType(2, r.reply() == null ? null : r.reply().enhancedStatus(), String.class)
            .bindByType(3, r.reply() == null ? null : r.reply().text(), String.class)
            .bind(4, id)
            .bind(5, r.index())
            .add();
        anyRecipient = true;
      }
      SmtpReply summary = c.summary();
      attempts
          .bind(0, id)
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
}
