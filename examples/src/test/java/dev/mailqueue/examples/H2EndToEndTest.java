package dev.mailqueue.examples;

import dev.mailqueue.jdbc.TestDatabases;
import javax.sql.DataSource;

class H2EndToEndTest extends EndToEndContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled("jdbc:h2:mem:e2e" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", 10);
  }
}
