package dev.mailqueue.jdbc;

import java.time.Duration;
import java.util.Objects;
import org.jdbi.v3.core.Jdbi;

/** The node registry: one row per started queue sharing the database, with its heartbeat. */
final class NodeTable {
  /** Nodes silent for this long are deleted from the node table by the next heartbeat. */
  static final Duration FORGET_NODES_AFTER = Duration.ofDays(1);

  private final Jdbi jdbi;
  private final Dialect dialect;
  private final String forgetSilent;
  private final String countLive;
  private final String delete;

  NodeTable(Jdbi jdbi, Dialect dialect) {
    this.jdbi = jdbi;
    this.dialect = dialect;
    this.forgetSilent = dialect.fill("DELETE FROM {p}node WHERE heartbeat_at < {now} - ?");
    this.countLive = dialect.fill("SELECT COUNT(*) FROM {p}node WHERE heartbeat_at > {now} - ?");
    this.delete = dialect.fill("DELETE FROM {p}node WHERE node_id = ?");
  }

  /**
   * Upserts the node's row at the database clock, deletes rows silent for a day, and counts the
   * live ones.
   */
  int heartbeat(String nodeId, Duration liveness) {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(liveness, "liveness");
    return jdbi.withHandle(
        h -> {
          h.createUpdate(dialect.upsertNode()).bind(0, nodeId).execute();
          h.createUpdate(forgetSilent).bind(0, FORGET_NODES_AFTER.toMillis()).execute();
          return h.createQuery(countLive).bind(0, liveness.toMillis()).mapTo(Integer.class).one();
        });
  }

  void leave(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    jdbi.useHandle(h -> h.createUpdate(delete).bind(0, nodeId).execute());
  }
}
