package dev.mailqueue.smtp;

import java.util.Objects;

/** One relay's address. */
record Relay(String host, int port) {
  Relay {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("relay host is blank");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("relay port out of range: " + port);
    }
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
