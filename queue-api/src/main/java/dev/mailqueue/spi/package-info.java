/**
 * Service provider interfaces: the seams a store ({@link dev.mailqueue.spi.MailStore}) and a
 * transport ({@link dev.mailqueue.spi.MailTransport}) implement, and the values they exchange with
 * the engine.
 *
 * <p>Every type here is null-marked: a parameter, return value or record component accepts or
 * returns {@code null} only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue.spi;

import org.jspecify.annotations.NullMarked;
