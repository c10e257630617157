package dev.mailqueue.examples;

import dev.mailqueue.MessageId;
import dev.mailqueue.jdbc.TestDatabases;
import javax.sql.DataSource;

class MariaDbFaultInjectionTest extends FaultInjectionContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("mariadb"), 10);
  }

  @Override
  Object idParameter(MessageId id) {
    return id.value().toString();
  }
}
