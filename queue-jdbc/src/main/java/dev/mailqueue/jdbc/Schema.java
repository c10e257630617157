package dev.mailqueue.jdbc;

import static dev.mailqueue.jdbc.JdbcMailStore.DEFAULT_TABLE_PREFIX;
import static dev.mailqueue.jdbc.JdbcMailStore.SCHEMA_VERSION;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's tables: the checks at start (durable commits on H2, autovacuum on PostgreSQL), the
 * bundled create and upgrade scripts, and the schema version.
 */
final class Schema {
  private static final Logger log = LoggerFactory.getLogger(JdbcMailStore.class);

  /**
   * Longest one statement of a schema or upgrade script may run: 30 minutes (the upgrade to version
   * 2 measured 12 s per 1,000,000 messages on PostgreSQL).
   */
  static final int SCRIPT_STATEMENT_TIMEOUT_SECONDS = 30 * 60;

  /**
   * MariaDB/MySQL errors that mean an upgrade step was done by an earlier, interrupted run:
   * duplicate column (1060), duplicate key name (1061), no such column or key to drop (1091). MySQL
   * has no ADD COLUMN IF NOT EXISTS, so the upgrade script resumes by skipping these.
   */
  private static final Set<Integer> MARIADB_STEP_ALREADY_DONE = Set.of(1060, 1061, 1091);

  private final DataSource dataSource;
  private final Jdbi jdbi;
  private final Dialect dialect;
  private final String selectVersion;

  Schema(DataSource dataSource, Jdbi jdbi, Dialect dialect) {
    this.dataSource = dataSource;
    this.jdbi = jdbi;
    this.dialect = dialect;
    this.selectVersion = dialect.fill("SELECT MAX(version) FROM {p}schema_version");
  }

  /** The classpath resource of the schema script for this store's database. */
  String schemaResource() {
    return "dev/mailqueue/jdbc/schema-" + dialect.name() + ".sql";
  }

  /**
   * The classpath resource of the script that upgrades this store's database from schema version
   * {@code from} to the next.
   */
  String upgradeResource(int from) {
    return "dev/mailqueue/jdbc/upgrade-"
        + dialect.name()
        + "-"
        + from
        + "-to-"
        + (from + 1)
        + ".sql";
  }

  /** See {@link JdbcMailStore#start()}. */
  void start(boolean createSchema) {
    requireDurableCommits();
    if (createSchema) {
      createSchema();
    }
    checkSchemaVersion();
    warnIfAutovacuumIsOff();
  }

  /**
   * See {@link JdbcMailStore#start()}: an H2 file database must write each commit before it
   * returns.
   */
  private void requireDurableCommits() {
    if (!(dialect instanceof H2Dialect)) {
      return;
    }
    String path;
    String url;
    int writeDelay = 0;
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      url = c.getMetaData().getURL();
      try (ResultSet rs = s.executeQuery("SELECT DATABASE_PATH()")) {
        path = rs.next() ? rs.getString(1) : null;
      }
      if (path == null) {
        return; // in memory
      }
      // Two rows when SET WRITE_DELAY was ever run: the stored setting and the value in effect.
      try (ResultSet rs =
          s.executeQuery(
              "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {
        while (rs.next()) {
          writeDelay = Math.max(writeDelay, Integer.parseInt(rs.getString(1).strip()));
        }
      }
    } catch (SQLException | NumberFormatException e) {
      throw new JdbcStoreException(
          "cannot read H2's WRITE_DELAY setting to check that commits are written "
              + "before they return: "
              + e.getMessage(),
          e);
    }
    if (writeDelay > 0) {
      throw new JdbcStoreException(
          "H2 database "
              + path
              + " keeps commits in memory for up to "
              + writeDelay
              + " ms before writing them (WRITE_DELAY="
              + writeDelay
              + "): mail that enqueue acknowledged could be lost, "
              + "and mail already delivered sent again, if the process died. Add ;WRITE_DELAY=0 to the JDBC URL, e.g. "
              + url
              + ";WRITE_DELAY=0");
    }
  }

  /**
   * Every claim and completion rewrites a message row, so the queue tables need autovacuum: without
   * it dead rows pile up and the planner, with no statistics on a freshly filled table, scans the
   * recipient table whole on every claim (measured: 5-8 ms per claim at 10,000 queued).
   */
  private void warnIfAutovacuumIsOff() {
    if (!(dialect instanceof PostgreSqlDialect)) {
      return;
    }
    try {
      String setting =
          jdbi.withHandle(
              h -> h.createQuery("SELECT current_setting('autovacuum')").mapTo(String.class).one());
      if ("off".equalsIgnoreCase(setting)) {
        log.warn(
            "PostgreSQL runs with autovacuum off: the queue tables' dead rows and planner statistics are "
                + "never maintained, and claims slow down as the queue grows; turn it on, or VACUUM ANALYZE "
                + "the {}* tables regularly",
            dialect.prefix);
      }
    } catch (RuntimeException e) {
      log.debug("could not read the autovacuum setting", e);
    }
  }

