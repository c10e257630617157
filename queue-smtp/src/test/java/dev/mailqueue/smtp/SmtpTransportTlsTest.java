package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.reply;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** STARTTLS, implicit TLS, certificate checks and authentication against the scripted server. */
@Timeout(20)
class SmtpTransportTlsTest {
  private static final String PASSWORD = "s3cret-pw";
  private ScriptedSmtpServer server;
  private SmtpTransport transport;

  @BeforeEach
  void start() throws Exception {
    server =
        new ScriptedSmtpServer()
            .tls(TestCertificates.localhost().serverContext(), false)
            .offerAuth(true);
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    server.close();
  }

  private RelayBuilder relay() throws Exception {
    return SmtpTransport.relay("127.0.0.1", server.port())
        .ehloName("client.test")
        .credentials("user", PASSWORD)
        .trustStore(TestCertificates.localhost().trustStore())
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(2));
  }

  private static void assertNotCounted(DeliveryResult r, int code, String enhanced) {
    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(r.recipients())
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
              assertThat(o.reply().code()).isEqualTo(code);
              assertThat(o.reply().enhancedStatus()).isEqualTo(enhanced);
            });
  }

  @Test
  void startsTlsThenAuthenticatesThenDelivers() throws Exception {
    transport = relay().build();

    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    ScriptedSmtpServer.Connection c = server.connection(0);
    assertThat(c.tls).isTrue();
    List<String> commands = c.commands();
    assertThat(commands.indexOf("STARTTLS")).isPositive();
    int auth =
        commands.indexOf(
            commands.stream().filter(s -> s.startsWith("AUTH ")).findFirst().orElseThrow());
    assertThat(auth).isGreaterThan(commands.indexOf("STARTTLS"));
    assertThat(commands.stream().filter(s -> s.startsWith("EHLO client.test")).count())
        .isEqualTo(2);
    String credentials =
        String.join(
            "\n", c.authLines().stream().map(SmtpTransportTlsTest::decodeLastWord).toList());
    assertThat(credentials).contains("user").contains(PASSWORD);
  }

  @Test
  void implicitTlsDelivers() throws Exception {
    server.close();
    server =
        new ScriptedSmtpServer()
            .tls(TestCertificates.localhost().serverContext(), true)
            .offerAuth(true);
    transport = relay().security(Security.IMPLICIT_TLS).build();

    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connection(0).tls).isTrue();
    assertThat(server.connection(0).sawCommand("STARTTLS")).isFalse();
  }

  @Test
  @Timeout(
      value = 20,
      threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a blocked read ignores interrupts
  void watchdogEndsAnImplicitTlsAttemptWhoseServerDripsBytesForever() throws Exception {
    server.close();
    server =
        new ScriptedSmtpServer()
            .tls(TestCertificates.localhost().serverContext(), true)
            .greeting(ScriptedSmtpServer.drip("220-still talking ", Duration.ofMillis(50)));
    transport =
        relay().security(Security.IMPLICIT_TLS).attemptDeadline(Duration.ofMillis(800)).build();

    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    assertThat(r.recipients().get(0).reply())
        .isEqualTo(SmtpReply.local(451, "4.4.2", "attempt deadline of 800 ms exceeded"));
  }

  @Test
  void untrustedCertificateIsRefusedAndNothingIsSent() throws Exception {
    transport =
        SmtpTransport.relay("127.0.0.1", server.port())
            .credentials("user", PASSWORD)
            .readTimeout(Duration.ofSeconds(2))
            .build(); // the JDK's default trust store

    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertNotCounted(r, 454, "4.7.5");
    assertThat(server.connection(0).sawCommand("AUTH")).isFalse();
    assertThat(server.connection(0).sawCommand("MAIL")).isFalse();
  }

  @Test
  void trustedCertificateForAnotherHostIsRefused() throws Exception {
    server.close();
    server =
        new ScriptedSmtpServer()
            .tls(TestCertificates.otherHost().serverContext(), false)
            .offerAuth(true);
    transport = relay().trustStore(TestCertificates.otherHost().trustStore()).build();

    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertNotCounted(r, 454, "4.7.5");
    assertThat(server.connection(0).sawCommand("AUTH")).isFalse();
  }

  @Test
  void startTlsNotOfferedIsAConfigurationFaultAndNothingIsSent() throws Exception {
    server.offerStartTls(false);
    transport = relay().build();

    DeliveryResult r = transport.deliver(mail("a@example.com", "b@example.com"));

    assertNotCounted(r, 454, "4.7.10");
    assertThat(server.connection(0).sawCommand("AUTH")).isFalse();
    assertThat(server.connection(0).sawCommand("MAIL")).isFalse();
    assertThat(r.recipients().get(0).reply().text())
        .as("with credentials, plain text is no way out: it says to drop them or enable TLS")
        .contains("remove the credentials", "spring.mail.username", "--username")
        .doesNotContain("Security.NONE");
    assertThat(transport.problems())
        .as("the health view hears of it")
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("cannot be used", "4.7.10");

    transport.close();
    transport =
        SmtpTransport.relay("127.0.0.1", server.port())
            .ehloName("client.test")
            .security(Security.STARTTLS_REQUIRED)
            .readTimeout(Duration.ofSeconds(2))
            .build();
    DeliveryResult withoutCredentials = transport.deliver(mail("a@example.com"));
    assertThat(withoutCredentials.recipients().get(0).reply().text())
        .as("without credentials it says how to opt out on purpose")
        .contains("security(Security.NONE)", "mailqueue.smtp.security=none");
  }

  @Test
  void authFailureIsNotCountedLoggedOnceAndNeverShowsThePassword() throws Exception {
    server.on(
        "AUTH",
        reply("535 5.7.8 Authentication credentials invalid"),
        reply("535 5.7.8 Authentication credentials invalid"));
    transport = relay().build();
    PrintStream original = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    DeliveryResult first;
    DeliveryResult second;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      first = transport.deliver(mail("a@example.com"));
      second = transport.deliver(mail("a@example.com"));
    } finally {
      System.setErr(original);
    }

    for (DeliveryResult r : List.of(first, second)) {
      assertNotCounted(r, 535, "5.7.8");
    }
    assertThat(first.recipients().get(0).reply())
        .isEqualTo(new SmtpReply(535, "5.7.8", "Authentication credentials invalid"));
    assertThat(second.recipients().get(0).reply().text())
        .as("held without a second login, and says why")
        .startsWith("local: held: relay ")
        .contains("535 5.7.8 Authentication credentials invalid");
    assertThat(server.connections()).as("one failed login, not one per message").hasSize(1);
    String log = err.toString(StandardCharsets.UTF_8);
    assertThat(log.split("cannot be used", -1)).hasSize(2);
    String encoded =
        Base64.getEncoder()
            .encodeToString(("\0user\0" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    assertThat(log).doesNotContain(PASSWORD).doesNotContain(encoded);
    assertThat(first.toString() + second + transport)
        .doesNotContain(PASSWORD)
        .doesNotContain(encoded);
    assertThat(server.connections()).allSatisfy(c -> assertThat(c.sawCommand("MAIL")).isFalse());
  }

  @Test
  void
      mailHeldByAConfigurationFaultIsDueAgainWithinAMinuteAndARestartWithWorkingCredentialsSendsIt()
          throws Exception {
    server.on("AUTH", reply("535 5.7.8 Authentication credentials invalid"));
    transport = relay().build();

    DeliveryResult first = transport.deliver(mail("a@example.com"));
    DeliveryResult held = transport.deliver(mail("b@example.com"));

    assertNotCounted(first, 535, "5.7.8");
    assertNotCounted(held, 535, "5.7.8");
    // Due again within the recheck interval, not after the retry policy's 5-minute backoff.
    assertThat(first.retryAfter()).isEqualTo(RelayPool.CONFIGURATION_FAULT_RECHECK);
    assertThat(held.retryAfter())
        .isPositive()
        .isLessThanOrEqualTo(RelayPool.CONFIGURATION_FAULT_RECHECK.plusSeconds(1));
    assertThat(held.recipients().get(0).reply().text()).contains("checked again every 60 s");
    assertThat(server.connections()).hasSize(1);

    // A dispatcher started again with the fixed configuration (the server now accepts the login)
    // has no memory of the fault: it connects at once.
    transport.close();
    transport = relay().build();
    DeliveryResult afterRestart = transport.deliver(mail("b@example.com"));

    assertThat(afterRestart.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).hasSize(2);
    assertThat(transport.problems()).isEmpty();
  }

  @Test
  void xoauth2SendsTheSuppliedToken() throws Exception {
    transport = relay().oauth2("bob@example.com", () -> "tok-123").build();

    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connection(0).authLines().get(0)).startsWith("AUTH XOAUTH2");
    String all =
        String.join(
            "\n",
            server.connection(0).authLines().stream()
                .map(SmtpTransportTlsTest::decodeLastWord)
                .toList());
    assertThat(all).contains("user=bob@example.com\u0001auth=Bearer tok-123\u0001\u0001");
    assertThat(transport.toString()).doesNotContain("tok-123");
  }

  private static String decodeLastWord(String line) {
    String[] words = line.split(" ");
    try {
      return new String(
          Base64.getDecoder().decode(words[words.length - 1]), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return line;
    }
  }
}
