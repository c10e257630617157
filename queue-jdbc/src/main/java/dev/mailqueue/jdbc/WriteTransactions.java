package dev.mailqueue.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claim and completion transactions: READ COMMITTED (InnoDB's default REPEATABLE READ takes gap
 * locks on the due index that make concurrent claimers deadlock), retried when the database picks
 * one as a deadlock or serialization victim. Both are safe to repeat, since every write is fenced
 * by the lease token and a rolled-back claim leased nothing.
 */
final class WriteTransactions {
  private static final Logger log = LoggerFactory.getLogger(JdbcMailStore.class);

  /** Attempts before a claim or completion that keeps hitting deadlocks gives up. */
  static final int DEADLOCK_RETRIES = 5;

  private final Jdbi jdbi;
  private final Dialect dialect;

  /**
   * Whether the DataSource's connections start in READ COMMITTED; {@code null} until first seen.
   */
  private volatile Boolean readCommittedByDefault;

  WriteTransactions(Jdbi jdbi, Dialect dialect) {
    this.jdbi = jdbi;
    this.dialect = dialect;
  }

  /** Runs {@code work} in a READ COMMITTED transaction, again after a transient conflict. */
  <T> T run(HandleCallback<T, RuntimeException> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return jdbi.inTransaction(
            h -> {
              // Not Jdbi's inTransaction(level): it reads the connection's level before and after,
              // and PgJDBC answers each read with a SHOW round trip (six per transaction,
              // measured).
              if (!startsReadCommitted(h)) {
                h.execute(dialect.readCommittedForThisTransaction());
              }
              return work.withHandle(h);
            });
      } catch (RuntimeException e) {
        if (attempt >= DEADLOCK_RETRIES || !isTransientConflict(e)) {
          throw e;
        }
        log.debug("transaction conflict (attempt {}), retrying: {}", attempt, e.toString());
      }
    }
  }

  /**
   * Whether the DataSource's connections start in READ COMMITTED: read once, from the first one.
   */
  private boolean startsReadCommitted(Handle h) {
    Boolean known = readCommittedByDefault;
    if (known == null) {
      try {
        known =
            h.getConnection().getTransactionIsolation() == Connection.TRANSACTION_READ_COMMITTED;
      } catch (SQLException e) {
        throw new JdbcStoreException(
            "cannot read the connection's isolation level: " + e.getMessage(), e);
      }
      readCommittedByDefault = known;
    }
    return known;
  }

  private static boolean isTransientConflict(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null
            && (state.equals("40001") || state.equals("40P01") || state.startsWith("40"))) {
          return true;
        }
      }
    }
    return false;
  }
}
