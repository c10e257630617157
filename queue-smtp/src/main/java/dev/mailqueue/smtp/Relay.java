package dev.mailqueue.smtp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;

/**
 * Where one pool connects: a configured relay ({@code address == null}, connected by name), or in
 * direct mode one address of an MX host (connected by that address, so that the address that was
 * checked is the one used; the name is kept for TLS and logs).
 */
record Relay(String host, int port, InetAddress address) {
  Relay {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("relay host is blank");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("relay port out of range: " + port);
    }
  }

  Relay(String host, int port) {
    this(host, port, null);
  }

  /** What Angus connects to: the address literal when there is one, else the name. */
  String connectHost() {
    return address == null ? host : address.getHostAddress();
  }

  /**
   * Whether the relay is on this machine by its name alone ({@code localhost}, a loopback address
   * literal): no network path an attacker could sit on. A name is not resolved for this.
   */
  boolean isLoopback() {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    if (h.matches("\\d{1,3}(\\.\\d{1,3}){3}") || h.contains(":")) {
      try {
        // a literal: the JDK parses it without a lookup (brackets make it refuse a malformed IPv6
        // one)
        return InetAddress.getByName(h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h)
            .isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /** The remote host as reported in a delivery result: {@code host} or {@code host[address]}. */
  String remoteHost() {
    return address == null ? host : host + "[" + address.getHostAddress() + "]";
  }

  @Override
  public String toString() {
    return remoteHost() + ":" + port;
  }
}
