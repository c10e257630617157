package dev.mailqueue.smtp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Decides whether direct delivery may connect to an MX address. Loopback and unspecified addresses
 * would deliver to ourselves; every other range that IANA's special-purpose address registries mark
 * as not globally reachable (private networks, shared address space, link-local with cloud metadata
 * services, documentation, benchmarking, IETF protocol assignments, Teredo, IPv4-mapped IPv6,
 * discard-only, unique local) and multicast is not the public internet, and reaching it from a mail
 * queue is server-side request forgery. An explicit allow-list of CIDRs, addresses or MX host names
 * overrides this. Immutable, thread-safe.
 */
final class AddressPolicy {
  /** Why an address may or may not be used. */
  enum Verdict {
    ALLOWED,
    LOOPBACK,
    RESTRICTED
  }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /**
   * IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates), the entries whose
   * "Globally Reachable" is False or N/A, plus multicast (224/4, RFC 5771).
   */
  private static final List<Cidr> RESTRICTED_V4 =
      List.of(
          cidr("0.0.0.0/8"), // "this network" (RFC 791)
          cidr("10.0.0.0/8"), // private use (RFC 1918)
          cidr("100.64.0.0/10"), // shared address space, carrier-grade NAT (RFC 6598)
          cidr("169.254.0.0/16"), // link local, cloud metadata services (RFC 3927)
          cidr("172.16.0.0/12"), // private use (RFC 1918)
          cidr(
              "192.0.0.0/24"), // IETF protocol assignments (RFC 6890), but see the exceptions below
          cidr("192.0.2.0/24"), // documentation, TEST-NET-1 (RFC 5737)
          cidr("192.88.99.0/24"), // deprecated 6to4 relay anycast (RFC 7526)
          cidr("192.168.0.0/16"), // private use (RFC 1918)
          cidr("198.18.0.0/15"), // benchmarking (RFC 2544)
          cidr("198.51.100.0/24"), // documentation, TEST-NET-2 (RFC 5737)
          cidr("203.0.113.0/24"), // documentation, TEST-NET-3 (RFC 5737)
          cidr("224.0.0.0/4"), // multicast (RFC 5771)
          cidr(
              "240.0.0.0/4"), // reserved (RFC 1112), includes the limited broadcast 255.255.255.255
          cidr("255.255.255.255/32")); // limited broadcast (RFC 919)

  /** Entries inside a refused block that the registry marks globally reachable. */
  private static final List<Cidr> REACHABLE_V4 =
      List.of(
          cidr("192.0.0.9/32"), // Port Control Protocol anycast (RFC 7723)
          cidr("192.0.0.10/32")); // Traversal Using Relays around NAT anycast (RFC 8155)

  /**
   * IANA IPv6 Special-Purpose Address Registry, "Globally Reachable" False or N/A, plus multicast
   * and site-local.
   */
  private static final List<Cidr> RESTRICTED_V6 =
      List.of(
          cidr("::ffff:0:0/96"), // IPv4-mapped (RFC 4291): reaches an IPv4 host by another name
          cidr("64:ff9b:1::/48"), // local-use IPv4/IPv6 translation (RFC 8215)
          cidr("100::/64"), // discard-only (RFC 6666)
          cidr("100:0:0:1::/64"), // dummy IPv6 prefix (RFC 9780)
          cidr("2001::/23"), // IETF protocol assignments (RFC 2928), but see the exceptions below
          cidr("2001:db8::/32"), // documentation (RFC 3849)
          cidr("3fff::/20"), // documentation (RFC 9637)
          cidr("5f00::/16"), // segment routing SIDs (RFC 9602)
          cidr("fc00::/7"), // unique local (RFC 4193)
          cidr("fe80::/10"), // link-local unicast (RFC 4291)
          cidr("fec0::/10"), // deprecated site-local (RFC 3879)
          cidr("ff00::/8")); // multicast (RFC 4291)

  /**
   * Entries inside 2001::/23 that the registry marks globally reachable. Teredo (2001::/32) is not
   * among them ("N/A"): it tunnels to an obfuscated IPv4 address this policy cannot judge.
   */
  private static final List<Cidr> REACHABLE_V6 =
      List.of(
          cidr("2001:1::1/128"), // Port Control Protocol anycast (RFC 7723)
          cidr("2001:1::2/128"), // TURN anycast (RFC 8155)
          cidr("2001:1::3/128"), // DNS-SD SRP anycast (RFC 9665)
          cidr("2001:3::/32"), // AMT (RFC 7450)
          cidr("2001:4:112::/48"), // AS112-v6 (RFC 7535)
          cidr("2001:20::/28"), // ORCHIDv2 (RFC 7343)
          cidr("2001:30::/28")); // drone remote ID (RFC 9374)

  /** NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address it reaches. */
  private static final Cidr NAT64 = cidr("64:ff9b::/96");

  /** 6to4 (RFC 3056): bits 16-47 are the IPv4 address of the relay. */
  private static final Cidr SIX_TO_FOUR = cidr("2002::/16");

  /** IPv4-mapped addresses (RFC 4291): the last 32 bits. */
  private static final Cidr IPV4_MAPPED = cidr("::ffff:0:0/96");

  /** IPv4-compatible addresses (deprecated, RFC 4291): the last 32 bits. */
  private static final Cidr IPV4_COMPATIBLE = cidr("::/96");

  private final List<Cidr> allowedNetworks;
  private final Set<String> allowedHosts;

