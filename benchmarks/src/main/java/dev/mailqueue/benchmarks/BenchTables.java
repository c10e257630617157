package dev.mailqueue.benchmarks;

import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;

/** The benchmarks' scratch tables: each run uses its own table prefix and drops it afterwards. */
final class BenchTables {
  /** Every mailqueue table, children before parents. */
  private static final String[] TABLES = {"attempt", "recipient", "body", "suppression", "node", "message",
      "schema_version"};

  private BenchTables() {}

  /** Drops the tables of {@code prefix}, if present. */
  static void drop(DataSource ds, String prefix) throws Exception {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String t : TABLES) {
        s.execute("DROP TABLE IF EXISTS " + prefix + t);
      }
    }
  }
}
