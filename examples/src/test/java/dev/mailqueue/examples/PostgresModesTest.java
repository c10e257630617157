package dev.mailqueue.examples;

import dev.mailqueue.jdbc.TestDatabases;
import javax.sql.DataSource;

class PostgresModesTest extends ModesContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 10);
  }
}
