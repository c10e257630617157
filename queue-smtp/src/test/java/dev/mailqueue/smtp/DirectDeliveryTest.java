package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.hangUp;
import static dev.mailqueue.smtp.ScriptedSmtpServer.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Direct-to-MX delivery over real SMTP on 127.0.0.1, with MX answers chosen by each test. */
@Timeout(20)
class DirectDeliveryTest {
  private ScriptedSmtpServer mx1;
  private ScriptedSmtpServer mx2;
  private SmtpTransport transport;
  private final Map<String, MxLookup> zone = new ConcurrentHashMap<>();
  private final Map<String, Integer> lookups = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws IOException {
    mx1 = new ScriptedSmtpServer();
    mx2 = new ScriptedSmtpServer();
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    mx1.close();
    mx2.close();
  }

  /** A resolver answering from {@link #zone}, counting lookups; unknown domains do not exist. */
  private MxLookup resolve(String domain) {
    lookups.merge(domain, 1, Integer::sum);
    return zone.getOrDefault(domain, new MxLookup.NoSuchDomain("not in the test zone"));
  }

  private DirectBuilder direct() {
    return SmtpTransport.direct()
        .mxResolver(this::resolve)
        .allowDestinations("127.0.0.1")
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(2))
        .attemptDeadline(Duration.ofSeconds(10));
  }

  private static InetSocketAddress local(int port) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  private static InetSocketAddress address(String literal) throws IOException {
    return new InetSocketAddress(InetAddress.getByName(literal), 25);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static RecipientOutcome outcome(DeliveryResult r, String address) {
    return r.recipients().stream()
        .filter(o -> o.recipient().address().equals(address))
        .findFirst()
        .orElseThrow();
  }

  private void twoMx(String domain, InetSocketAddress first, InetSocketAddress second) {
    zone.put(
        domain,
        MxLookup.hosts(
            MxHost.of("mx1." + domain, 10, first), MxHost.of("mx2." + domain, 20, second)));
  }

  @Test
  void deliversToTheMostPreferredMxWithTheConfiguredEhloName() {
    twoMx("example.test", local(mx1.port()), local(mx2.port()));
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("a@example.test", "b@example.test"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients())
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
    assertThat(r.remoteHost()).isEqualTo("mx1.example.test[127.0.0.1]");
    assertThat(mx1.connection(0).commands())
        .contains("EHLO client.test", "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>");
    assertThat(mx1.connection(0).data()).hasSize(1);
    assertThat(mx2.connections()).isEmpty();
  }

  @Test
  void fallsBackToTheNextMxWhenTheFirstRefusesTheConnection() throws IOException {
    twoMx("example.test", local(closedPort()), local(mx2.port()));
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("a@example.test"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(r.remoteHost()).startsWith("mx2.example.test");
    assertThat(mx2.connection(0).data()).hasSize(1);
  }

  @Test
  void fallsBackToTheNextMxOnA4xxOr5xxGreetingOrA421() throws IOException {
    try (ScriptedSmtpServer busy = new ScriptedSmtpServer();
        ScriptedSmtpServer refusing = new ScriptedSmtpServer()) {
      busy.greeting(reply("450 4.3.2 too busy"));
      refusing.greeting(reply("554 5.7.1 no mail from you here"));
      mx1.on("MAIL FROM", reply("421 4.4.5 shutting down"));
      zone.put(
          "example.test",
          MxLookup.hosts(
              MxHost.of("busy.example.test", 5, local(busy.port())),
              MxHost.of("refusing.example.test", 6, local(refusing.port())),
              MxHost.of("mx1.example.test", 10, local(mx1.port())),
              MxHost.of("mx2.example.test", 20, local(mx2.port()))));
      transport = direct().build();

      DeliveryResult r = transport.deliver(mail("a@example.test"));

      assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(r.remoteHost()).startsWith("mx2.example.test");
      assertThat(busy.connection(0).sawCommand("EHLO")).isFalse();
      assertThat(refusing.connection(0).sawCommand("EHLO")).isFalse();
      assertThat(mx1.connection(0).sawCommand("RCPT")).isFalse();
      assertThat(mx2.connection(0).data()).hasSize(1);
    }
  }

  @Test
  void whenEveryMxFailsTheLastReplyDefers() throws IOException {
    mx1.greeting(reply("421 4.3.2 not now"));
    mx2.greeting(reply("421 4.3.2 not now either"));
    twoMx("example.test", local(mx1.port()), local(mx2.port()));
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("a@example.test"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients().get(0))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(RecipientStatus.DEFERRED, new SmtpReply(421, "4.3.2", "not now either"));
  }

  @Test
  void a5xxFromTheMxThatAcceptedTheSessionBouncesWithoutTryingTheNext() {
    mx1.on("RCPT TO:<nobody@", reply("550 5.1.1 no such user"));
    twoMx("example.test", local(mx1.port()), local(mx2.port()));
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("nobody@example.test"));

    assertThat(r.recipients().get(0))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(RecipientStatus.BOUNCED, new SmtpReply(550, "5.1.1", "no such user"));
    assertThat(mx2.connections()).isEmpty();
  }

  @Test
  void nullMxBouncesWith5110WithoutAnyConnection() {
    zone.put("nomail.test", new MxLookup.NullMx());
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("a@nomail.test", "b@nomail.test"));

    assertThat(r.recipients())
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
              assertThat(o.reply().code()).isEqualTo(556);
              assertThat(o.reply().enhancedStatus()).isEqualTo("5.1.10");
            });
    assertThat(r.remoteHost()).isNull();
    assertThat(mx1.connections()).isEmpty();
    assertThat(mx2.connections()).isEmpty();
  }

  @Test
  void loopbackMxIsRefusedWithoutTheAllowListAndBounces546() {
    zone.put("loop.test", MxLookup.hosts(MxHost.of("localhost", 10, local(mx1.port()))));
    transport =
        SmtpTransport.direct()
            .mxResolver(this::resolve)
            .allowDestinations("192.0.2.0/24", "mx.other.test")
            .security(Security.NONE)
            .readTimeout(Duration.ofSeconds(2))
            .build(); // 127.0.0.1 not allowed

    DeliveryResult r = transport.deliver(mail("a@loop.test"));

    RecipientOutcome o = r.recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
    assertThat(o.reply().enhancedStatus()).isEqualTo("5.4.6");
    assertThat(o.reply().text()).contains("loops back to myself");
    assertThat(mx1.connections()).isEmpty();
  }

  @Test
  void privateAndLinkLocalMxAddressesAreRefusedAndDeferredUnlessAllowed() throws IOException {
    zone.put(
        "internal.test",
        MxLookup.hosts(
            MxHost.of(
                "mx.internal.test",
                10,
                address("10.1.2.3"),
                address("169.254.169.254"),
                address("fd00::1"))));
    transport = direct().connectTimeout(Duration.ofMillis(300)).build();

    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail("a@internal.test"));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(300));
    RecipientOutcome o = r.recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(o.reply().enhancedStatus()).isEqualTo("4.4.4");
    assertThat(o.reply().text())
        .contains("10.1.2.3", "169.254.169.254", "fd00:0:0:0:0:0:0:1", "allowDestinations");
  }

  @Test
  void aRefusedMxIsSkippedAndTheNextPublicOrAllowedOneIsUsed() throws IOException {
    zone.put(
        "example.test",
        MxLookup.hosts(
            MxHost.of("mx0.example.test", 5, address("192.168.1.1")),
            MxHost.of("mx1.example.test", 10, local(mx1.port()))));
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("a@example.test"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(mx1.connection(0).data()).hasSize(1);
  }

  @Test
  void anAllowedHostNamePermitsItsAddresses() {
    zone.put("example.test", MxLookup.hosts(MxHost.of("mx.example.test", 10, local(mx1.port()))));
    transport =
        SmtpTransport.direct()
            .mxResolver(this::resolve)
            .allowDestinations("MX.example.test")
            .security(Security.NONE)
            .readTimeout(Duration.ofSeconds(2))
            .build();

    assertThat(transport.deliver(mail("a@example.test")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
  }

  @Test
  void dnsFailureDefers443AndNxdomainBounces512() {
    zone.put("flaky.test", new MxLookup.TemporaryFailure("SERVFAIL"));
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("a@flaky.test", "b@missing.test"));

    assertThat(outcome(r, "a@flaky.test"))
        .satisfies(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
              assertThat(o.reply().code()).isEqualTo(451);
              assertThat(o.reply().enhancedStatus()).isEqualTo("4.4.3");
            });
    assertThat(outcome(r, "b@missing.test"))
        .satisfies(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
              assertThat(o.reply().enhancedStatus()).isEqualTo("5.1.2");
            });
  }

  @Test
  void recipientsOfSeveralDomainsAreDeliveredPerDomainAndMergedInOrder() {
    zone.put("one.test", MxLookup.hosts(MxHost.of("mx.one.test", 10, local(mx1.port()))));
    zone.put("two.test", MxLookup.hosts(MxHost.of("mx.two.test", 10, local(mx2.port()))));
    zone.put("nomail.test", new MxLookup.NullMx());
    zone.put("flaky.test", new MxLookup.TemporaryFailure("timed out"));
    mx2.on("RCPT TO:<bad@", reply("550 5.1.1 unknown"));
    transport = direct().build();

    DeliveryResult r =
        transport.deliver(
            mail(
                "a@one.test",
                "x@nomail.test",
                "b@two.test",
                "y@flaky.test",
                "c@one.test",
                "bad@two.test"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients())
        .extracting(o -> o.recipient().address() + "=" + o.status())
        .containsExactly(
            "a@one.test=DELIVERED",
            "x@nomail.test=BOUNCED",
            "b@two.test=DELIVERED",
            "y@flaky.test=DEFERRED",
            "c@one.test=DELIVERED",
            "bad@two.test=BOUNCED");
    assertThat(r.remoteHost()).isEqualTo("mx.one.test[127.0.0.1], mx.two.test[127.0.0.1]");
    assertThat(mx1.connection(0).commands())
        .filteredOn(c -> c.startsWith("RCPT"))
        .containsExactly("RCPT TO:<a@one.test>", "RCPT TO:<c@one.test>");
    assertThat(mx2.connection(0).commands())
        .filteredOn(c -> c.startsWith("RCPT"))
        .containsExactly("RCPT TO:<b@two.test>", "RCPT TO:<bad@two.test>");
    assertThat(lookups).containsEntry("one.test", 1).containsEntry("two.test", 1);
  }

  @Test
  void domainsSharingAnMxHostShareItsConnection() {
    zone.put("one.test", MxLookup.hosts(MxHost.of("mx.shared.test", 10, local(mx1.port()))));
    zone.put("two.test", MxLookup.hosts(MxHost.of("mx.shared.test", 10, local(mx1.port()))));
    transport = direct().build();

    transport.deliver(mail("a@one.test"));
    DeliveryResult r = transport.deliver(mail("b@two.test", "c@one.test"));

    assertThat(r.recipients())
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
    assertThat(mx1.connections()).hasSize(1);
    assertThat(mx1.connection(0).data()).hasSize(3);
    assertThat(transport.idleConnections("mx.shared.test")).isEqualTo(1);
  }

  @Test
  void anUncertainDomainStaysUncertainNextToADeliveredOne() {
    zone.put("one.test", MxLookup.hosts(MxHost.of("mx.one.test", 10, local(mx1.port()))));
    zone.put("two.test", MxLookup.hosts(MxHost.of("mx.two.test", 10, local(mx2.port()))));
    zone.put("flaky.test", new MxLookup.TemporaryFailure("timed out"));
    mx2.on(".", hangUp(), hangUp());
    transport = direct().build();

    DeliveryResult mixed = transport.deliver(mail("a@one.test", "b@two.test"));
    DeliveryResult deferredOnly = transport.deliver(mail("b@two.test", "y@flaky.test"));

    // one.test took the message and is not asked again; two.test may have it: the attempt is
    // uncertain
    assertThat(mixed.kind()).isEqualTo(DeliveryResult.Kind.UNCERTAIN);
    assertThat(mixed.retryAfter()).isNull();
    assertThat(outcome(mixed, "a@one.test").status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(outcome(mixed, "b@two.test").status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(outcome(mixed, "b@two.test").reply().text()).contains("delivery uncertain");
    assertThat(mixed.remoteHost()).isEqualTo("mx.one.test[127.0.0.1], mx.two.test[127.0.0.1]");
    assertThat(mx1.connection(0).data()).hasSize(1);
    assertThat(mx2.connection(0).data()).as("two.test got the whole message").hasSize(1);
    assertThat(deferredOnly.kind()).isEqualTo(DeliveryResult.Kind.UNCERTAIN);
  }

  @Test
  void anUncertainDomainStaysUncertainNextToABouncedOne() {
    zone.put("one.test", MxLookup.hosts(MxHost.of("mx.one.test", 10, local(mx1.port()))));
    zone.put("two.test", MxLookup.hosts(MxHost.of("mx.two.test", 10, local(mx2.port()))));
    mx1.on("RCPT", reply("550 5.1.1 no such user"));
    mx2.on(".", hangUp());
    transport = direct().build();

    DeliveryResult r = transport.deliver(mail("gone@one.test", "b@two.test"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.UNCERTAIN);
    assertThat(outcome(r, "gone@one.test").status()).isEqualTo(RecipientStatus.BOUNCED);
    assertThat(outcome(r, "b@two.test").status()).isEqualTo(RecipientStatus.DEFERRED);
  }

  @Test
  void opportunisticTlsEncryptsWithAnUnverifiableCertificate() throws Exception {
    mx1.tls(TestCertificates.otherHost().serverContext(), false);
    zone.put("example.test", MxLookup.hosts(MxHost.of("mx.example.test", 10, local(mx1.port()))));
    transport = direct().security(Security.STARTTLS_OPPORTUNISTIC).build();

    DeliveryResult r = transport.deliver(mail("a@example.test"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(mx1.connection(0).tls).isTrue();
    assertThat(mx1.connection(0).sawCommand("STARTTLS")).isTrue();
  }

  @Test
  void verifiedTlsDomainNeedsACertificateForTheMxName() throws Exception {
    mx1.tls(TestCertificates.otherHost().serverContext(), false); // trusted, but for other.example
    mx2.tls(TestCertificates.localhost().serverContext(), false); // trusted and for localhost
    zone.put(
        "bank.test",
        MxLookup.hosts(
            MxHost.of("mx.bank.test", 10, local(mx1.port())),
            MxHost.of("localhost", 20, local(mx2.port()))));
    KeyStoreBuilder trust = new KeyStoreBuilder();
    transport =
        direct()
            .security(Security.STARTTLS_OPPORTUNISTIC)
            .requireVerifiedTls("Bank.Test")
            .trustStore(
                trust.with(TestCertificates.otherHost()).with(TestCertificates.localhost()).build())
            .build();

    DeliveryResult r = transport.deliver(mail("a@bank.test"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(r.remoteHost()).startsWith("localhost[");
    assertThat(mx1.connection(0).sawCommand("MAIL")).isFalse();
    assertThat(mx2.connection(0).tls).isTrue();
    assertThat(mx2.connection(0).data()).hasSize(1);
  }

  /**
   * An internationalised entry is compared as the A-label a recipient's domain becomes, and a
   * {@code *.} entry covers every domain below it: before, both silently required nothing and the
   * mail went to an MX whose certificate names another host.
   */
  @Test
  void verifiedTlsEntriesWithUnicodeOrAWildcardAreEnforced() throws Exception {
    mx1.tls(TestCertificates.otherHost().serverContext(), false); // trusted, but for other.example
    MxLookup wrongName = MxLookup.hosts(MxHost.of("mx.wrong-name.test", 10, local(mx1.port())));
    zone.put("xn--bcher-kva.test", wrongName);
    zone.put("mail.eu.corp.test", wrongName);
    zone.put("corp.test", wrongName);
    transport =
        direct()
            .security(Security.STARTTLS_OPPORTUNISTIC)
            .requireVerifiedTls("B\u00fccher.Test.", "*.corp.test")
            .trustStore(new KeyStoreBuilder().with(TestCertificates.otherHost()).build())
            .build();

    for (String recipient : List.of("a@b\u00fccher.test", "a@mail.eu.corp.test")) {
      DeliveryResult r = transport.deliver(mail(recipient));
      assertThat(r.recipients().get(0).status()).as(recipient).isEqualTo(RecipientStatus.DEFERRED);
      // 4.7.5: the certificate does not name the MX (RFC 3463 "cryptographic failure")
      assertThat(r.recipients().get(0).reply().enhancedStatus()).as(recipient).isEqualTo("4.7.5");
    }
    // the wildcard is for the domains below corp.test, not for corp.test itself
    assertThat(transport.deliver(mail("a@corp.test")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    assertThat(mx1.connections()).filteredOn(c -> c.sawCommand("MAIL")).hasSize(1);
  }

  @Test
  void verifiedTlsRefusesEntriesThatAreNotDomains() {
    for (String bad :
        List.of(
            "corp*.test",
            "*",
            "*.",
            "a..b",
            "foo bar.test",
            "[192.0.2.1]",
            "-bad.test",
            "a@b.test",
            "*.*.test",
            "")) {
      assertThatThrownBy(() -> direct().requireVerifiedTls(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void verifiedTlsDomainIsDeferredWhenNoMxOffersStartTls() {
    zone.put("bank.test", MxLookup.hosts(MxHost.of("localhost", 10, local(mx1.port()))));
    transport =
        direct().security(Security.STARTTLS_OPPORTUNISTIC).requireVerifiedTls("bank.test").build();

    DeliveryResult r = transport.deliver(mail("a@bank.test"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(r.recipients().get(0).reply().enhancedStatus()).isEqualTo("4.7.10");
    assertThat(mx1.connection(0).sawCommand("MAIL")).isFalse();
  }

  @Test
  void endToEndWithDnsjavaAgainstTheDnsStub() throws Exception {
    try (DnsStub dns = new DnsStub()) {
      dns.mx("example.test", 10, "mx.example.test")
          .a("mx.example.test", "127.0.0.1")
          .nullMx("nomail.test")
          .servfail("broken.test");
      transport = direct().mxResolver(dns.resolver().smtpPort(mx1.port()).build()).build();

      DeliveryResult r =
          transport.deliver(
              mail("a@example.test", "b@nomail.test", "c@broken.test", "d@missing.test"));

      assertThat(r.recipients())
          .extracting(
              o -> o.recipient().address() + "=" + o.status() + " " + o.reply().enhancedStatus())
          .containsExactly(
              "a@example.test=DELIVERED 2.0.0",
              "b@nomail.test=BOUNCED 5.1.10",
              "c@broken.test=DEFERRED 4.4.3",
              "d@missing.test=BOUNCED 5.1.2");
      assertThat(mx1.connections()).hasSize(1);
      assertThat(mx1.connection(0).commands())
          .filteredOn(c -> c.startsWith("RCPT"))
          .containsExactly("RCPT TO:<a@example.test>");
    }
  }

  /** A trust store holding several test certificates. */
  private static final class KeyStoreBuilder {
    private final KeyStore store;
    private int n;

    KeyStoreBuilder() throws Exception {
      store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
    }

    KeyStoreBuilder with(TestCertificates certs) throws Exception {
      store.setCertificateEntry("c" + n++, certs.keyStore.getCertificate("server"));
      return this;
    }

    KeyStore build() {
      return store;
    }
  }
}
