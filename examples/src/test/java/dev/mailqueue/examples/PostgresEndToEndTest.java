package dev.mailqueue.examples;

import dev.mailqueue.jdbc.TestDatabases;
import javax.sql.DataSource;

class PostgresEndToEndTest extends EndToEndContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 10);
  }
}
