package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.drip;
import static dev.mailqueue.smtp.ScriptedSmtpServer.hangUp;
import static dev.mailqueue.smtp.ScriptedSmtpServer.reply;
import static dev.mailqueue.smtp.ScriptedSmtpServer.silence;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real SMTP over TCP against a server that misbehaves on purpose. */
@Timeout(20)
class SmtpTransportFaultTest {
  private ScriptedSmtpServer server;
  private SmtpTransport transport;

  @BeforeEach
  void start() throws IOException {
    server = new ScriptedSmtpServer();
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    server.close();
  }

  private RelayBuilder plain(int port) {
    return SmtpTransport.relay("127.0.0.1", port)
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(2))
        .attemptDeadline(Duration.ofSeconds(10));
  }

  private DeliveryResult send(OutboundMail mail) {
    if (transport == null) {
      transport = plain(server.port()).build();
    }
    return transport.deliver(mail);
  }

  private static RecipientOutcome outcome(DeliveryResult r, String address) {
    return r.recipients().stream()
        .filter(o -> o.recipient().address().equals(address))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void eachRecipientGetsTheReplyToItsRcpt() {
    server
        .on("RCPT TO:<bad@", reply("550 5.1.1 <bad@example.com>: user unknown"))
        .on("RCPT TO:<later@", reply("451 4.3.0 try again later"))
        .on(".", reply("250 2.0.0 Ok: queued as ABC"));

    DeliveryResult r = send(mail("good@example.com", "bad@example.com", "later@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.remoteHost()).isEqualTo("127.0.0.1");
    assertThat(outcome(r, "good@example.com"))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(
            RecipientStatus.DELIVERED, new SmtpReply(250, "2.0.0", "Ok: queued as ABC"));
    assertThat(outcome(r, "bad@example.com"))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(
            RecipientStatus.BOUNCED,
            new SmtpReply(550, "5.1.1", "<bad@example.com>: user unknown"));
    assertThat(outcome(r, "later@example.com"))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(RecipientStatus.DEFERRED, new SmtpReply(451, "4.3.0", "try again later"));
    assertThat(server.connection(0).data()).hasSize(1);
  }

  @Test
  void tooManyRecipients552AtRcptIsDeferred() {
    server.on("RCPT TO:<second@", reply("552 5.5.3 too many recipients"));

    DeliveryResult r = send(mail("first@example.com", "second@example.com"));

    assertThat(outcome(r, "first@example.com").status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(outcome(r, "second@example.com").status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(outcome(r, "second@example.com").reply().code()).isEqualTo(552);
  }

  @Test
  void policyRejectionAtEndOfDataBouncesAcceptedRecipients() {
    server.on(".", reply("554 5.7.1 message rejected as spam"));

    DeliveryResult r = send(mail("a@example.com", "b@example.com"));

    assertThat(r.recipients())
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
              assertThat(o.reply())
                  .isEqualTo(new SmtpReply(554, "5.7.1", "message rejected as spam"));
              assertThat(ReplyClassifier.isPolicyRejection(o.reply())).isTrue();
            });
  }

  @Test
  void multiLineRepliesAreJoined() {
    server.on(
        "RCPT TO:<bad@",
        reply(
            "550-5.1.1 The email account that you tried to reach does not exist.",
            "550-5.1.1 Please try double-checking the recipient's email address",
            "550 5.1.1 for typos."));

    DeliveryResult r = send(mail("bad@example.com"));

    assertThat(r.recipients().get(0).reply())
        .isEqualTo(
            new SmtpReply(
                550,
                "5.1.1",
                "The email account that you tried to reach does not exist. "
                    + "Please try double-checking the recipient's email address for typos."));
  }

  @Test
  void reply421MidSessionDefersEverythingAndTheSessionIsNotReused() {
    server.on("RCPT TO:<second@", reply("421 4.3.2 Service shutting down"));

    DeliveryResult first =
        send(mail("first@example.com", "second@example.com", "third@example.com"));

    SmtpReply closing = new SmtpReply(421, "4.3.2", "Service shutting down");
    assertThat(first.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(first.recipients())
        .allSatisfy(
            o ->
                assertThat(o)
                    .extracting(RecipientOutcome::status, RecipientOutcome::reply)
                    .containsExactly(RecipientStatus.DEFERRED, closing));
    assertThat(server.connection(0).sawCommand("RCPT TO:<third@")).isFalse();
    assertThat(server.connection(0).sawCommand("DATA")).isFalse();

    DeliveryResult second = send(mail("second@example.com"));

    assertThat(second.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).hasSize(2);
  }

  @Test
  void disconnectBeforeEndOfDataIsDeferredNotUncertain() {
    server.on("DATA", hangUp());

    DeliveryResult r = send(mail("a@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    RecipientOutcome o = r.recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(o.reply().code()).isEqualTo(451);
    assertThat(o.reply().enhancedStatus()).isEqualTo("4.4.2");
    assertThat(o.reply().text()).startsWith("local: connection dropped");
  }

  @Test
  void disconnectAfterEndOfDataIsUncertain() {
    server.on(".", hangUp());

    DeliveryResult r = send(mail("a@example.com", "b@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.UNCERTAIN);
    assertThat(r.recipients())
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
              assertThat(o.reply().enhancedStatus()).isEqualTo("4.4.2");
              assertThat(o.reply().text()).startsWith("local: no reply after end of data");
            });
    assertThat(server.connection(0).data()).hasSize(1);
  }

  @Test
  void noReplyToEndOfDataIsUncertainAfterTheReadTimeout() {
    server.on("RCPT TO:<bad@", reply("550 5.1.1 unknown")).on(".", silence());
    transport = plain(server.port()).readTimeout(Duration.ofMillis(500)).build();

    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail("a@example.com", "bad@example.com"));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.UNCERTAIN);
    assertThat(outcome(r, "a@example.com").reply().text()).contains("no reply after end of data");
    // uncertain describes the accepted recipient: the one refused at RCPT bounces now
    assertThat(outcome(r, "bad@example.com"))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(RecipientStatus.BOUNCED, new SmtpReply(550, "5.1.1", "unknown"));
  }

  @Test
  void readTimeoutBeforeDataIsDeferredAndTheSessionIsDropped() {
    server.on("RCPT", silence());
    transport = plain(server.port()).readTimeout(Duration.ofMillis(500)).build();

    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(r.recipients().get(0).reply().text())
        .startsWith("local: connection dropped")
        .contains("SocketTimeoutException");
    assertThat(transport.deliver(mail("a@example.com")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).hasSize(2);
  }

  @Test
  void watchdogEndsAnAttemptOnAServerThatDripsBytesForever() {
    server.greeting(drip("220-still talking ", Duration.ofMillis(50)));
    transport =
        plain(server.port())
            .readTimeout(Duration.ofSeconds(5))
            .attemptDeadline(Duration.ofMillis(800))
            .build();

    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    RecipientOutcome o = r.recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(o.reply())
        .isEqualTo(SmtpReply.local(451, "4.4.2", "attempt deadline of 800 ms exceeded"));
  }

  @Test
  void watchdogClosesAReusedConnectionWhoseServerDripsAfterTheData() {
    transport =
        plain(server.port())
            .readTimeout(Duration.ofSeconds(5))
            .attemptDeadline(Duration.ofMillis(800))
            .build();
    assertThat(transport.deliver(mail("a@example.com")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    server.on(".", drip("250-still talking ", Duration.ofMillis(50)));

    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail("b@example.com"));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    assertThat(server.connections())
        .as("the second message went over the first connection")
        .hasSize(1);
    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.UNCERTAIN);
    assertThat(r.recipients().get(0).reply())
        .isEqualTo(SmtpReply.local(451, "4.4.2", "attempt deadline of 800 ms exceeded"));
  }

  @Test
  void refusedConnectionIsDeferredWith441() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    transport = plain(closedPort).build();

    DeliveryResult r = transport.deliver(mail("a@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(r.remoteHost()).isEqualTo("127.0.0.1");
    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(r.recipients().get(0).reply().enhancedStatus()).isEqualTo("4.4.1");
    assertThat(r.recipients().get(0).reply().text()).startsWith("local: connect failed");
  }

  @Test
  void greeting421IsDeferred() {
    server.greeting(reply("421 4.7.0 too busy, try later"));

    DeliveryResult r = send(mail("a@example.com"));

    assertThat(r.recipients().get(0))
        .extracting(RecipientOutcome::status, RecipientOutcome::reply)
        .containsExactly(
            RecipientStatus.DEFERRED, new SmtpReply(421, "4.7.0", "too busy, try later"));
  }

  @Test
  void messageLargerThanAdvertisedSizeBouncesWithoutBeingSent() {
    server.extensions("ENHANCEDSTATUSCODES", "SIZE 100");
    byte[] big = Mails.mime("x".repeat(200) + "\r\n").getBytes(StandardCharsets.US_ASCII);

    DeliveryResult r = send(mail(big, "a@example.com"));

    RecipientOutcome o = r.recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientStatus.BOUNCED);
    assertThat(o.reply().code()).isEqualTo(552);
    assertThat(o.reply().enhancedStatus()).isEqualTo("5.3.4");
    assertThat(server.connection(0).sawCommand("MAIL")).isFalse();
    assertThat(server.connection(0).sawCommand("DATA")).isFalse();

    DeliveryResult small = send(mail("a@example.com"));
    assertThat(small.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).hasSize(1);
  }

  @Test
  void twoMessagesShareOneConnection() {
    DeliveryResult first = send(mail("a@example.com"));
    DeliveryResult second = send(mail("b@example.com"));

    assertThat(first.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(second.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).hasSize(1);
    assertThat(server.connection(0).commands())
        .filteredOn(c -> c.startsWith("MAIL FROM:<sender@example.com>"))
        .hasSize(2);
    assertThat(server.connection(0).commands())
        .filteredOn(c -> c.startsWith("EHLO client.test"))
        .hasSize(1);
  }

  @Test
  void aConnectionCarriesAtMostMaxMessages() {
    transport = plain(server.port()).maxMessagesPerConnection(2).build();

    for (int i = 0; i < 3; i++) {
      assertThat(transport.deliver(mail("a@example.com")).recipients().get(0).status())
          .isEqualTo(RecipientStatus.DELIVERED);
    }

    assertThat(server.connections()).hasSize(2);
    assertThat(server.connection(0).data()).hasSize(2);
  }

  @Test
  void idleConnectionsAreClosed() {
    transport = plain(server.port()).idleTimeout(Duration.ofMillis(200)).build();

    transport.deliver(mail("a@example.com"));

    Awaitility.await()
        .atMost(Duration.ofSeconds(3))
        .untilAsserted(() -> assertThat(server.connection(0).closed.getCount()).isZero());
    assertThat(transport.idleConnections(0)).isZero();
    assertThat(server.connection(0).sawCommand("QUIT")).isTrue();
  }

  @Test
  void bodyBytesCannotSmuggleASecondMessage() {
    String body =
        "one\nbare LF\rbare CR\n.\nMAIL FROM:<evil@example.com>\r\n.\r\nRCPT TO:<victim@example.com>\r\n"
            + ".hidden\r\nlast line without newline";
    byte[] mime = Mails.mime(body).getBytes(StandardCharsets.US_ASCII);
    server.on(".", reply("451 4.3.0 try again"));

    DeliveryResult first = send(mail(mime, "a@example.com"));
    DeliveryResult second = send(mail(mime, "a@example.com"));

    assertThat(first.recipients().get(0).status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(second.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.allData()).hasSize(2);
    for (byte[] data : server.allData()) {
      String wire = new String(data, StandardCharsets.US_ASCII);
      assertThat(wire.replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
      assertThat(wire.indexOf("\r\n.\r\n")).isEqualTo(wire.length() - 5);
      assertThat(wire)
          .contains("\r\n..\r\nMAIL FROM:<evil@example.com>\r\n..\r\nRCPT TO:")
          .contains("\r\n..hidden\r\n");
      Matcher ids = Pattern.compile("(?im)^Message-ID: ([^\r\n]*)").matcher(wire);
      assertThat(ids.find()).isTrue();
      assertThat(ids.group(1)).isEqualTo(Mails.MESSAGE_ID);
      assertThat(ids.find()).isFalse();
    }
    assertThat(server.connections())
        .allSatisfy(
            c ->
                assertThat(c.commands())
                    .noneMatch(cmd -> cmd.contains("evil") || cmd.contains("victim")));
  }

  @Test
  void bccHeaderIsNotSentButTheRestOfTheMessageIs() {
    byte[] mime =
        ("From: a@example.com\r\nTo: b@example.com\r\nBcc: secret@example.com\r\nSubject: hi\r\n"
                + "Message-ID: <x@example.com>\r\n\r\nbody\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    send(mail(mime, "b@example.com", "secret@example.com"));

    String wire = new String(server.allData().get(0), StandardCharsets.US_ASCII);
    assertThat(wire)
        .doesNotContain("Bcc")
        .contains("Subject: hi\r\n")
        .endsWith("\r\nbody\r\n.\r\n");
  }

  @Test
  void failsOverToTheNextRelayWhenTheFirstRefusesOrSays421() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (ScriptedSmtpServer busy = new ScriptedSmtpServer()) {
      busy.greeting(reply("421 4.3.2 not now"));
      transport =
          plain(closedPort)
              .failover("127.0.0.1", busy.port())
              .failover("127.0.0.1", server.port())
              .build();

      DeliveryResult r = transport.deliver(mail("a@example.com"));

      assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      assertThat(busy.connections()).hasSize(1);
      assertThat(busy.connection(0).sawCommand("MAIL")).isFalse();
      assertThat(server.connection(0).data()).hasSize(1);
    }
  }
}
