package dev.mailqueue;

/**
 * A mail was rejected before anything was stored: a field is malformed, dangerous (CR or LF that
 * would allow header injection) or over a limit. The message names the field and the reason; {@link
 * #field()} names the field for programmatic use (for example {@code "to[2]"}, {@code
 * "header[X-Campaign]"}, {@code "subject"}).
 */
public class InvalidMailException extends MailQueueException {
  private static final long serialVersionUID = 1L;

  /** The offending field's name, as {@link #field()} returns it. */
  private final String field;

  /** Why the field was rejected, as {@link #reason()} returns it. */
  private final String reason;

  /**
   * Creates an exception for {@code field}, with a human-readable {@code reason}.
   *
   * @param field the field's name, e.g. {@code "to[2]"}
   * @param reason why it was rejected, without the field name
   */
  public InvalidMailException(String field, String reason) {
    super(field + ": " + reason);
    this.field = field;
    this.reason = reason;
  }

  /**
   * Creates an exception for {@code field}, with a reason and the underlying cause.
   *
   * @param field the field's name, e.g. {@code "to[2]"}
   * @param reason why it was rejected, without the field name
   * @param cause the exception that revealed the problem
   */
  public InvalidMailException(String field, String reason, Throwable cause) {
    super(field + ": " + reason, cause);
    this.field = field;
    this.reason = reason;
  }

  /**
   * {@return the name of the offending field, for example {@code "from"} or {@code
   * "attachment[0].name"}}
   */
  public String field() {
    return field;
  }

  /** {@return why the field was rejected, without the field name} */
  public String reason() {
    return reason;
  }

  /**
   * The same reason, attributed to another field name (used when a value is checked before its
   * field is known).
   *
   * @param otherField the field name to report instead
   * @return a new exception with this one as its cause
   */
  public InvalidMailException forField(String otherField) {
    return new InvalidMailException(otherField, reason, this);
  }
}
