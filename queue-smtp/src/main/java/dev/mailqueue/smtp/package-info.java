/**
 * The SMTP transport: {@link dev.mailqueue.smtp.SmtpTransport}, through a relay or directly to each
 * domain's MX hosts.
 *
 * <p>Every type here is null-marked: a parameter, return value or record component accepts or
 * returns {@code null} only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue.smtp;

import org.jspecify.annotations.NullMarked;
