package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class MariaDbMailStoreTest extends MailStoreContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("mariadb"), 8);
  }
}
