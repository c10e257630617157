package dev.mailqueue.smtp;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One mail exchanger of a domain and where to reach it.
 *
 * @param name the host name, lower case, without trailing dot; used for TLS (SNI and, when
 *     required, certificate verification), for connection reuse and in logs
 * @param preference the MX preference (lower is tried first); 0 for a domain without MX records
 *     whose own addresses are used (RFC 5321 5.1)
 * @param addresses the resolved addresses with the SMTP port, in the order to try; never empty
 */
public record MxHost(String name, int preference, List<InetSocketAddress> addresses) {
  /**
   * Validates and normalises the name; every address must be resolved.
   *
   * @param name the host name; not null or blank; stored in lower case without a trailing dot
   * @param preference the MX preference, 0 to 65535
   * @param addresses resolved addresses with the SMTP port, in the order to try; copied, not empty
   * @throws IllegalArgumentException for a blank name, a preference out of range, no address or an
   *     unresolved address
   */
  public MxHost {
    Objects.requireNonNull(name, "name");
    name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    name = name.toLowerCase(Locale.ROOT);
    if (name.isBlank()) {
      throw new IllegalArgumentException("MX host name is blank");
    }
    if (preference < 0 || preference > 65535) {
      throw new IllegalArgumentException("MX preference out of range: " + preference);
    }
    addresses = List.copyOf(addresses);
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("MX host " + name + " has no address");
    }
    for (InetSocketAddress a : addresses) {
      if (a.isUnresolved()) {
        throw new IllegalArgumentException("MX host " + name + " has an unresolved address: " + a);
      }
    }
  }

  /**
   * An MX host reachable at these addresses, e.g. {@code of("mx1.example.com", 10, addr)}.
   *
   * @param name the host name; not null or blank
   * @param preference the MX preference, 0 to 65535
   * @param addresses resolved addresses with the SMTP port, in the order to try; at least one
   * @return the MX host
   * @throws IllegalArgumentException as {@link #MxHost the constructor} says
   */
  public static MxHost of(String name, int preference, InetSocketAddress... addresses) {
    return new MxHost(name, preference, List.of(addresses));
  }
}
