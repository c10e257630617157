package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class MariaDbMailQueueAdminTest extends MailQueueAdminContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("mariadb"), 8);
  }
}
