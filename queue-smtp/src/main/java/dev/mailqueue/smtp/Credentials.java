package dev.mailqueue.smtp;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A user name and a secret: a password, or an OAuth 2 access token fetched on every connect. {@link
 * #toString()} never shows the secret.
 */
record Credentials(String username, Supplier<String> secret, boolean oauth2) {
  Credentials {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(secret, "secret");
    if (username.isBlank()) {
      throw new IllegalArgumentException("username is blank");
    }
  }

  /** The Angus {@code auth.mechanisms} value. */
  String mechanisms() {
    return oauth2 ? "XOAUTH2" : "PLAIN LOGIN";
  }

  @Override
  public String toString() {
    return (oauth2 ? "XOAUTH2" : "PLAIN/LOGIN") + " as " + username;
  }
}
