package dev.mailqueue.examples.spring;

/**
 * No user has the address a password reset was requested for; the request's transaction rolls back.
 */
public class UnknownUserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnknownUserException() {
    // the address stays out of the message, and so out of logs
    super("no user has this address");
  }
}
