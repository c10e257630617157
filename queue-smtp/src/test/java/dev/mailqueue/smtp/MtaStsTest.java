package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Type;

/**
 * MTA-STS (RFC 8461) in direct mode, end to end: dnsjava against {@link DnsStub} (TXT, MX, A), the
 * policy over HTTPS from the JDK's {@link HttpsServer} with a certificate for {@code
 * mta-sts.example.test}, and a real SMTP peer ({@link ScriptedSmtpServer}) with or without
 * STARTTLS. Every name resolves to 127.0.0.1 through the stub; the transport trusts only the test
 * certificates.
 */
@Timeout(60) // the first test waits for keytool to make two certificates
class MtaStsTest {
  private static final String DOMAIN = "example.test";
  private static final String ENFORCE_LOCALHOST =
      "version: STSv1\r\nmode: enforce\r\nmx: localhost\r\nmax_age: 86400\r\n";

  private DnsStub dns;
  private ScriptedSmtpServer mx;
  private HttpsServer https;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile int status = 200;
  private volatile String contentType = "text/plain";
  private volatile byte[] policy = ENFORCE_LOCALHOST.getBytes(StandardCharsets.US_ASCII);
  private final MutableClock clock = new MutableClock();
  private SmtpTransport transport;

  @BeforeEach
  void start() throws Exception {
    mx = new ScriptedSmtpServer();
    dns = new DnsStub();
    dns.mx(DOMAIN, 10, "localhost")
        .a("localhost", "127.0.0.1")
        .a("mta-sts." + DOMAIN, "127.0.0.1")
        .txt("_mta-sts." + DOMAIN, "v=STSv1; id=20260101T000000;");
    https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(
        new HttpsConfigurator(TestCertificates.forHost("mta-sts." + DOMAIN).serverContext()));
    https.createContext(
        "/.well-known/mta-sts.txt",
        exchange -> {
          requests.incrementAndGet();
          byte[] body = policy;
          exchange.getResponseHeaders().set("Content-Type", contentType);
          if (status == 301) {
            exchange.getResponseHeaders().set("Location", "https://elsewhere.test/policy.txt");
          }
          exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    https.start();
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    https.stop(0);
    dns.close();
    mx.close();
  }

  private DirectBuilder direct() throws Exception {
    return direct("127.0.0.1");
  }

  private DirectBuilder direct(String allowed) throws Exception {
    return SmtpTransport.direct()
        .mxResolver(dns.resolver().smtpPort(mx.port()).build())
        .allowDestinations(allowed)
        .trustStore(
            trust(TestCertificates.localhost(), TestCertificates.forHost("mta-sts." + DOMAIN)))
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofSeconds(5))
        .attemptDeadline(Duration.ofSeconds(10))
        .mtaStsPort(https.getAddress().getPort())
        .mtaStsClock(clock);
  }

  private static KeyStore trust(TestCertificates... certificates) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    int n = 0;
    for (TestCertificates c : certificates) {
      store.setCertificateEntry("c" + n++, c.keyStore.getCertificate("server"));
    }
    return store;
  }

  private RecipientOutcome send() {
    return transport.deliver(mail("a@" + DOMAIN)).recipients().get(0);
  }

  private void servePolicy(String text) {
    policy = text.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void enforceDeliversToAMatchingMxOverVerifiedTls() throws Exception {
    mx.tls(TestCertificates.localhost().serverContext(), false);
    transport = direct().build();

    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(mx.connection(0).tls).isTrue();
    assertThat(mx.connection(0).data()).hasSize(1);
    assertThat(requests).hasValue(1);
  }

  @Test
  void enforceDefersWhenThePolicyNamesNoneOfTheMxHosts() throws Exception {
    mx.tls(TestCertificates.localhost().serverContext(), false);
    servePolicy("version: STSv1\nmode: enforce\nmx: *.mail.example.test\nmax_age: 86400\n");
    transport = direct().build();

    RecipientOutcome o = send();

    assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(o.reply().isLocal()).isTrue();
    assertThat(o.reply().text()).contains("MTA-STS", DOMAIN, "localhost");
    assertThat(mx.connections()).isEmpty();
  }

  @Test
  void enforceDefersWhenTheMxOffersNoStartTlsAndNeverSendsInPlainText() throws Exception {
    transport = direct().build(); // the MX has no TLS at all

    RecipientOutcome o = send();

    assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(o.reply().enhancedStatus()).isEqualTo("4.7.10");
    assertThat(o.reply().text()).contains("MTA-STS", DOMAIN);
    assertThat(mx.connections()).allSatisfy(c -> assertThat(c.sawCommand("MAIL")).isFalse());
  }

  @Test
  void enforceDefersWhenTheMxCertificateIsNotTrusted() throws Exception {
    mx.tls(TestCertificates.otherHost().serverContext(), false); // not in the trust store
    transport = direct().build();

    RecipientOutcome o = send();

    assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(o.reply().enhancedStatus()).isEqualTo("4.7.5");
    assertThat(o.reply().text()).contains("MTA-STS", DOMAIN);
    assertThat(mx.connections()).allSatisfy(c -> assertThat(c.sawCommand("MAIL")).isFalse());
  }

  @Test
  void testingModeDeliversAsUsualAndReportsTheMxItDoesNotName() throws Exception {
    servePolicy("version: STSv1\nmode: testing\nmx: mx.example.test\nmax_age: 86400\n");
    transport = direct().build(); // the MX has no TLS: enforcement would defer

    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);

    assertThat(mx.connections()).anySatisfy(c -> assertThat(c.data()).isNotEmpty());
    assertThat(transport.mtaStsReported())
        .containsExactly("example.test: MX host(s) [localhost] not in its mx [mx.example.test]");
  }

