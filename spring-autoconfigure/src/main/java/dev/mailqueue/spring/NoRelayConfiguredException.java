package dev.mailqueue.spring;

/**
 * Thrown at startup when the starter is to build an {@code SmtpTransport} but neither {@code
 * mailqueue.smtp.host} nor {@code spring.mail.host} is set. {@link MailQueueFailureAnalyzer} turns
 * it into one short report naming the properties to set.
 */
final class NoRelayConfiguredException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** The exception with its fixed message. */
  NoRelayConfiguredException() {
    super(
        "no SMTP relay configured: set mailqueue.smtp.host (or spring.mail.host), or define a MailTransport bean");
  }
}
