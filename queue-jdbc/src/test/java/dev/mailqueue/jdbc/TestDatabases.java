package dev.mailqueue.jdbc;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Real databases for tests: H2 in memory, and the PostgreSQL and MariaDB servers on 127.0.0.1 (URLs
 * overridable with MAILQUEUE_POSTGRESQL_URL / MAILQUEUE_MARIADB_URL). A server that does not answer
 * skips its tests with the reason, unless MAILQUEUE_REQUIRE_DATABASES names it (CI), in which case
 * the test fails.
 */
public final class TestDatabases {
  public static final String POSTGRESQL_URL =
      env("MAILQUEUE_POSTGRESQL_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
  public static final String MARIADB_URL =
      env("MAILQUEUE_MARIADB_URL", "jdbc:mariadb://127.0.0.1:3306/test?user=root&password=");

  private TestDatabases() {}

  public static DataSource h2() {
    return new UrlDataSource(
        "jdbc:h2:mem:mq" + ThreadLocalRandom.current().nextInt(1_000_000) + ";DB_CLOSE_DELAY=-1");
  }

  public static DataSource postgresql() {
    return server("postgresql", POSTGRESQL_URL);
  }

  public static DataSource mariadb() {
    return server("mariadb", MARIADB_URL);
  }

  /** A random table prefix, so that test classes and processes never share tables. */
  public static String randomPrefix() {
    return "t" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF)) + "_";
  }

  /** Drops the tables of a prefix (children first). */
  public static void drop(DataSource ds, String prefix) {
    try (Connection c = ds.getConnection();
        var s = c.createStatement()) {
      for (String t :
          new String[] {
            "attempt", "recipient", "body", "message", "schema_version", "suppression", "node"
          }) {
        s.execute("DROP TABLE IF EXISTS " + prefix + t);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("dropping test tables failed", e);
    }
  }

  /** A small HikariCP pool over a URL; close it after the test. */
  public static com.zaxxer.hikari.HikariDataSource pooled(String url, int size) {
    com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    config.setConnectionTimeout(10_000);
    return new com.zaxxer.hikari.HikariDataSource(config);
  }

  /** The URL of a reachable server, or skip/fail as described in the class comment. */
  public static String serverUrl(String name) {
    String url = name.equals("postgresql") ? POSTGRESQL_URL : MARIADB_URL;
    return reachable(name, url);
  }

  private static final java.util.Map<String, String> CONTAINER_URLS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static DataSource server(String name, String url) {
    return new UrlDataSource(reachable(name, url));
  }

  /**
   * The URL itself if the server answers; else, when Docker is available and the database is not
   * required to be local, a Testcontainers database started once per JVM; else skip or fail.
   */
  private static String reachable(String name, String url) {
    String failure = probe(url);
    if (failure != null && !required(name) && dockerAvailable()) {
      return CONTAINER_URLS.computeIfAbsent(name, TestDatabases::startContainer);
    }
    if (failure != null) {
      if (required(name)) {
        throw new IllegalStateException(
            name
                + " is required (MAILQUEUE_REQUIRE_DATABASES) but not reachable at "
                + url
                + ": "
                + failure);
      }
      assumeTrue(
          failure == null,
          name
              + " not reachable at "
              + url
              + " ("
              + failure
              + "); set MAILQUEUE_"
              + name.toUpperCase(Locale.ROOT)
              + "_URL, start the server, or start Docker for Testcontainers");
    }
    return url;
  }

  private static String probe(String url) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.isValid(2);
      return null;
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  private static boolean required(String name) {
    return System.getenv()
        .getOrDefault("MAILQUEUE_REQUIRE_DATABASES", "")
        .toLowerCase(Locale.ROOT)
        .contains(name);
  }

  /**
   * Testcontainers is only on the classpath of modules that declare it; elsewhere there is no
   * fallback.
   */
  private static boolean dockerAvailable() {
    try {
      return ContainerDatabases.dockerAvailable();
    } catch (LinkageError e) {
      return false;
    }
  }

  private static String startContainer(String name) {
    return ContainerDatabases.start(name);
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  /** A minimal DataSource over DriverManager: each call opens a new connection. */
  public static final class UrlDataSource implements DataSource {
    private final String url;

    public UrlDataSource(String url) {
      this.url = url;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return DriverManager.getConnection(url);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return DriverManager.getConnection(url, username, password);
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
