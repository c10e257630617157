/**
 * The JDBC store: {@link dev.mailqueue.jdbc.JdbcMailStore} on PostgreSQL, MariaDB and H2.
 *
 * <p>Every type here is null-marked: a parameter, return value or record component accepts or
 * returns {@code null} only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue.jdbc;

import org.jspecify.annotations.NullMarked;
