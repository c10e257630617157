package dev.mailqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.jdbc.TestDatabases;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI's own connection pool: its driver waits are bounded. */
class OptionsTest {
  @Test
  void theCliPoolBoundsEveryReadFromPostgresqlLongerWhenItMayUpgradeTheSchema() {
    String url = TestDatabases.serverUrl("postgresql");
    for (boolean createSchema : new boolean[] {false, true}) {
      String prefix = TestDatabases.randomPrefix();
      Options.Database db = new Options.Database();
      db.jdbcUrl = url;
      db.tablePrefix = prefix;
      db.createSchema = true;
      db.open(CommandLine.Model.CommandSpec.create(), 1).close(); // the tables, once
      db.createSchema = createSchema;
      try (Options.Store store = db.open(CommandLine.Model.CommandSpec.create(), 1)) {
        assertThat(store.dataSource().getDataSourceProperties().getProperty("socketTimeout"))
            .isEqualTo(
                String.valueOf(
                    createSchema
                        ? Options.Database.SCHEMA_SOCKET_TIMEOUT_SECONDS
                        : Options.Database.SOCKET_TIMEOUT_SECONDS));
        // and the driver accepted it: the pool works
        assertThat(store.admin().stats().toString()).isNotEmpty();
      } finally {
        try (var ds = TestDatabases.pooled(url, 1)) {
          TestDatabases.drop(ds, prefix);
        }
      }
    }
  }
}
