package dev.mailqueue.jdbc;

import static dev.mailqueue.jdbc.Claimer.reply;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.QueueStats;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.ReplyCount;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Update;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the store shows of the queue (counts, replies, one message) and the purge of finished mail.
 */
final class QueueInspection {
  private static final Logger log = LoggerFactory.getLogger(JdbcMailStore.class);

  private final Jdbi jdbi;
  private final Dialect dialect;
  private final String countByState;
  private final String oldestWaiting;
  private final String oldestDue;
  private final String replyCounts;
  private final String findRecipients;
  private final String findMessage;
  private final String selectPurgeable;

  /** Followed by the id list. */
  private final String deleteMessagesHead;

  private final String deleteExpiredSuppressions;

  QueueInspection(Jdbi jdbi, Dialect dialect) {
    this.jdbi = jdbi;
    this.dialect = dialect;
    this.countByState = dialect.fill("SELECT state, COUNT(*) FROM {p}message GROUP BY state");
    this.oldestWaiting =
        dialect.fill("SELECT {now} - MIN(created_at) FROM {p}message WHERE finished_at IS NULL");
    // Per priority, so that each lookup is one step down the claim index (priority, due_at).
    this.oldestDue =
        dialect.fill(
            "SELECT {now} - MIN(due_at) FROM {p}message WHERE priority = ? AND due_at <= {now}");
    this.replyCounts =
        dialect.fill(
            "SELECT status, reply_code, reply_enhanced, reply_text, "
                + "COUNT(*) AS n FROM {p}recipient GROUP BY status, reply_code, reply_enhanced, reply_text "
                + "ORDER BY n DESC, status LIMIT ?");
    this.findRecipients =
        dialect.fill(
            "SELECT address, status, reply_code, "
                + "reply_enhanced, reply_text FROM {p}recipient WHERE message_id = ? ORDER BY idx");
    this.findMessage =
        dialect.fill(
            "SELECT id, message_id_header, state, tag, priority, attempts, "
                + "uncertain_attempts, envelope_from, created_at, due_at, expires_at FROM {p}message WHERE id = ?");
    this.selectPurgeable =
        dialect.fill(
            "SELECT id FROM {p}message WHERE finished_at < {now} - ? "
                + "ORDER BY finished_at LIMIT ?");
    this.deleteMessagesHead = dialect.fill("DELETE FROM {p}message WHERE id IN (");
    this.deleteExpiredSuppressions =
        dialect.fill("DELETE FROM {p}suppression WHERE expires_at < {now}");
  }

  QueueStats stats() {
    return jdbi.withHandle(
        h -> {
          Map<MessageState, Long> counts = new EnumMap<>(MessageState.class);
          h.createQuery(countByState)
              .map((rs, ctx) -> counts.put(MessageState.valueOf(rs.getString(1)), rs.getLong(2)))
              .list();
          Duration oldest =
              h.createQuery(oldestWaiting)
                  .map(
                      (rs, ctx) -> {
                        long v = rs.getLong(1);
                        return rs.wasNull() ? Duration.ZERO : Duration.ofMillis(Math.max(0, v));
                      })
                  .one();
          return new QueueStats(counts, oldest);
        });
  }

  /** See {@link JdbcMailStore#dispatchLag()}. */
  Duration dispatchLag() {
    return jdbi.withHandle(
        h -> {
          long lagMillis = 0;
          for (Priority priority : Priority.values()) {
            Long lag =
                h.createQuery(oldestDue)
                    .bind(0, priority.rank())
                    .map((rs, ctx) -> rs.getObject(1) == null ? null : rs.getLong(1))
                    .one();
            if (lag != null) {
              lagMillis = Math.max(lagMillis, lag);
            }
          }
          return Duration.ofMillis(lagMillis);
        });
  }

  List<ReplyCount> replyCounts(int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(replyCounts)
                .bind(0, limit)
                .map(
                    (rs, ctx) ->
                        new ReplyCount(
                            RecipientStatus.valueOf(rs.getString(1)), reply(rs, 2), rs.getLong(5)))
                .list());
  }

  Optional<MessageView> find(MessageId id) {
    return jdbi.withHandle(
        h -> {
          Object key = dialect.id(id.value());
          List<MessageView.Recipient> recipients =
              h.createQuery(findRecipients)
                  .bind(0, key)
                  .map(
                      (rs, ctx) ->
                          new MessageView.Recipient(
                              MailAddress.of(rs.getString(1)),
                              RecipientStatus.valueOf(rs.getString(2)),
                              reply(rs, 3)))
                  .list();
          return h.createQuery(findMessage)
              .bind(0, key)
              .map(
                  (rs, ctx) -> {
                    long due = rs.getLong(10);
                    Instant dueAt = rs.wasNull() ? null : Instant.ofEpochMilli(due);
                    return new MessageView(
                        id,
                        rs.getString(2),
                        MessageState.valueOf(rs.getString(3)),
                        rs.getString(4),
                        Priority.ofRank(rs.getInt(5)),
                        rs.getInt(6),
                        rs.getInt(7),
                        MailAddress.of(rs.getString(8)),
                        Instant.ofEpochMilli(rs.getLong(9)),
                        dueAt,
                        Instant.ofEpochMilli(rs.getLong(11)),
                        recipients);
                  })
              .findOne();
        });
  }

  int purgeFinished(Duration age, int batch) {
    return jdbi.withHandle(
        h -> {
          List<Object> ids =
              h.createQuery(selectPurgeable)
                  .bind(0, age.toMillis())
                  .bind(1, batch)
                  .map((rs, ctx) -> dialect.id(UUID.fromString(rs.getString(1))))
                  .list();
          int purged = 0;
          if (!ids.isEmpty()) {
            Update delete =
                h.createUpdate(deleteMessagesHead + Dialect.placeholders(ids.size()) + ")");
            Dialect.bindAll(delete, 0, ids);
            purged = delete.execute();
          }
          if (ids.size() < batch) {
            // the last round of a purge: suppression entries whose time is up go too
            int expired = h.createUpdate(deleteExpiredSuppressions).execute();
            if (expired > 0) {
              log.info("purged {} expired suppression list entries", expired);
            }
          }
          return purged;
        });
  }
}
