package dev.mailqueue.smtp;

/**
 * How the connection to a relay is protected. Whatever the mode, when TLS is used the server's
 * certificate chain and host name are verified; there is no trust-all mode.
 */
public enum Security {
  /**
   * Plain connection, then {@code STARTTLS}; a server that does not offer it is not sent anything
   * (the attempt is reported as a configuration fault). The default whenever credentials are set.
   */
  STARTTLS_REQUIRED,
  /**
   * TLS from the first byte (SMTPS, usually port 465). The default when the port is 465.
   */
  IMPLICIT_TLS,
  /**
   * {@code STARTTLS} when the server offers it, plain text otherwise. Once TLS is attempted a
   * certificate that does not verify fails the attempt; it never falls back to plain text. The
   * default without credentials. Not allowed with credentials.
   */
  STARTTLS_OPPORTUNISTIC,
  /** Plain text only; only when asked for explicitly, and never with credentials. */
  NONE;

  boolean usesTls() {
    return this != NONE;
  }
}
