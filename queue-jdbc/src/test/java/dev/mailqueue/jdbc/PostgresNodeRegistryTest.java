package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class PostgresNodeRegistryTest extends NodeRegistryContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 4);
  }
}
