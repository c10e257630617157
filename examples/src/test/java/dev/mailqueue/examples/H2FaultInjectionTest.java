package dev.mailqueue.examples;

import dev.mailqueue.jdbc.TestDatabases;
import javax.sql.DataSource;

class H2FaultInjectionTest extends FaultInjectionContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.h2();
  }
}
