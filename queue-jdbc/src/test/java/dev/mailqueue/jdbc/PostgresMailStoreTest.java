package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class PostgresMailStoreTest extends MailStoreContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 8);
  }
}
