package dev.mailqueue.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL: holds one connection that LISTENs for enqueues on other nodes and wakes the
 * dispatcher on each NOTIFY; reconnects after failures (polling covers the gap).
 */
final class EnqueueNotifications implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JdbcMailStore.class);

  private final DataSource dataSource;
  private final String channel;
  private final Runnable wakeUp;
  private final int queryTimeoutSeconds;
  private volatile boolean running = true;
  private final Thread thread;

  EnqueueNotifications(
      DataSource dataSource, String channel, Runnable wakeUp, int queryTimeoutSeconds) {
    this.dataSource = dataSource;
    this.channel = channel;
    this.wakeUp = wakeUp;
    this.queryTimeoutSeconds = queryTimeoutSeconds;
    this.thread = new Thread(this::run, "mailqueue-pg-listen");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    long backoff = 500;
    while (running) {
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.setQueryTimeout(queryTimeoutSeconds);
          s.execute("LISTEN " + channel);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        backoff = 500;
        // Enqueues committed while we were not listening sent their NOTIFY to nobody: look now.
        wakeUp.run();
        while (running) {
          PGNotification[] notifications = pg.getNotifications(500);
          if (notifications != null && notifications.length > 0) {
            wakeUp.run();
          }
        }
      } catch (SQLException | RuntimeException | LinkageError e) {
        if (!running) {
          return;
        }
        log.warn(
            "LISTEN {} failed; polling covers the gap, retrying in {} ms: {}",
            channel,
            backoff,
            e.toString());
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
