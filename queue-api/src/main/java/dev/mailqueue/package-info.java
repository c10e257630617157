/**
 * The public API: {@link dev.mailqueue.MailQueue} and its builder, {@link dev.mailqueue.Mail}, and
 * the values they take and return.
 *
 * <p>Every type here is null-marked: a parameter, return value or record component accepts or
 * returns {@code null} only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue;

import org.jspecify.annotations.NullMarked;
