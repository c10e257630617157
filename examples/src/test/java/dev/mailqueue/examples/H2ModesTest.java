package dev.mailqueue.examples;

import dev.mailqueue.jdbc.TestDatabases;
import javax.sql.DataSource;

class H2ModesTest extends ModesContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled("jdbc:h2:mem:modes" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", 10);
  }
}
