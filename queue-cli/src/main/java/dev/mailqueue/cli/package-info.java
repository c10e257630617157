/**
 * The {@code mailqueue} command line: administration and a dispatcher process over a JDBC store.
 *
 * <p>Every type here is null-marked: a parameter, return value or record component accepts or
 * returns {@code null} only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue.cli;

import org.jspecify.annotations.NullMarked;
