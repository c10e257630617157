package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.MailQueue;
import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The node registry every database must keep: heartbeats at the database clock, the live count,
 * leaving; and the engine publishing the count to a cluster-aware transport. One subclass per real
 * database supplies the DataSource.
 */
abstract class NodeRegistryContract extends StoreTestBase {
  private static final Duration LIVENESS = Duration.ofSeconds(15);

  /** Moves a node's heartbeat and start {@code millis} into the past. */
  private void age(String nodeId, long millis) {
    update(
        "UPDATE "
            + prefix
            + "node SET heartbeat_at = heartbeat_at - ?, started_at = started_at - ? WHERE node_id = ?",
        millis,
        millis,
        nodeId);
  }

  private void update(String sql, Object... params) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** heartbeat_at and started_at of a node, or null when it has no row. */
  private long[] row(String nodeId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT heartbeat_at, started_at FROM " + prefix + "node WHERE node_id = ?")) {
      ps.setString(1, nodeId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void eachNodeCountsItselfAndTheOthersOnce() {
    assertThat(store.heartbeat("node-a", LIVENESS)).isEqualTo(1);
    assertThat(store.heartbeat("node-b", LIVENESS)).isEqualTo(2);
    assertThat(store.heartbeat("node-a", LIVENESS))
        .as("a second heartbeat is no second node")
        .isEqualTo(2);
    assertThat(store.heartbeat("node-b", LIVENESS)).isEqualTo(2);
  }

  @Test
  void aNodeSilentLongerThanTheLivenessNoLongerCounts() {
    store.heartbeat("node-a", LIVENESS);
    store.heartbeat("node-b", LIVENESS);
    age("node-a", LIVENESS.toMillis() + 1_000);

    assertThat(store.heartbeat("node-b", LIVENESS)).isEqualTo(1);
    assertThat(store.heartbeat("node-a", LIVENESS))
        .as("back after its next heartbeat")
        .isEqualTo(2);
  }

  @Test
  void aHeartbeatMovesTheHeartbeatToTheDatabaseClockAndKeepsTheStart() {
    store.heartbeat("node-a", LIVENESS);
    age("node-a", 60_000);
    long[] before = row("node-a");

    store.heartbeat("node-a", LIVENESS);
    long[] after = row("node-a");

    assertThat(after[0]).isGreaterThanOrEqualTo(before[0] + 60_000);
    assertThat(after[1]).as("started_at unchanged").isEqualTo(before[1]);
  }

  @Test
  void aNodeThatLeftIsNotCountedAndLeavingIsIdempotent() {
    store.heartbeat("node-a", LIVENESS);
    store.heartbeat("node-b", LIVENESS);

    store.leave("node-a");
    store.leave("node-a");
    store.leave("never-seen");

    assertThat(row("node-a")).isNull();
    assertThat(store.heartbeat("node-b", LIVENESS)).isEqualTo(1);
  }

  @Test
  void nodesSilentForADayAreDeleted() {
    store.heartbeat("crashed", LIVENESS);
    store.heartbeat("recent", LIVENESS);
    age("crashed", JdbcMailStore.FORGET_NODES_AFTER.toMillis() + 1_000);
    age("recent", LIVENESS.toMillis() + 1_000);

    assertThat(store.heartbeat("node-b", LIVENESS)).isEqualTo(1);
    assertThat(row("crashed")).isNull();
    assertThat(row("recent")).as("silent, not yet forgotten").isNotNull();
  }

  /** Records every count the engine publishes. */
  static final class CountingTransport implements MailTransport, ClusterAware {
    final List<Integer> counts = new CopyOnWriteArrayList<>();

    @Override
    public DeliveryResult deliver(OutboundMail mail) {
      throw new IllegalStateException("nothing is enqueued");
    }

    @Override
    public void liveNodes(int nodes) {
      counts.add(nodes);
    }
  }

  @Test
  void aStartedQueuePublishesTheLiveCountToItsTransportAndLeavesOnClose() {
    CountingTransport transport = new CountingTransport();
    JdbcMailStore own = JdbcMailStore.builder(dataSource).tablePrefix(prefix).build();
    MailQueue queue =
        MailQueue.builder()
            .store(own)
            .transport(transport)
            .workerId("this-node")
            .heartbeatInterval(Duration.ofMillis(50))
            .build();
    try {
      queue.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> transport.counts.contains(1));

      store.heartbeat("other-node", LIVENESS);
      await().atMost(Duration.ofSeconds(5)).until(() -> transport.counts.contains(2));

      store.leave("other-node");
      await().atMost(Duration.ofSeconds(5)).until(() -> transport.counts.size() >= 3);
      assertThat(transport.counts).as("only changes are published").containsExactly(1, 2, 1);
      assertThat(row("this-node")).isNotNull();
    } finally {
      queue.close();
    }
    assertThat(row("this-node")).as("left on close").isNull();
  }
}
