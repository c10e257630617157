package dev.mailqueue.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh store per test on the database a subclass supplies: its own random table prefix, schema
 * created, and everything dropped afterwards.
 */
abstract class StoreTestBase {
  protected DataSource dataSource;
  protected String prefix;
  protected JdbcMailStore store;

  /** A pooled DataSource for the database under test. */
  abstract DataSource createDataSource();

  @BeforeEach
  void createStore() {
    dataSource = createDataSource();
    prefix = TestDatabases.randomPrefix();
    store = JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true).build();
    store.start();
  }

  @AfterEach
  void dropStore() {
    store.close();
    TestDatabases.drop(dataSource, prefix);
    if (dataSource instanceof HikariDataSource h) {
      h.close();
    }
  }
}
