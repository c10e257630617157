package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class H2MailQueueAdminTest extends MailQueueAdminContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled("jdbc:h2:mem:mqa" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", 8);
  }
}
