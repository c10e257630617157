package dev.mailqueue.smtp;

import java.util.List;
import java.util.Objects;

/**
 * What DNS says about where mail for a domain goes. A transport in direct mode turns each case into
 * recipient outcomes (see {@link SmtpTransport#direct()}).
 */
public sealed interface MxLookup
    permits MxLookup.Hosts,
        MxLookup.NullMx,
        MxLookup.NoSuchDomain,
        MxLookup.NoAddress,
        MxLookup.TemporaryFailure {

  /** The hosts to try, most preferred first; never empty. */
  record Hosts(List<MxHost> hosts) implements MxLookup {
    /**
     * Copies the list and refuses an empty one.
     *
     * @param hosts the hosts, most preferred first; copied, not null and not empty
     * @throws IllegalArgumentException when {@code hosts} is empty (use {@link NoAddress})
     */
    public Hosts {
      hosts = List.copyOf(hosts);
      if (hosts.isEmpty()) {
        throw new IllegalArgumentException("no MX hosts: use NoAddress");
      }
    }
  }

  /**
   * The domain publishes a null MX (RFC 7505): it accepts no mail. Recipients bounce with 5.1.10.
   */
  record NullMx() implements MxLookup {}

  /** The domain does not exist (NXDOMAIN). Recipients bounce with 5.1.2. */
  record NoSuchDomain(String detail) implements MxLookup {
    /**
     * Requires a detail for the bounce text.
     *
     * @param detail why the domain does not exist (e.g. {@code NXDOMAIN for example.com}), quoted
     *     in the bounce text; not null
     */
    public NoSuchDomain {
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * The domain exists, but neither its MX hosts nor (without MX) the domain itself have an address.
   * Recipients bounce with 5.4.4.
   */
  record NoAddress(String detail) implements MxLookup {
    /**
     * Requires a detail for the bounce text.
     *
     * @param detail which names had no address, quoted in the bounce text; not null
     */
    public NoAddress {
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * DNS gave no usable answer (timeout, SERVFAIL, refused). Recipients are deferred with 4.4.3,
   * never bounced.
   */
  record TemporaryFailure(String detail) implements MxLookup {
    /**
     * Requires a detail for the deferral text.
     *
     * @param detail what failed (e.g. the DNS error or the resolver's exception), quoted in the
     *     deferral text; not null
     */
    public TemporaryFailure {
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * Shorthand for {@link Hosts}.
   *
   * @param hosts the hosts, most preferred first; at least one
   * @return a {@link Hosts} result
   */
  static MxLookup hosts(MxHost... hosts) {
    return new Hosts(List.of(hosts));
  }
}
