package dev.mailqueue.smtp;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Decides whether direct delivery may connect to an MX address. Loopback and unspecified
 * addresses would deliver to ourselves; private (RFC 1918, RFC 6598, fc00::/7), link-local
 * (169.254/16 with cloud metadata services, fe80::/10) and multicast addresses are not the public
 * internet and reaching them from a mail queue is server-side request forgery. An explicit
 * allow-list of CIDRs, addresses or MX host names overrides this. Immutable, thread-safe.
 */
final class AddressPolicy {
  /** Why an address may or may not be used. */
  enum Verdict { ALLOWED, LOOPBACK, RESTRICTED }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final List<Cidr> RESTRICTED_V4 = List.of(cidr("0.0.0.0/8"), cidr("10.0.0.0/8"),
      cidr("100.64.0.0/10"), cidr("172.16.0.0/12"), cidr("192.168.0.0/16"), cidr("169.254.0.0/16"),
      cidr("224.0.0.0/4"), cidr("240.0.0.0/4"));
  private static final List<Cidr> RESTRICTED_V6 = List.of(cidr("fc00::/7"), cidr("fe80::/10"), cidr("ff00::/8"),
      cidr("fec0::/10"), cidr("64:ff9b:1::/48"));
  /** NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address it reaches. */
  private static final Cidr NAT64 = cidr("64:ff9b::/96");
  /** 6to4 (RFC 3056): bits 16-47 are the IPv4 address of the relay. */
  private static final Cidr SIX_TO_FOUR = cidr("2002::/16");
  /** IPv4-compatible addresses (deprecated, RFC 4291): the last 32 bits. */
  private static final Cidr IPV4_COMPATIBLE = cidr("::/96");

  private final List<Cidr> allowedNetworks;
  private final Set<String> allowedHosts;

  private AddressPolicy(List<Cidr> allowedNetworks, Set<String> allowedHosts) {
    this.allowedNetworks = List.copyOf(allowedNetworks);
    this.allowedHosts = Set.copyOf(allowedHosts);
  }

  /**
   * Parses allow-list entries: a CIDR ({@code 10.1.0.0/16}, {@code fd00::/8}), an address
   * ({@code 127.0.0.1}, {@code ::1}) or an MX host name ({@code mx.internal.example}).
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
    for (Cidr c : a instanceof Inet4Address ? RESTRICTED_V4 : RESTRICTED_V6) {
      if (c.contains(a)) {
        return Verdict.RESTRICTED;
      }
    }
    if (a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isMulticastAddress()) {
      return Verdict.RESTRICTED;
    }
    return Verdict.ALLOWED;
  }

  /** The IPv4 address an IPv6 address carries under NAT64, 6to4 or the IPv4-compatible form, or null. */
  private static InetAddress embeddedIpv4(InetAddress a) {
    if (a instanceof Inet4Address) {
      return null;
    }
    byte[] b = a.getAddress();
    int from;
    if (NAT64.contains(a) || IPV4_COMPATIBLE.contains(a)) {
      from = 12;
    } else if (SIX_TO_FOUR.contains(a)) {
      from = 2;
    } else {
      return null;
    }
    try {
      return InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, from, from + 4));
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
    if (!addr.contains(":") && (!IPV4.matcher(addr).matches()
        || java.util.Arrays.stream(addr.split("\\.")).anyMatch(o -> Integer.parseInt(o) > 255))) {
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