  @Test
  void thePolicyIsCachedAndFetchedAgainWhenTheTxtIdChanges() throws Exception {
    mx.tls(TestCertificates.localhost().serverContext(), false);
    transport = direct().build();

    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(requests).hasValue(1);

    // a new policy (naming another MX) is served, but fetched only when the TXT id says so
    servePolicy("version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n");
    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(requests).hasValue(1); // same id: the cached policy holds

    dns.txt("_mta-sts." + DOMAIN, "v=STSv1; id=20260202T000000;");
    assertThat(send().status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(requests).hasValue(2);
  }

  @Test
  void maxAgeIsHonoured() throws Exception {
    servePolicy("version: STSv1\nmode: enforce\nmx: localhost\nmax_age: 3600\n");
    mx.tls(TestCertificates.localhost().serverContext(), false);
    transport = direct().build();

    send();
    clock.advance(Duration.ofSeconds(3599));
    send();
    assertThat(requests).hasValue(1);

    clock.advance(Duration.ofSeconds(1));
    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(requests).hasValue(2);
  }

  @Test
  void anOversizedPolicyIsNoPolicy() throws Exception {
    // valid, and it would defer (no MX named), but larger than 64 KiB
    servePolicy(
        "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n"
            + ("x-padding: " + "p".repeat(1000) + "\n").repeat(66));
    transport = direct().build();

    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(requests).hasValue(1);
    // the failed fetch is not repeated at once
    send();
    assertThat(requests).hasValue(1);
  }

  @Test
  void aPolicyThatBreaksTheRulesIsNoPolicy() throws Exception {
    String deferring = "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n";
    transport = direct().build();
    int fetches = 0;
    for (Runnable breakIt :
        new Runnable[] {
          () -> servePolicy("version: STSv1\nmode: enforce\nmx: mx.example.test\n"), // no max_age
          () -> servePolicy(deferring.replace("86400", "31557601")), // max_age above the limit
          () -> servePolicy(deferring.replace("STSv1", "STSv2")),
          () -> servePolicy(deferring.replace("enforce", "enforcing")),
          () -> servePolicy(deferring.replace("mx.example.test", "mx..example.test")),
          () -> {
            servePolicy(deferring);
            contentType = "text/html";
          },
          () -> {
            contentType = "text/plain";
            status = 301; // redirects are not followed
          },
          () -> status = 404
        }) {
      breakIt.run();
      dns.txt("_mta-sts." + DOMAIN, "v=STSv1; id=broken" + fetches + ";");
      assertThat(send().status()).as("case %d", fetches).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(requests).as("case %d", fetches).hasValue(++fetches);
    }
    // and the same policy served properly does defer: the cases above failed for their fault
    status = 200;
    servePolicy(deferring);
    dns.txt("_mta-sts." + DOMAIN, "v=STSv1; id=fixed;");
    assertThat(send().status()).isEqualTo(RecipientStatus.DEFERRED);
  }

  @Test
  void aFailedFetchKeepsTheCachedPolicyInEffect() throws Exception {
    servePolicy("version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n");
    transport = direct().build();
    assertThat(send().status()).isEqualTo(RecipientStatus.DEFERRED);

    status = 500;
    dns.txt("_mta-sts." + DOMAIN, "v=STSv1; id=new;");
    assertThat(send().status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(requests).hasValue(2);
    assertThat(mx.connections()).isEmpty();
  }

  @Test
  void thePolicyHostMustPresentACertificateForItsName() throws Exception {
    https.stop(0);
    https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // trusted, but for localhost, not mta-sts.example.test
    https.setHttpsConfigurator(new HttpsConfigurator(TestCertificates.localhost().serverContext()));
    https.createContext(
        "/.well-known/mta-sts.txt",
        exchange -> {
          requests.incrementAndGet();
          exchange.sendResponseHeaders(500, -1);
          exchange.close();
        });
    https.start();
    servePolicy("version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n");
    transport = direct().build();

    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED); // no policy was fetched
    assertThat(requests).hasValue(0); // the handshake failed before any request
  }

  @Test
  void mtaStsIsOffWithoutTlsAndRefusedWhereItCannotWork() throws Exception {
    transport = direct().security(Security.NONE).build();
    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(requests).hasValue(0);
    assertThat(dns.queries("_mta-sts." + DOMAIN, Type.TXT)).isZero();

    assertThatThrownBy(() -> direct().security(Security.NONE).mtaSts(true).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MTA-STS");
    assertThatThrownBy(() -> direct().mxResolver(d -> new MxLookup.NullMx()).mtaSts(true).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("DnsMxResolver");
  }

  @Test
  void aPolicyHostOnALoopbackAddressIsNotConnectedToUnlessAllowed() throws Exception {
    servePolicy("version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n");
    transport = direct("localhost").build(); // the MX host by name, not 127.0.0.1 for any name

    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED); // no policy was fetched
    assertThat(requests).hasValue(0);
  }

  @Test
  void mtaStsFalseIgnoresThePolicy() throws Exception {
    transport = direct().mtaSts(false).build(); // the MX has no TLS; the policy would defer

    assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(requests).hasValue(0);
  }

  @Test
  void aPolicyServerThatKeepsTheConnectionOpenIsReadUpToItsContentLength() throws Exception {
    byte[] body =
        "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n"
            .getBytes(StandardCharsets.US_ASCII);
    CountDownLatch testOver = new CountDownLatch(1);
    try (RawTlsServer raw =
        new RawTlsServer(
            socket -> {
              readRequest(socket);
              OutputStream out = socket.getOutputStream();
              out.write(
                  ("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          + "Content-Length: "
                          + body.length
                          + "\r\n\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
              out.write(body);
              out.flush();
              testOver.await(); // Connection: close ignored
            })) {
      // were the fetch to wait for the connection to end, it would fail after 20 s: no policy
      transport = direct().mtaStsPort(raw.port()).mtaStsTimeout(Duration.ofSeconds(20)).build();

      try {
        assertThat(send().status()).isEqualTo(RecipientStatus.DEFERRED);
      } finally {
        testOver.countDown();
      }
    }
  }

  @Test
  void aPolicyServerThatDripsIsGivenUpAfterTheFetchTimeout() throws Exception {
    CountDownLatch testOver = new CountDownLatch(1);
    try (RawTlsServer raw =
        new RawTlsServer(
            socket -> {
              readRequest(socket);
              OutputStream out = socket.getOutputStream();
              // one byte of an endless header line every 50 ms: each read is quick, the whole never
              // ends
              out.write("HTTP/1.1 200 OK\r\nX-Drip: ".getBytes(StandardCharsets.US_ASCII));
              while (!testOver.await(50, TimeUnit.MILLISECONDS)) {
                out.write('x');
                out.flush();
              }
            })) {
      transport = direct().mtaStsPort(raw.port()).mtaStsTimeout(Duration.ofSeconds(1)).build();

      try {
        assertThat(send().status()).isEqualTo(RecipientStatus.DELIVERED); // no policy: as usual
      } finally {
        testOver.countDown();
      }
    }
  }

  private static void readRequest(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("request ended early");
      }
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  /** A TLS server for mta-sts.example.test whose every connection a test script handles. */
  private static final class RawTlsServer implements AutoCloseable {
    interface Script {
      void run(Socket socket) throws Exception;
    }

    private final SSLServerSocket server;
    private final Thread thread;

    RawTlsServer(Script script) throws Exception {
      server =
          (SSLServerSocket)
              TestCertificates.forHost("mta-sts." + DOMAIN)
                  .serverContext()
                  .getServerSocketFactory()
                  .createServerSocket(0, 5, InetAddress.getLoopbackAddress());
      thread =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try (Socket s = server.accept()) {
                    script.run(s);
                  } catch (Exception e) {
                    // the next connection, or the end of the test
                  }
                }
              },
              "raw-tls-policy-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** A clock the test moves on by hand. */
  private static final class MutableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }
}
