package dev.mailqueue.examples;

import dev.mailqueue.jdbc.TestDatabases;
import javax.sql.DataSource;

class MariaDbModesTest extends ModesContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("mariadb"), 10);
  }
}
