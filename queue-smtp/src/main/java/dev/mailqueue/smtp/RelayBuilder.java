package dev.mailqueue.smtp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Builds an {@link SmtpTransport} that hands every message to a relay, with failover relays and
 * authentication; start one with {@link SmtpTransport#relay}. The options both modes share are
 * those of {@link SmtpTransportBuilder}. Not thread-safe; every setter validates its argument and
 * returns this builder.
 */
public final class RelayBuilder extends SmtpTransportBuilder<RelayBuilder> {
  private final List<Relay> relays = new ArrayList<>();
  private Credentials credentials;

  RelayBuilder(Relay first) {
    relays.add(Objects.requireNonNull(first, "first"));
  }

  @Override
  RelayBuilder self() {
    return this;
  }

  /**
   * Adds a relay to fail over to, tried in the order added when the previous one refuses the
   * connection, greets with an error or answers 421. All relays share the other settings.
   *
   * @param host the relay's host name or address literal; not null or blank
   * @param port the relay's port, 1 to 65535 (465 does not make this relay use implicit TLS: the
   *     first relay's port decides the default security for all)
   * @return this builder
   * @throws IllegalArgumentException when {@code host} is blank or {@code port} is out of range
   */
  public RelayBuilder failover(String host, int port) {
    relays.add(new Relay(host, port));
    return this;
  }

  /**
   * Authenticates with AUTH PLAIN or LOGIN (whichever the server offers). Defaults to no
   * authentication. The password never appears in logs, exceptions or {@code toString()}.
   *
   * @param username the user name to log in as; not null or blank
   * @param password the password; not null
   * @return this builder
   */
  public RelayBuilder credentials(String username, String password) {
    Objects.requireNonNull(password, "password");
    this.credentials = new Credentials(username, () -> password, false);
    return this;
  }

  /**
   * Authenticates with AUTH XOAUTH2, asking {@code accessToken} for a current token on every new
   * connection (it should cache and refresh tokens itself). Defaults to no authentication.
   *
   * @param username the user name the token was issued for; not null or blank
   * @param accessToken gives a current access token, asked on every new connection; not null
   * @return this builder
   */
  public RelayBuilder oauth2(String username, Supplier<String> accessToken) {
    this.credentials =
        new Credentials(username, Objects.requireNonNull(accessToken, "accessToken"), true);
    return this;
  }

  /**
   * Validates and builds the transport. The security mode defaults as {@link #security} says.
   *
   * @throws IllegalArgumentException for {@link Security#NONE} or {@link
   *     Security#STARTTLS_OPPORTUNISTIC} with credentials (they would be sent in plain text)
   */
  @Override
  public SmtpTransport build() {
    Security effective = security;
    if (effective == null) {
      effective =
          relays.get(0).port() == SmtpTransport.SMTPS_PORT
              ? Security.IMPLICIT_TLS
              : credentials == null && relays.stream().allMatch(Relay::isLoopback)
                  ? Security.STARTTLS_OPPORTUNISTIC
                  : Security.STARTTLS_REQUIRED;
    }
    if (credentials != null && effective == Security.NONE) {
      throw new IllegalArgumentException(
          "credentials are never sent without TLS: use STARTTLS_REQUIRED or "
              + "IMPLICIT_TLS, or remove the credentials");
    }
    if (credentials != null && effective == Security.STARTTLS_OPPORTUNISTIC) {
      throw new IllegalArgumentException(
          "credentials would be sent in plain text when the server does not offer "
              + "STARTTLS: use STARTTLS_REQUIRED or IMPLICIT_TLS");
    }
    Duration read = readTimeout != null ? readTimeout : SmtpTransport.DEFAULT_READ_TIMEOUT;
    Duration deadline =
        attemptDeadline != null ? attemptDeadline : SmtpTransport.DEFAULT_ATTEMPT_DEADLINE;
    return new SmtpTransport(
        settings(relays, credentials, effective, read, deadline, false),
        null,
        shaping,
        shapingListener,
        dkim,
        allReplyRules(),
        blockSuspension());
  }
}
