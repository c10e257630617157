/**
 * Test support for applications that send mail through mailqueue: {@link
 * dev.mailqueue.test.MailQueueExtension} gives a JUnit 5 test a working {@link
 * dev.mailqueue.MailQueue} (H2 in memory, or the test's own {@code DataSource}) whose transport
 * captures every message into a {@link dev.mailqueue.test.Mailbox}; {@link
 * dev.mailqueue.test.MailQueueAssertions} asserts on what was sent, decoded.
 *
 * <p>Every type here is null-marked: a parameter or return value accepts or returns {@code null}
 * only where it says {@code @Nullable}.
 */
@NullMarked
package dev.mailqueue.test;

import org.jspecify.annotations.NullMarked;
