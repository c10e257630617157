package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.smtp.AddressPolicy.Verdict;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressPolicyTest {

  /**
   * One row per range of IANA's IPv4 and IPv6 Special-Purpose Address Registries (its first and
   * last address where that matters), with the registry's "Globally Reachable" as the verdict.
   */
  @ParameterizedTest
  @CsvSource({
    // loopback and unspecified: would deliver to ourselves
    "127.0.0.1, LOOPBACK",
    "127.8.9.10, LOOPBACK",
    "::1, LOOPBACK",
    "0.0.0.0, LOOPBACK",
    "::, LOOPBACK",
    // IPv4, not globally reachable
    "0.1.2.3, RESTRICTED",
    "10.0.0.1, RESTRICTED",
    "100.64.0.1, RESTRICTED",
    "100.127.255.254, RESTRICTED",
    "169.254.169.254, RESTRICTED",
    "172.16.0.1, RESTRICTED",
    "172.31.255.255, RESTRICTED",
    "192.0.0.1, RESTRICTED",
    "192.0.0.8, RESTRICTED",
    "192.0.0.170, RESTRICTED",
    "192.0.0.255, RESTRICTED",
    "192.0.2.1, RESTRICTED",
    "192.88.99.1, RESTRICTED",
    "192.168.1.1, RESTRICTED",
    "198.18.0.1, RESTRICTED",
    "198.19.255.254, RESTRICTED",
    "198.51.100.7, RESTRICTED",
    "203.0.113.9, RESTRICTED",
    "224.0.0.251, RESTRICTED",
    "239.255.255.250, RESTRICTED",
    "240.0.0.1, RESTRICTED",
    "255.255.255.255, RESTRICTED",
    // IPv4, globally reachable (inside or next to special-purpose blocks)
    "8.8.8.8, ALLOWED",
    "100.63.255.255, ALLOWED",
    "100.128.0.0, ALLOWED",
    "172.32.0.1, ALLOWED",
    "192.0.0.9, ALLOWED",
    "192.0.0.10, ALLOWED",
    "192.0.1.1, ALLOWED",
    "192.31.196.1, ALLOWED",
    "192.52.193.1, ALLOWED",
    "192.175.48.1, ALLOWED",
    "198.17.255.255, ALLOWED",
    "198.20.0.0, ALLOWED",
    // IPv6, not globally reachable
    "::ffff:10.0.0.1, RESTRICTED",
    "100::1, RESTRICTED",
    "100:0:0:1::1, RESTRICTED",
    "2001::1, RESTRICTED",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2, RESTRICTED",
    "2001:2::1, RESTRICTED",
    "2001:10::1, RESTRICTED",
    "2001:1::4, RESTRICTED",
    "2001:db8::1, RESTRICTED",
    "3fff::1, RESTRICTED",
    "3fff:fff::1, RESTRICTED",
    "5f00::1, RESTRICTED",
    "fc00::1, RESTRICTED",
    "fd12:3456::1, RESTRICTED",
    "fe80::1, RESTRICTED",
    "fec0::1, RESTRICTED",
    "ff02::1, RESTRICTED",
    // IPv6, globally reachable
    "2001:1::1, ALLOWED",
    "2001:1::2, ALLOWED",
    "2001:3::1, ALLOWED",
    "2001:4:112::1, ALLOWED",
    "2001:20::1, ALLOWED",
    "2001:30::1, ALLOWED",
    "2001:200::1, ALLOWED",
    "2606:4700::1111, ALLOWED",
    "2620:4f:8000::1, ALLOWED",
    "4000::1, ALLOWED",
    // IPv6 addresses that carry an IPv4 address: NAT64 (RFC 6052), 6to4 (RFC 3056), IPv4-compatible
    "64:ff9b::a00:5, RESTRICTED",
    "64:ff9b::7f00:1, LOOPBACK",
    "64:ff9b::808:808, ALLOWED",
    "64:ff9b:1::808:808, RESTRICTED",
    "2002:a00:1::1, RESTRICTED",
    "2002:7f00:1::1, LOOPBACK",
    "2002:808:808::1, ALLOWED",
    "::10.0.0.1, RESTRICTED",
    "::127.0.0.1, LOOPBACK",
    "::8.8.8.8, ALLOWED"
  })
  void classifiesWithoutAnAllowList(String address, Verdict expected) throws Exception {
    assertThat(
            AddressPolicy.allowing(List.of())
                .check("mx.example.com", InetAddress.getByName(address)))
        .isEqualTo(expected);
  }

  /**
   * The JDK parses ::ffff:a.b.c.d into an Inet4Address, but an Inet6Address can still hold one
   * (from bytes).
   */
  @ParameterizedTest
  @CsvSource({
    "127.0.0.1, LOOPBACK",
    "0.0.0.0, LOOPBACK",
    "10.0.0.1, RESTRICTED",
    "8.8.8.8, RESTRICTED"
  })
  void anIpv4MappedAddressHeldAsInet6AddressIsJudgedAndRefused(String ipv4, Verdict expected)
      throws Exception {
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    System.arraycopy(InetAddress.getByName(ipv4).getAddress(), 0, mapped, 12, 4);
    InetAddress a = Inet6Address.getByAddress(null, mapped, -1);
    assertThat(a).isInstanceOf(Inet6Address.class);
    assertThat(AddressPolicy.allowing(List.of()).check("mx.example.com", a)).isEqualTo(expected);
  }

  @Test
  void allowListPermitsCidrsAddressesAndHostNames() throws Exception {
    AddressPolicy p =
        AddressPolicy.allowing(List.of("10.20.0.0/16", "::1", "MX.Internal.Example."));

    assertThat(p.check("mx.example.com", InetAddress.getByName("10.20.3.4")))
        .isEqualTo(Verdict.ALLOWED);
    assertThat(p.check("mx.example.com", InetAddress.getByName("10.21.3.4")))
        .isEqualTo(Verdict.RESTRICTED);
    assertThat(p.check("mx.example.com", InetAddress.getByName("::1"))).isEqualTo(Verdict.ALLOWED);
    assertThat(p.check("mx.example.com", InetAddress.getByName("127.0.0.1")))
        .isEqualTo(Verdict.LOOPBACK);
    assertThat(p.check("mx.internal.example", InetAddress.getByName("192.168.0.9")))
        .isEqualTo(Verdict.ALLOWED);
  }

  @Test
  void rejectsEntriesThatAreNeitherCidrNorHost() {
    for (String bad : List.of("10.0.0.0/33", "300.1.1.1", "10.0.0.0/x", "not a host", "gg::1/64")) {
      assertThatThrownBy(() -> AddressPolicy.allowing(List.of(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
