package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JdbcMailStore#start()} refuses an H2 file database that keeps commits in memory ({@code
 * WRITE_DELAY} above 0) and says what to add to the URL; it accepts the same file with {@code
 * ;WRITE_DELAY=0}, and in-memory databases. See {@link H2CrashTest} for the loss it prevents.
 */
class H2DurabilityTest {
  @TempDir Path dir;

  private static JdbcMailStore startStore(HikariDataSource ds) {
    JdbcMailStore store = JdbcMailStore.builder(ds).createSchema(true).build();
    store.start();
    return store;
  }

  @Test
  void aFileDatabaseWithH2sDefaultWriteDelayIsRefusedBeforeAnythingIsCreated() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("queue");
    try (HikariDataSource ds = TestDatabases.pooled(url, 2)) {
      JdbcMailStore store = JdbcMailStore.builder(ds).createSchema(true).build();

      assertThatThrownBy(store::start)
          .isInstanceOf(JdbcStoreException.class)
          .hasMessageContaining("keeps commits in memory for up to 500 ms")
          .hasMessageContaining("(WRITE_DELAY=500)")
          .hasMessageEndingWith(
              "Add ;WRITE_DELAY=0 to the JDBC URL, e.g. " + url + ";WRITE_DELAY=0");
      try (Connection c = ds.getConnection()) {
        assertThat(c.getMetaData().getTables(null, null, "MQ_MESSAGE", null).next())
            .as("no table created")
            .isFalse();
      }
    }
  }

  @Test
  void theSameFileWithWriteDelayZeroInTheUrlStarts() throws Exception {
    try (HikariDataSource ds =
        TestDatabases.pooled("jdbc:h2:file:" + dir.resolve("queue") + ";WRITE_DELAY=0", 2)) {
      startStore(ds).close();
    }
  }

  @Test
  void aWriteDelaySetOnceDoesNotOutliveTheDatabaseSoTheUrlIsWhatCounts() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("queue");
    try (HikariDataSource ds = TestDatabases.pooled(url, 2)) {
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.execute("SET WRITE_DELAY 0");
      }
      startStore(ds).close(); // accepted while the setting holds
    }
    // the pool closed its connections, so H2 closed the database; reopened, it delays writes again
    try (HikariDataSource ds = TestDatabases.pooled(url, 2)) {
      assertThatThrownBy(() -> startStore(ds))
          .isInstanceOf(JdbcStoreException.class)
          .hasMessageContaining("(WRITE_DELAY=500)");
    }
  }

  @Test
  void anExplicitWriteDelayIsRefusedWithItsValue() throws Exception {
    try (HikariDataSource ds =
        TestDatabases.pooled("jdbc:h2:file:" + dir.resolve("queue") + ";WRITE_DELAY=50", 2)) {
      assertThatThrownBy(() -> startStore(ds))
          .isInstanceOf(JdbcStoreException.class)
          .hasMessageContaining("(WRITE_DELAY=50)");
    }
  }

  @Test
  void inMemoryDatabasesAreNotChecked() throws Exception {
    // nothing in memory outlives the JVM, whatever WRITE_DELAY says
    try (HikariDataSource ds = TestDatabases.pooled("jdbc:h2:mem:durability;WRITE_DELAY=500", 2)) {
      startStore(ds).close();
    }
  }
}
