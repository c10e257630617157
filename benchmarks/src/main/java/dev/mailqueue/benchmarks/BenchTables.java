package dev.mailqueue.benchmarks;

import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;

/** The benchmarks' scratch tables: each run uses its own table prefix and drops it afterwards. */
final class BenchTables {
  /** Every mailqueue table, children before parents. */
  private static final String[] TABLES = {
    "attempt", "recipient", "body", "suppression", "node", "message", "schema_version"
  };

  private BenchTables() {}

  /**
   * Gathers planner statistics on a freshly filled queue (PostgreSQL), as autovacuum does on a
   * production server within a minute. The benchmark machine's server runs with autovacuum off, and
   * without statistics the planner takes the fresh recipient table for a small one and scans it
   * whole on every claim.
   */
  static void analyze(DataSource ds, String prefix) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      if (c.getMetaData().getDatabaseProductName().startsWith("PostgreSQL")) {
        for (String t : TABLES) {
          s.execute("ANALYZE " + prefix + t);
        }
      }
    }
  }

  /** Drops the tables of {@code prefix}, if present. */
  static void drop(DataSource ds, String prefix) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String t : TABLES) {
        s.execute("DROP TABLE IF EXISTS " + prefix + t);
      }
    }
  }
}
