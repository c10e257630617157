package dev.mailqueue.jdbc;

import dev.mailqueue.MailQueueException;

/** A database operation of the JDBC store failed; the message says which and what to check. */
public class JdbcStoreException extends MailQueueException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message.
   *
   * @param message what failed and what to check, such as the missing table or the setting to
   *     change
   */
  public JdbcStoreException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and its cause.
   *
   * @param message what failed and what to check, including the cause's own message where it helps
   * @param cause what the driver threw, usually an {@code SQLException}
   */
  public JdbcStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
