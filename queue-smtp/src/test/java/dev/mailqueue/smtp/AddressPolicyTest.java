package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.smtp.AddressPolicy.Verdict;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AddressPolicyTest {

  @ParameterizedTest
  @CsvSource({
      "127.0.0.1, LOOPBACK", "127.8.9.10, LOOPBACK", "::1, LOOPBACK", "0.0.0.0, LOOPBACK", "::, LOOPBACK",
      "10.0.0.1, RESTRICTED", "172.16.0.1, RESTRICTED", "172.31.255.255, RESTRICTED", "192.168.1.1, RESTRICTED",
      "169.254.169.254, RESTRICTED", "100.64.0.1, RESTRICTED", "224.0.0.251, RESTRICTED", "fd12:3456::1, RESTRICTED",
      "fc00::1, RESTRICTED", "fe80::1, RESTRICTED", "ff02::1, RESTRICTED", "::ffff:10.0.0.1, RESTRICTED",
      "8.8.8.8, ALLOWED", "172.32.0.1, ALLOWED", "192.0.2.1, ALLOWED", "2001:db8::1, ALLOWED",
      // IPv6 addresses that carry an IPv4 address: NAT64 (RFC 6052), 6to4 (RFC 3056), IPv4-compatible
      "64:ff9b::a00:5, RESTRICTED", "64:ff9b::7f00:1, LOOPBACK", "64:ff9b::808:808, ALLOWED",
      "64:ff9b:1::808:808, RESTRICTED", "2002:a00:1::1, RESTRICTED", "2002:7f00:1::1, LOOPBACK",
      "2002:808:808::1, ALLOWED", "::10.0.0.1, RESTRICTED", "::127.0.0.1, LOOPBACK", "::8.8.8.8, ALLOWED"})
  void classifiesWithoutAnAllowList(String address, Verdict expected) throws Exception {
    assertThat(AddressPolicy.allowing(List.of()).check("mx.example.com", InetAddress.getByName(address)))
        .isEqualTo(expected);
  }

  @Test
  void allowListPermitsCidrsAddressesAndHostNames() throws Exception {
    AddressPolicy p = AddressPolicy.allowing(List.of("10.20.0.0/16", "::1", "MX.Internal.Example."));

    assertThat(p.check("mx.example.com", InetAddress.getByName("10.20.3.4"))).isEqualTo(Verdict.ALLOWED);
    assertThat(p.check("mx.example.com", InetAddress.getByName("10.21.3.4"))).isEqualTo(Verdict.RESTRICTED);
    assertThat(p.check("mx.example.com", InetAddress.getByName("::1"))).isEqualTo(Verdict.ALLOWED);
    assertThat(p.check("mx.example.com", InetAddress.getByName("127.0.0.1"))).isEqualTo(Verdict.LOOPBACK);
    assertThat(p.check("mx.internal.example", InetAddress.getByName("192.168.0.9"))).isEqualTo(Verdict.ALLOWED);
  }

  @Test
  void rejectsEntriesThatAreNeitherCidrNorHost() {
    for (String bad : List.of("10.0.0.0/33", "300.1.1.1", "10.0.0.0/x", "not a host", "gg::1/64")) {
      assertThatThrownBy(() -> AddressPolicy.allowing(List.of(bad))).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
