package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Type;

/** The dnsjava resolver against a DNS server on 127.0.0.1 that answers what each test registers. */
@Timeout(20)
class DnsMxResolverTest {
  private DnsStub dns;

  @BeforeEach
  void start() throws Exception {
    dns = new DnsStub();
  }

  @AfterEach
  void stop() {
    dns.close();
  }

  private static InetSocketAddress at(String address, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(address), port);
  }

  private static List<String> names(MxLookup lookup) {
    assertThat(lookup).isInstanceOf(MxLookup.Hosts.class);
    return ((MxLookup.Hosts) lookup).hosts().stream().map(MxHost::name).toList();
  }

  @Test
  void mxHostsComeInPreferenceOrderWithTheirAddresses() throws Exception {
    dns.mx("example.test", 20, "mx2.example.test")
        .mx("example.test", 10, "mx1.example.test")
        .a("mx1.example.test", "192.0.2.1")
        .aaaa("mx1.example.test", "2001:db8::1")
        .a("mx2.example.test", "192.0.2.2");

    MxLookup lookup = dns.resolver().smtpPort(2525).build().lookup("example.test");

    assertThat(lookup)
        .isEqualTo(
            MxLookup.hosts(
                MxHost.of("mx1.example.test", 10, at("192.0.2.1", 2525), at("2001:db8::1", 2525)),
                MxHost.of("mx2.example.test", 20, at("192.0.2.2", 2525))));
  }

  @Test
  void hostsOfEqualPreferenceAreShuffledButStayAfterBetterOnes() {
    dns.mx("spread.test", 5, "first.spread.test")
        .mx("spread.test", 10, "a.spread.test")
        .mx("spread.test", 10, "b.spread.test")
        .a("first.spread.test", "192.0.2.9")
        .a("a.spread.test", "192.0.2.10")
        .a("b.spread.test", "192.0.2.11");
    DnsMxResolver resolver = dns.resolver().build();

    Set<List<String>> orders = new HashSet<>();
    for (int i = 0; i < 60; i++) {
      orders.add(names(resolver.lookup("spread.test")));
    }

    assertThat(orders)
        .containsExactlyInAnyOrder(
            List.of("first.spread.test", "a.spread.test", "b.spread.test"),
            List.of("first.spread.test", "b.spread.test", "a.spread.test"));
  }

  @Test
  void withoutMxTheDomainsOwnAddressIsUsed() throws Exception {
    dns.a("plain.test", "192.0.2.20");

    MxLookup lookup = dns.resolver().build().lookup("plain.test");

    assertThat(lookup).isEqualTo(MxLookup.hosts(MxHost.of("plain.test", 0, at("192.0.2.20", 25))));
  }

  @Test
  void nullMxIsRecognised() {
    dns.nullMx("nomail.test").a("nomail.test", "192.0.2.30");

    assertThat(dns.resolver().build().lookup("nomail.test")).isEqualTo(new MxLookup.NullMx());
    assertThat(dns.queries("nomail.test", Type.A)).isZero();
  }

  @Test
  void nxdomainIsNoSuchDomain() {
    assertThat(dns.resolver().build().lookup("missing.test"))
        .isInstanceOf(MxLookup.NoSuchDomain.class);
  }

  @Test
  void mxHostsWithoutAddressesAreNoAddress() {
    dns.mx("dangling.test", 10, "gone.dangling.test");

    assertThat(dns.resolver().build().lookup("dangling.test"))
        .isInstanceOf(MxLookup.NoAddress.class);
  }

  @Test
  void servfailIsATemporaryFailure() {
    dns.servfail("broken.test");

    MxLookup lookup = dns.resolver().build().lookup("broken.test");

    assertThat(lookup).isInstanceOf(MxLookup.TemporaryFailure.class);
    assertThat(((MxLookup.TemporaryFailure) lookup).detail()).contains("broken.test");
  }

  @Test
  void aServerThatNeverAnswersIsATemporaryFailureWithinTheTimeout() {
    dns.silent("slow.test");

    long start = System.nanoTime();
    MxLookup lookup = dns.resolver().timeout(Duration.ofMillis(300)).build().lookup("slow.test");

    assertThat(lookup).isInstanceOf(MxLookup.TemporaryFailure.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void anMxHostWhoseAddressLookupFailsIsSkipped() throws Exception {
    dns.mx("half.test", 10, "bad.half.test")
        .mx("half.test", 20, "good.half.test")
        .servfail("bad.half.test")
        .a("good.half.test", "192.0.2.40");

    assertThat(dns.resolver().build().lookup("half.test"))
        .isEqualTo(MxLookup.hosts(MxHost.of("good.half.test", 20, at("192.0.2.40", 25))));
  }

  @Test
  void onlyFailingMxHostsAreATemporaryFailureNotABounce() {
    dns.mx("allbad.test", 10, "bad.allbad.test").servfail("bad.allbad.test");

    assertThat(dns.resolver().build().lookup("allbad.test"))
        .isInstanceOf(MxLookup.TemporaryFailure.class);
  }

  @Test
  void answersAreCachedForTheirTtl() {
    dns.mx("cached.test", 10, "mx.cached.test").a("mx.cached.test", "192.0.2.50");
    DnsMxResolver resolver = dns.resolver().build();

    MxLookup first = resolver.lookup("cached.test");
    MxLookup second = resolver.lookup("cached.test");

    assertThat(second).isEqualTo(first);
    assertThat(dns.queries("cached.test", Type.MX)).isEqualTo(1);
    assertThat(dns.queries("mx.cached.test", Type.A)).isEqualTo(1);
  }

  @Test
  void failuresAreNotCached() {
    dns.servfail("flaky.test");
    DnsMxResolver resolver = dns.resolver().build();

    resolver.lookup("flaky.test");
    resolver.lookup("flaky.test");

    assertThat(dns.queries("flaky.test", Type.MX)).isEqualTo(2);
  }
}
