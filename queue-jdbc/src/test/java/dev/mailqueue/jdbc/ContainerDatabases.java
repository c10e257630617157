package dev.mailqueue.jdbc;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.mariadb.MariaDBContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Databases in containers, for machines with Docker but without local servers. Kept apart from
 * {@link TestDatabases} so that modules without Testcontainers on their classpath never load it.
 */
final class ContainerDatabases {
  private ContainerDatabases() {}

  static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Starts a container for the database and returns a URL with credentials; it lives as long as the
   * JVM.
   */
  @SuppressWarnings("resource") // Testcontainers' reaper removes it when the JVM exits
  static String start(String name) {
    JdbcDatabaseContainer<?> c =
        name.equals("postgresql")
            ? new PostgreSQLContainer("postgres:15-alpine")
            : new MariaDBContainer("mariadb:10.11");
    c.start();
    String url = c.getJdbcUrl();
    return url
        + (url.contains("?") ? "&" : "?")
        + "user="
        + c.getUsername()
        + "&password="
        + c.getPassword();
  }
}
