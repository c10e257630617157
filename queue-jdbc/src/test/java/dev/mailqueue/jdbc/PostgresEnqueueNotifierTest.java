package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.spi.QueuedMail;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * PostgreSQL: every committed enqueue is followed by a NOTIFY on the store's channel, whether its
 * own transaction carried it or the store's notifier announced it after the commit; a rolled-back
 * enqueue is forgotten. Observed through a LISTEN connection of the test's own.
 */
class PostgresEnqueueNotifierTest {
  private HikariDataSource dataSource;
  private String prefix;
  private JdbcMailStore store;
  private Connection listener;

  @BeforeEach
  void setUp() throws SQLException {
    String url = TestDatabases.serverUrl("postgresql");
    dataSource = TestDatabases.pooled(url, 8);
    prefix = TestDatabases.randomPrefix();
    // An hour: only the first enqueue transaction carries its own NOTIFY, every later one needs
    // the notifier.
    store =
        JdbcMailStore.builder(dataSource)
            .tablePrefix(prefix)
            .createSchema(true)
            .notifyInterval(Duration.ofHours(1))
            .build();
    store.start();
    listener = DriverManager.getConnection(url);
    try (Statement s = listener.createStatement()) {
      s.execute("LISTEN " + prefix + "enqueued");
    }
  }

  @AfterEach
  void tearDown() throws SQLException {
    listener.close();
    store.close();
    TestDatabases.drop(dataSource, prefix);
    dataSource.close();
  }

  /** Notifications that arrive within {@code millis}. */
  private int notificationsWithin(int millis) throws SQLException {
    PGNotification[] n = listener.unwrap(PGConnection.class).getNotifications(millis);
    return n == null ? 0 : n.length;
  }

  private void awaitNotification() {
    await().atMost(Duration.ofSeconds(10)).until(() -> notificationsWithin(100) > 0);
  }

  /** The first enqueue transaction of the interval (an hour here) carries its own NOTIFY. */
  private void enqueueTheTransactionThatNotifiesItself() throws SQLException {
    try (Connection first = dataSource.getConnection()) {
      first.setAutoCommit(false);
      store.insert(first, MailStoreContract.mail("first@example.org"));
      first.commit();
    }
    awaitNotification();
  }

  @Test
  void anEnqueueWhoseTransactionDidNotNotifyIsAnnouncedAfterItCommits() throws Exception {
    enqueueTheTransactionThatNotifiesItself();
    assertThat(store.notifier().waiting()).as("the first transaction notified itself").isZero();

    try (Connection second = dataSource.getConnection()) {
      second.setAutoCommit(false);
      store.insert(second, MailStoreContract.mail("second@example.org"));
      assertThat(store.notifier().waiting()).isEqualTo(1);
      assertThat(notificationsWithin(300)).as("nothing is announced before the commit").isZero();
      second.commit();
    }
    awaitNotification();
    await().atMost(Duration.ofSeconds(10)).until(() -> store.notifier().waiting() == 0);
  }

  @Test
  void aBatchInTheCallersTransactionIsAnnouncedAfterItCommits() throws Exception {
    enqueueTheTransactionThatNotifiesItself();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      store.insertAll(
          c,
          List.of(
              MailStoreContract.mail("a@example.org"), MailStoreContract.mail("b@example.org")));
      assertThat(store.notifier().waiting()).isEqualTo(1);
      c.commit();
    }
    awaitNotification();
  }

  @Test
  void aRolledBackEnqueueIsForgottenWithoutANotify() throws Exception {
    enqueueTheTransactionThatNotifiesItself();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      store.insert(c, MailStoreContract.mail("rolled-back@example.org"));
      assertThat(store.notifier().waiting()).isEqualTo(1);
      c.rollback();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> store.notifier().waiting() == 0);
    assertThat(notificationsWithin(300)).isZero();
  }

  @Test
  void anEnqueueInTheStoresOwnTransactionIsAnnounced() throws Exception {
    store.insert(MailStoreContract.mail("own@example.org"));
    awaitNotification();
    store.insertAll(List.of(MailStoreContract.mail("a@example.org")));
    awaitNotification();
  }

  /** Eight producers at once: whatever the interleaving, the last commit is announced. */
  @Test
  void concurrentProducersEndWithEveryTransactionAnnounced() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < 8; p++) {
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 20; i++) {
                    QueuedMail m = MailStoreContract.mail("p" + i + "@example.org");
                    try (Connection c = dataSource.getConnection()) {
                      c.setAutoCommit(false);
                      store.insert(c, m);
                      c.commit();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    awaitNotification();
    await().atMost(Duration.ofSeconds(10)).until(() -> store.notifier().waiting() == 0);
  }
}
