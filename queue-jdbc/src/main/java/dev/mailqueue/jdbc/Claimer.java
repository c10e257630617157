package dev.mailqueue.jdbc;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.Priority;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;

/**
 * Claims: the dialect's lease of due rows, then their recipients and small bodies in one query
 * each; the body of a larger message when it is sent, lease renewal, and the release of claims
 * never started.
 */
final class Claimer {
  private final Jdbi jdbi;
  private final Dialect dialect;
  private final WriteTransactions transactions;
  private final int preloadBodyBytes;

  /** Followed by {@link Dialect#idIn} over message_id. */
  private final String selectBodiesHead;

  /** Followed by {@link Dialect#idIn} over message_id and the order. */
  private final String selectRecipientsHead;

  private final String selectMime;
  private final String renewLease;
  private final String release;

  Claimer(Jdbi jdbi, Dialect dialect, WriteTransactions transactions, int preloadBodyBytes) {
    this.jdbi = jdbi;
    this.dialect = dialect;
    this.transactions = transactions;
    this.preloadBodyBytes = preloadBodyBytes;
    this.selectBodiesHead = dialect.fill("SELECT message_id, mime FROM {p}body WHERE ");
    this.selectRecipientsHead =
        dialect.fill(
            "SELECT message_id, idx, address, status, reply_code, reply_enhanced, "
                + "reply_text, updated_at FROM {p}recipient WHERE ");
    this.selectMime = dialect.fill("SELECT mime FROM {p}body WHERE message_id = ?");
    this.renewLease =
        dialect.fill(
            "UPDATE {p}message SET due_at = {now} + ? WHERE id = ? AND lease_token = ? AND state = 'SENDING'");
    this.release =
        dialect.fill(
            "UPDATE {p}message SET state = CASE WHEN attempts = 0 "
                + "THEN 'QUEUED' ELSE 'DEFERRED' END, due_at = {now}, lease_owner = NULL, lease_token = lease_token + 1 "
                + "WHERE id = ? AND lease_token = ? AND state = 'SENDING'");
  }

  List<ClaimedMail> claim(String owner, int limit, Duration lease) {
    if (limit <= 0) {
      return List.of();
    }
    return transactions.run(
        h -> {
          List<ClaimRow> rows = dialect.claim(h, owner, limit, lease);
          if (rows.isEmpty()) {
            return List.of();
          }
          Map<UUID, List<RecipientRow>> recipients = recipients(h, rows);
          Map<UUID, byte[]> bodies = smallBodies(h, rows);
          List<ClaimedMail> claimed = new ArrayList<>(rows.size());
          for (ClaimRow r : rows) {
            List<PendingRecipient> pending = new ArrayList<>();
            List<PendingRecipient> suppressed = new ArrayList<>();
            boolean bounced = false;
            boolean delivered = false;
            for (RecipientRow rr : recipients.getOrDefault(r.id(), List.of())) {
              switch (rr.status) {
                case PENDING, DEFERRED ->
                    pending.add(new PendingRecipient(rr.idx, MailAddress.of(rr.address), rr.reply));
                case BOUNCED -> bounced = true;
                case DELIVERED -> delivered = true;
                // Suppressed at enqueue or by suppress(): no completion has recorded it yet (a
                // completion sets updated_at), so the engine records it and tells the listener
                // once.
                case SUPPRESSED -> {
                  if (!rr.recorded) {
                    suppressed.add(
                        new PendingRecipient(rr.idx, MailAddress.of(rr.address), rr.reply));
                  }
                }
                default -> {}
              }
            }
            claimed.add(
                new ClaimedMail(
                    new MessageId(r.id()),
                    r.leaseToken(),
                    r.attempts(),
                    Instant.ofEpochMilli(r.createdAt()),
                    Instant.ofEpochMilli(r.expiresAt()),
                    Instant.ofEpochMilli(r.claimedAt()),
                    Priority.ofRank(r.priority()),
                    r.tag(),
                    MailAddress.of(r.envelopeFrom()),
                    r.messageIdHeader(),
                    pending,
                    bounced,
                    bodies.get(r.id()),
                    suppressed,
                    delivered));
          }
          return claimed;
        });
  }

