package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class MariaDbNodeRegistryTest extends NodeRegistryContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("mariadb"), 4);
  }
}
