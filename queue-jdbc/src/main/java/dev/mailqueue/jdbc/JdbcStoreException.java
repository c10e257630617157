package dev.mailqueue.jdbc;

import dev.mailqueue.MailQueueException;

/** A database operation of the JDBC store failed; the message says which and what to check. */
public class JdbcStoreException extends MailQueueException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message. */
  public JdbcStoreException(String message) {
    super(message);
  }

  /** Creates an exception with a message and its cause. */
  public JdbcStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
