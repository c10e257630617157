package dev.mailqueue.jdbc;

import javax.sql.DataSource;

class H2NodeRegistryTest extends NodeRegistryContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled("jdbc:h2:mem:mq" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", 4);
  }
}