  private AddressPolicy(List<Cidr> allowedNetworks, Set<String> allowedHosts) {
    this.allowedNetworks = List.copyOf(allowedNetworks);
    this.allowedHosts = Set.copyOf(allowedHosts);
  }

  /**
   * Parses allow-list entries: a CIDR ({@code 10.1.0.0/16}, {@code fd00::/8}), an address ({@code
   * 127.0.0.1}, {@code ::1}) or an MX host name ({@code mx.internal.example}).
   *
   * @throws IllegalArgumentException for an entry that is none of these
   */
  static AddressPolicy allowing(List<String> entries) {
    List<Cidr> networks = new ArrayList<>();
    Set<String> hosts = new TreeSet<>();
    for (String entry : entries) {
      String e = entry.strip().toLowerCase(Locale.ROOT);
      if (e.contains("/") || e.contains(":") || IPV4.matcher(e).matches()) {
        networks.add(cidr(e));
      } else if (e.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?\\.?")) {
        hosts.add(e.endsWith(".") ? e.substring(0, e.length() - 1) : e);
      } else {
        throw new IllegalArgumentException("not a CIDR, address or host name: '" + entry + "'");
      }
    }
    return new AddressPolicy(networks, hosts);
  }

  /** Whether {@code address} of MX host {@code mxName} may be connected to. */
  Verdict check(String mxName, InetAddress address) {
    Verdict natural = classify(address);
    if (natural == Verdict.ALLOWED || allowedHosts.contains(mxName)) {
      return Verdict.ALLOWED;
    }
    for (Cidr c : allowedNetworks) {
      if (c.contains(address)) {
        return Verdict.ALLOWED;
      }
    }
    return natural;
  }

  /**
   * The verdict without an allow-list. An IPv6 address that carries an IPv4 address (NAT64, 6to4,
   * IPv4-compatible) gets the verdict of that IPv4 address: on an IPv6-only network with NAT64,
   * {@code 64:ff9b::a00:5} reaches 10.0.0.5. The local-use NAT64 prefix (64:ff9b:1::/48, RFC 8215)
   * is refused as private.
   */
  static Verdict classify(InetAddress a) {
    if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
      return Verdict.LOOPBACK;
    }
    InetAddress carried = embeddedIpv4(a);
    if (carried != null) {
      return classify(carried);
    }
    boolean v4 = a instanceof Inet4Address;
    if (anyContains(v4 ? RESTRICTED_V4 : RESTRICTED_V6, a)
        && !anyContains(v4 ? REACHABLE_V4 : REACHABLE_V6, a)) {
      return Verdict.RESTRICTED;
    }
    if (a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isMulticastAddress()) {
      return Verdict.RESTRICTED;
    }
    return Verdict.ALLOWED;
  }

  private static boolean anyContains(List<Cidr> ranges, InetAddress a) {
    for (Cidr c : ranges) {
      if (c.contains(a)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The IPv4 address an IPv6 address carries under NAT64, 6to4, the IPv4-compatible or the
   * IPv4-mapped form, or null. The JDK turns a mapped address into an {@code Inet4Address} when it
   * parses one, but not every {@code Inet6Address} it builds from bytes.
   */
  private static InetAddress embeddedIpv4(InetAddress a) {
    if (a instanceof Inet4Address) {
      return null;
    }
    byte[] b = a.getAddress();
    int from;
    if (IPV4_MAPPED.contains(a)) {
      InetAddress carried = ipv4(b, 12);
      // a mapped loopback is loopback; any other mapped address is refused as not globally
      // reachable
      return carried.isLoopbackAddress() || carried.isAnyLocalAddress() ? carried : null;
    }
    if (NAT64.contains(a) || IPV4_COMPATIBLE.contains(a)) {
      from = 12;
    } else if (SIX_TO_FOUR.contains(a)) {
      from = 2;
    } else {
      return null;
    }
    return ipv4(b, from);
  }

  private static InetAddress ipv4(byte[] b, int from) {
    try {
      return InetAddress.getByAddress(Arrays.copyOfRange(b, from, from + 4));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are an IPv4 address", e);
    }
  }

  @Override
  public String toString() {
    List<String> all = new ArrayList<>();
    allowedNetworks.forEach(c -> all.add(c.toString()));
    all.addAll(allowedHosts);
    return all.toString();
  }

  private static Cidr cidr(String text) {
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    if (!addr.contains(":")
        && (!IPV4.matcher(addr).matches()
            || Arrays.stream(addr.split("\\.")).anyMatch(o -> Integer.parseInt(o) > 255))) {
      // checked here: InetAddress would look up anything that is not a literal
      throw new IllegalArgumentException("not an IP address: '" + text + "'");
    }
    byte[] bytes;
    try {
      // brackets make the JDK refuse a malformed IPv6 literal instead of looking it up as a name
      bytes = InetAddress.getByName(addr.contains(":") ? "[" + addr + "]" : addr).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: '" + text + "'", e);
    }
    if (addr.contains(":") && bytes.length == 4) {
      // the JDK reads an IPv4-mapped literal (::ffff:a.b.c.d) as the IPv4 address: keep it IPv6
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    int bits = bytes.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a CIDR prefix length: '" + text + "'", e);
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("CIDR prefix length out of range: '" + text + "'");
      }
    }
    return new Cidr(bytes, prefix, text);
  }

  private record Cidr(byte[] network, int prefix, String text) {
    boolean contains(InetAddress a) {
      byte[] b = a.getAddress();
      if (b.length != network.length) {
        return false;
      }
      for (int i = 0; i < prefix; i++) {
        int mask = 0x80 >>> (i % 8);
        if ((b[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