  /**
   * Upgrades tables at an older schema version one version at a time, then creates whatever is
   * missing. The create script runs statement by statement in auto-commit: in one transaction,
   * PostgreSQL would hold the locks of its CREATE INDEX IF NOT EXISTS statements (they block writes
   * even when the index exists) on the live queue tables until the end, at every start of every
   * node.
   */
  private void createSchema() {
    Integer before = schemaVersion();
    for (int from = before == null ? SCHEMA_VERSION : before; from < SCHEMA_VERSION; from++) {
      log.info(
          "upgrading the mailqueue schema ({}*) from version {} to {} with {}",
          dialect.prefix,
          from,
          from + 1,
          upgradeResource(from));
      runScript(upgradeResource(from), "upgrading the mailqueue schema", true);
    }
    runScript(schemaResource(), "creating the mailqueue schema", false);
    if (before == null) {
      log.info(
          "created the mailqueue tables {}* (schema version {}) with {}",
          dialect.prefix,
          SCHEMA_VERSION,
          schemaResource());
    }
  }

  /**
   * Runs a script's statements, in one transaction when {@code inOneTransaction} (atomic where DDL
   * is transactional, as on PostgreSQL; MariaDB and H2 commit each DDL statement anyway).
   */
  private void runScript(String resource, String what, boolean inOneTransaction) {
    String script;
    // Class (not ClassLoader) lookup: on the module path a ClassLoader does not find resources in
    // the packages of a named module that does not open them.
    try (InputStream in = JdbcMailStore.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new JdbcStoreException("script missing from the jar: " + resource);
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new JdbcStoreException("cannot read " + resource, e);
    }
    script = script.replace(DEFAULT_TABLE_PREFIX, dialect.prefix);
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.setQueryTimeout(SCRIPT_STATEMENT_TIMEOUT_SECONDS);
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(!inOneTransaction);
      try {
        for (String statement : script.split(";\\s*\\n")) {
          String sql = stripComments(statement);
          if (!sql.isBlank()) {
            execute(s, sql);
          }
        }
        if (inOneTransaction) {
          c.commit();
        }
      } catch (SQLException e) {
        if (inOneTransaction) {
          c.rollback();
        }
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new JdbcStoreException(what + " failed (" + resource + "): " + e.getMessage(), e);
    }
  }

  private void execute(Statement s, String sql) throws SQLException {
    try {
      s.execute(sql);
    } catch (SQLException e) {
      if (!(dialect instanceof MariaDbDialect
          && MARIADB_STEP_ALREADY_DONE.contains(e.getErrorCode()))) {
        throw e;
      }
      log.info(
          "schema step already done, skipped ({}): {}",
          e.getMessage(),
          sql.lines().findFirst().orElse(sql));
    }
  }

  /** The schema version in the database, or null when there is no version table (or no row). */
  private Integer schemaVersion() {
    try {
      return readSchemaVersion();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The schema version in the database (null without a row); throws when there is no version table.
   */
  private Integer readSchemaVersion() {
    return jdbi.withHandle(h -> h.createQuery(selectVersion).mapTo(Integer.class).one());
  }

  private static String stripComments(String statement) {
    StringBuilder sb = new StringBuilder();
    for (String line : statement.split("\n")) {
      int dash = line.indexOf("--");
      sb.append(dash >= 0 ? line.substring(0, dash) : line).append('\n');
    }
    return sb.toString().strip();
  }

  private void checkSchemaVersion() {
    Integer version;
    try {
      version = readSchemaVersion();
    } catch (RuntimeException e) {
      throw new JdbcStoreException(
          "mailqueue tables not found ("
              + dialect.prefix
              + "schema_version): run the script "
              + schemaResource()
              + " from the mailqueue-jdbc jar, or enable createSchema",
          e);
    }
    if (version != null && version >= 1 && version < SCHEMA_VERSION) {
      StringBuilder scripts = new StringBuilder(upgradeResource(version));
      for (int from = version + 1; from < SCHEMA_VERSION; from++) {
        scripts.append(" then ").append(upgradeResource(from));
      }
      throw new JdbcStoreException(
          "mailqueue schema version "
              + version
              + " found, "
              + SCHEMA_VERSION
              + " expected: with every "
              + "node stopped, run the script "
              + scripts
              + " from the mailqueue-jdbc jar, or enable createSchema");
    }
    if (version == null || version != SCHEMA_VERSION) {
      throw new JdbcStoreException(
          "mailqueue schema version "
              + version
              + " found, "
              + SCHEMA_VERSION
              + " expected: run the matching script "
              + schemaResource());
    }
  }
}
