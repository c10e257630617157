/**
 * mailqueue's JDBC store ({@link dev.mailqueue.jdbc.JdbcMailStore}) on PostgreSQL, MariaDB and H2.
 * Only {@code dev.mailqueue.jdbc} is exported.
 */
module dev.mailqueue.jdbc {
  // the store implements the SPI and its public methods take and return API types
  requires transitive dev.mailqueue.api;
  // the builder takes a javax.sql.DataSource (also implied by dev.mailqueue.api; stated for
  // clarity)
  requires transitive java.sql;
  // JdbcMailStore.insert(Handle, QueuedMail) takes a Jdbi Handle (an automatic module)
  requires transitive org.jdbi.v3.core;
  requires static org.jspecify;
  requires org.slf4j;
  // LISTEN/NOTIFY wake-ups, only used when the DataSource is PostgreSQL (an optional dependency;
  // readable whenever the driver is resolved, as it is once found as a java.sql.Driver service)
  requires static org.postgresql.jdbc;

  exports dev.mailqueue.jdbc;
}
