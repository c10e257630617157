package dev.mailqueue.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL: makes every enqueue's commit wake every node's workers (through {@link
 * EnqueueNotifications}) without serialising the producers' commits.
 *
 * <p>Why not a NOTIFY in every enqueue: PostgreSQL's {@code PreCommit_Notify} takes a cluster-wide
 * lock and holds it until after the commit, so that notifications arrive in commit order; the
 * commits of notifying transactions cannot share a WAL flush. Measured with pgbench, an INSERT per
 * transaction: 2,490 against 3,700 tps with and without a NOTIFY in each (4 clients), 1,420 against
 * 3,480 (16 clients).
 *
 * <p>So at most one enqueue transaction per interval ({@link #DEFAULT_IN_TRANSACTION_INTERVAL})
 * carries its own NOTIFY (delivered exactly at its commit: the idle case, one mail now and then,
 * wakes the workers at once). Every other enqueue hands its transaction id to this notifier, whose
 * one thread asks the server for the status of the waiting transactions ({@code txid_status}) and
 * sends one NOTIFY, in a transaction of its own and at most one per {@link #NOTIFY_SPACING}, for
 * all that committed since its last look (looks are at least 2 ms apart); aborted ones are dropped,
 * ones still open are asked again with a growing pause, up to {@link #MAX_PAUSE}. An enqueue in a
 * transaction of the store's own ({@link #committed()}) needs no look: it has committed when the
 * store hands it over. A NOTIFY that fails is retried; the workers' poll is the last safety net.
 */
final class EnqueueNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JdbcMailStore.class);

  /** How often at most one enqueue transaction of this store carries a NOTIFY itself. */
  static final Duration DEFAULT_IN_TRANSACTION_INTERVAL = Duration.ofMillis(20);

  /**
   * The shortest time between two NOTIFYs of the notifier: each is a commit of its own that takes
   * PostgreSQL's notify lock, and every node's workers claim at each; one covers every commit
   * before it. Short, since mail committed meanwhile waits for it.
   */
  static final Duration NOTIFY_SPACING = Duration.ofMillis(5);

  /** The longest pause between two looks at transactions still open. */
  static final Duration MAX_PAUSE = Duration.ofMillis(250);

  /**
   * Transactions waited for at most; beyond, the oldest are forgotten (their mail is found by the
   * next NOTIFY or poll). Bounds the memory a flood of never-ending transactions could take.
   */
  static final int MAX_WAITING = 100_000;

  private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** The shortest time between two looks at the waiting transactions. */
  private static final long LOOK_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final DataSource dataSource;
  private final String channel;
  private final int queryTimeoutSeconds;
  private final long intervalNanos;

  /** When an enqueue transaction last claimed its own NOTIFY; starts one interval in the past. */
  private final AtomicLong lastInTransaction;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();

  /** Open transactions by id, with the time each was handed over (guarded by {@link #lock}). */
  private final LinkedHashMap<Long, Long> waiting = new LinkedHashMap<>();

  /** Whether a commit of the store's own waits for its NOTIFY (guarded by {@link #lock}). */
  private boolean committed;

  private boolean closed;
  private Thread thread;

  EnqueueNotifier(
      DataSource dataSource, String channel, int queryTimeoutSeconds, Duration interval) {
    this.dataSource = dataSource;
    this.channel = channel;
    this.queryTimeoutSeconds = queryTimeoutSeconds;
    this.intervalNanos = interval.toNanos();
    this.lastInTransaction = new AtomicLong(System.nanoTime() - intervalNanos - 1);
  }

  /**
   * Whether the calling enqueue should NOTIFY in its own transaction: true for at most one caller
   * per interval; the others call {@link #afterCommitOf(long)}.
   */
  boolean notifyInTransaction() {
    long now = System.nanoTime();
    long last = lastInTransaction.get();
    return now - last >= intervalNanos && lastInTransaction.compareAndSet(last, now);
  }

  /** An enqueue in transaction {@code xid}, still open: NOTIFY once it has committed. */
  void afterCommitOf(long xid) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      if (waiting.size() >= MAX_WAITING) {
        Long oldest = waiting.keySet().iterator().next();
        waiting.remove(oldest);
        log.debug("forgot transaction {}: more than {} waiting", oldest, MAX_WAITING);
      }
      waiting.putIfAbsent(xid, System.nanoTime());
      startIfNeeded();
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  /** An enqueue in a transaction of the store's own has committed: NOTIFY soon. */
  void committed() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      committed = true;
      startIfNeeded();
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  /** How many transactions are waited for; for tests. */
  int waiting() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  private void startIfNeeded() {
    if (thread == null) {
      thread = new Thread(this::run, "mailqueue-pg-notify");
      thread.setDaemon(true);
      thread.start();
    }
  }

  private void run() {
    long pause = FIRST_PAUSE_NANOS;
    long lastNotify = System.nanoTime() - NOTIFY_SPACING.toNanos();
    long failurePause = TimeUnit.MILLISECONDS.toNanos(500);
    long lastLook = System.nanoTime() - LOOK_SPACING_NANOS;
    while (true) {
      List<Long> open;
      boolean ownCommit;
      // Producers hand over faster than a look is worth: one look covers all handed over since.
      long tooSoon = lastLook + LOOK_SPACING_NANOS - System.nanoTime();
      if (tooSoon > 0) {
        LockSupport.parkNanos(tooSoon);
      }
      lock.lock();
      try {
        while (!closed && waiting.isEmpty() && !committed) {
          work.awaitUninterruptibly();
          pause = FIRST_PAUSE_NANOS;
        }
        if (closed) {
          return;
        }
        open = new ArrayList<>(waiting.keySet());
        ownCommit = committed;
        committed = false;
        lastLook = System.nanoTime();
      } finally {
        lock.unlock();
      }
      try {
        Map<Long, String> status = open.isEmpty() ? Map.of() : statusOf(open);
        boolean notify = ownCommit;
        List<Long> done = new ArrayList<>();
        for (Long xid : open) {
          String s = status.get(xid);
          // NULL: too old for the server to say, so certainly finished: announce it to be safe.
          if (s == null || s.equals("committed")) {
            notify = true;
            done.add(xid);
          } else if (s.equals("aborted")) {
            done.add(xid);
          }
        }
        if (notify) {
          long wait = lastNotify + NOTIFY_SPACING.toNanos() - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          notifyNow();
          lastNotify = System.nanoTime();
        }
        failurePause = TimeUnit.MILLISECONDS.toNanos(500);
        boolean stillOpen;
        lock.lock();
        try {
          done.forEach(waiting::remove);
          stillOpen = !waiting.isEmpty();
          if (!stillOpen || committed) {
            pause = FIRST_PAUSE_NANOS;
            continue;
          }
          // Nothing new: look again after a pause that grows while the transactions stay open
          // (a new hand-over wakes this thread earlier).
          if (done.isEmpty()) {
            pause = Math.min(pause * 2, MAX_PAUSE.toNanos());
          } else {
            pause = FIRST_PAUSE_NANOS;
          }
          work.awaitNanos(pause);
        } finally {
          lock.unlock();
        }
      } catch (SQLException | RuntimeException | LinkageError e) {
        // LinkageError too (a driver's class missing, say): a dead notifier would leave every
        // enqueue of this store to the workers' poll, silently.
        log.warn(
            "NOTIFY {} after enqueue failed; retrying in {} ms (workers poll meanwhile): {}",
            channel,
            TimeUnit.NANOSECONDS.toMillis(failurePause),
            e.toString());
        lock.lock();
        try {
          committed |= ownCommit;
          // The whole pause, though every hand-over signals: else a failing look would be retried
          // (and logged) at each enqueue.
          long deadline = System.nanoTime() + failurePause;
          long left;
          while (!closed && (left = deadline - System.nanoTime()) > 0) {
            work.awaitNanos(left);
          }
        } catch (InterruptedException ie) {
          return;
        } finally {
          lock.unlock();
        }
        failurePause = Math.min(failurePause * 2, TimeUnit.SECONDS.toNanos(30));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The status of each transaction: committed, aborted, in progress, or absent if unknown. */
  private Map<Long, String> statusOf(List<Long> xids) throws SQLException {
    Map<Long, String> status = new LinkedHashMap<>();
    try (Connection c = dataSource.getConnection()) {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      try (PreparedStatement ps =
          c.prepareStatement("SELECT x, txid_status(x) FROM unnest(?) AS t(x)")) {
        ps.setQueryTimeout(queryTimeoutSeconds);
        ps.setArray(1, c.createArrayOf("bigint", xids.toArray(new Long[0])));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String s = rs.getString(2);
            if (s != null) {
              status.put(rs.getLong(1), s);
            }
          }
        }
      }
    }
    return status;
  }

  private void notifyNow() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, '')")) {
        ps.setQueryTimeout(queryTimeoutSeconds);
        ps.setString(1, channel);
        ps.execute();
      }
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      waiting.clear();
      work.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
