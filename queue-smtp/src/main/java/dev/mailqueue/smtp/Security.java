package dev.mailqueue.smtp;

/**
 * How the connection to a relay is protected. Whatever the mode, when TLS is used with a relay the
 * server's certificate chain and host name are verified; there is no trust-all mode. Direct
 * delivery to MX hosts differs only for {@link #STARTTLS_OPPORTUNISTIC}, see there.
 */
public enum Security {
  /**
   * Plain connection, then {@code STARTTLS}; a server that does not offer it is not sent anything
   * (the attempt is reported as a configuration fault). The default whenever credentials are set.
   */
  STARTTLS_REQUIRED,
  /** TLS from the first byte (SMTPS, usually port 465). The default when the port is 465. */
  IMPLICIT_TLS,
  /**
   * {@code STARTTLS} when the server offers it, plain text otherwise. Once TLS is attempted a
   * certificate that does not verify fails the attempt; it never falls back to plain text. The
   * default without credentials. Not allowed with credentials.
   *
   * <p>In direct mode (the default there) the certificate is not checked, as in every MTA's
   * opportunistic TLS (RFC 7435): it protects against passive listeners; domains that need more are
   * listed with {@link DirectBuilder#requireVerifiedTls}.
   */
  STARTTLS_OPPORTUNISTIC,
  /** Plain text only; only when asked for explicitly, and never with credentials. */
  NONE;

  boolean usesTls() {
    return this != NONE;
  }
}