  /**
   * One recipient as the claim reads it; {@code recorded}: a completion wrote it (updated_at set).
   */
  private record RecipientRow(
      int idx, String address, RecipientStatus status, SmtpReply reply, boolean recorded) {}

  /**
   * Reads the bodies of the claimed messages up to {@link #preloadBodyBytes} each and {@link
   * JdbcMailStore#PRELOAD_BUDGET_BYTES} in all, in one query: one round trip per claim instead of
   * one per message. Larger bodies are read when sent.
   */
  private Map<UUID, byte[]> smallBodies(Handle h, List<ClaimRow> rows) {
    List<UUID> ids = new ArrayList<>(rows.size());
    long budget = JdbcMailStore.PRELOAD_BUDGET_BYTES;
    for (ClaimRow r : rows) {
      if (r.sizeBytes() <= preloadBodyBytes && r.sizeBytes() <= budget) {
        ids.add(r.id());
        budget -= r.sizeBytes();
      }
    }
    if (ids.isEmpty()) {
      return Map.of();
    }
    Query q = h.createQuery(selectBodiesHead + dialect.idIn("message_id", ids.size()));
    dialect.bindIds(q, 0, ids);
    Map<UUID, byte[]> result = new HashMap<>();
    q.map((rs, ctx) -> result.put(UUID.fromString(rs.getString(1)), rs.getBytes(2))).list();
    return result;
  }

  private Map<UUID, List<RecipientRow>> recipients(Handle h, List<ClaimRow> rows) {
    List<UUID> ids = new ArrayList<>(rows.size());
    for (ClaimRow r : rows) {
      ids.add(r.id());
    }
    Query q =
        h.createQuery(
            selectRecipientsHead
                + dialect.idIn("message_id", ids.size())
                + " ORDER BY message_id, idx");
    dialect.bindIds(q, 0, ids);
    Map<UUID, List<RecipientRow>> result = new HashMap<>();
    q.map(
            (rs, ctx) -> {
              SmtpReply reply = reply(rs, 5);
              rs.getLong(8);
              boolean recorded = !rs.wasNull();
              result
                  .computeIfAbsent(UUID.fromString(rs.getString(1)), k -> new ArrayList<>())
                  .add(
                      new RecipientRow(
                          rs.getInt(2),
                          rs.getString(3),
                          RecipientStatus.valueOf(rs.getString(4)),
                          reply,
                          recorded));
              return Boolean.TRUE;
            })
        .list();
    return result;
  }

  /**
   * The reply in three columns from {@code firstColumn} (code, enhanced code, text), or null
   * without a code.
   */
  static SmtpReply reply(ResultSet rs, int firstColumn) throws SQLException {
    int code = rs.getInt(firstColumn);
    if (rs.wasNull()) {
      return null;
    }
    return new SmtpReply(code, rs.getString(firstColumn + 1), rs.getString(firstColumn + 2));
  }

  byte[] loadMime(MessageId id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(selectMime)
                .bind(0, dialect.id(id.value()))
                .map((rs, ctx) -> rs.getBytes(1))
                .findOne()
                .orElseThrow(
                    () -> new JdbcStoreException("body of message " + id + " is missing")));
  }

  boolean renewLease(ClaimedMail mail, Duration lease) {
    return jdbi.withHandle(
        h ->
            h.createUpdate(renewLease)
                    .bind(0, lease.toMillis())
                    .bind(1, dialect.id(mail.id().value()))
                    .bind(2, mail.leaseToken())
                    .execute()
                == 1);
  }

  void release(List<ClaimedMail> mails) {
    if (mails.isEmpty()) {
      return;
    }
    jdbi.useTransaction(
        h -> {
          PreparedBatch batch = h.prepareBatch(release);
          for (ClaimedMail m : mails) {
            batch.bind(0, dialect.id(m.id().value())).bind(1, m.leaseToken()).add();
          }
          batch.execute();
        });
  }
}
