package dev.mailqueue.jdbc;

import java.util.UUID;

/**
 * MariaDB 10.6+ and MySQL 8.0+: the select-then-update claim and batched completion of {@link
 * StandardSqlDialect} (SKIP LOCKED, in a READ COMMITTED transaction); ids as CHAR(36).
 */
final class MariaDbDialect extends StandardSqlDialect {
  private static final String NOW = "CAST(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000 AS SIGNED)";

  private final String insertMessage;
  private final String upsertSuppression;
  private final String upsertNode;

  MariaDbDialect(String prefix, int statementTimeoutSeconds) {
    super(
        "mariadb",
        NOW,
        prefix,
        statementTimeoutSeconds,
        "SELECT id FROM {p}message WHERE idempotency_key = ? LOCK IN SHARE MODE");
    this.insertMessage =
        fill(
            """
        INSERT INTO {p}message (id, state, priority, due_at, created_at, updated_at, expires_at, tag, envelope_from,
                                message_id_header, idempotency_key, size_bytes)
        SELECT ?, 'QUEUED', ?, GREATEST(n.t, COALESCE(?, 0)), n.t, n.t, n.t + ?, ?, ?, ?, ?, ?
          FROM (SELECT {now} AS t) n""");
    this.upsertSuppression =
        fill(
            """
        INSERT INTO {p}suppression (address, scope, reason, reply_code, reply_enhanced, reply_text, created_at, expires_at)
        SELECT ?, ?, ?, ?, ?, ?, n.t, n.t + ? FROM (SELECT {now} AS t) n
        ON DUPLICATE KEY UPDATE reason = VALUES(reason), reply_code = VALUES(reply_code),
          reply_enhanced = VALUES(reply_enhanced), reply_text = VALUES(reply_text),
          created_at = VALUES(created_at), expires_at = VALUES(expires_at)""");
    this.upsertNode =
        fill(
            """
        INSERT INTO {p}node (node_id, heartbeat_at, started_at) SELECT ?, n.t, n.t FROM (SELECT {now} AS t) n
        ON DUPLICATE KEY UPDATE heartbeat_at = VALUES(heartbeat_at)""");
  }

  @Override
  Object id(UUID id) {
    return id.toString();
  }

  @Override
  String insertMessage() {
    return insertMessage;
  }

  @Override
  boolean batchesInserts() {
    return false;
  }

  /**
   * A duplicate key fails only the statement in InnoDB, so the caller's transaction stays usable.
   */
  @Override
  boolean duplicateIsError() {
    return true;
  }

  @Override
  String upsertSuppression() {
    return upsertSuppression;
  }

  @Override
  String upsertNode() {
    return upsertNode;
  }
}
