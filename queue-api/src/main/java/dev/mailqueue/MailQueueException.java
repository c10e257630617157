package dev.mailqueue;

/**
 * The root of every exception this library throws. Unchecked, so that enqueueing inside an
 * application's transaction reads like any other data access call.
 */
public class MailQueueException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message that says what was wrong and what to do.
   *
   * @param message what was wrong and what to do
   */
  public MailQueueException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and its cause.
   *
   * @param message what was wrong and what to do
   * @param cause the underlying exception
   */
  public MailQueueException(String message, Throwable cause) {
    super(message, cause);
  }
}
