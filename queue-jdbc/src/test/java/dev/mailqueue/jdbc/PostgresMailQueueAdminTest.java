package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class PostgresMailQueueAdminTest extends MailQueueAdminContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 8);
  }
}
