package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.flood;
import static dev.mailqueue.smtp.ScriptedSmtpServer.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Servers that send more than any SMTP reply needs: every read is bounded (a reply line, a whole
 * reply, a session), the recipients are deferred with a local 4.5.0 reply saying so, and the
 * connection is not used again. Without the bounds, these servers would fill the heap (see {@link
 * HostileServerMemoryTest} for the same with a small heap). The floods stop by themselves after
 * {@link #FLOOD_BYTES} or {@link #FLOOD_TIME}, so that a client without bounds ends too.
 */
@Timeout(60)
class HostileServerTest {
  private static final long FLOOD_BYTES = 16L << 20;
  private static final Duration FLOOD_TIME = Duration.ofSeconds(20);
  private static final Duration QUICKLY = Duration.ofSeconds(5);

  /**
   * A reply line of 40 bytes: 1,500 of them make a reply of 60,000 bytes, under the reply bound.
   */
  private static final String LINE = "250-2.1.5 this line is forty bytes long";

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

  private RelayBuilder relay(Security security) throws Exception {
    return SmtpTransport.relay("127.0.0.1", server.port())
        .security(security)
        .trustStore(TestCertificates.localhost().trustStore())
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(10))
        .attemptDeadline(Duration.ofSeconds(30));
  }

  private DeliveryResult deliverQuickly(OutboundMail mail) {
    long start = System.nanoTime();
    DeliveryResult r = transport.deliver(mail);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICKLY);
    return r;
  }

  private static void assertDeferredAsTooLong(DeliveryResult r, String detail) {
    assertThat(r.recipients())
        .isNotEmpty()
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
              assertThat(o.reply().code()).isEqualTo(451);
              assertThat(o.reply().enhancedStatus()).isEqualTo("4.5.0");
              assertThat(o.reply().text())
                  .startsWith("local: reply too long: server sent " + detail);
            });
  }

  /** A reply of {@code lines} lines of 40 bytes, the last one final. */
  private static String[] longReply(int lines) {
    List<String> l = new ArrayList<>(Collections.nCopies(lines - 1, LINE));
    l.add(LINE.replace("250-", "250 "));
    return l.toArray(String[]::new);
  }

  @Test
  void endlessContinuationLinesAfterEhloAreCutOffAtTheReplyBound() throws Exception {
    server.on(
        "EHLO",
        flood("250-scripted.test greets you\r\n", "250-8BITMIME\r\n", FLOOD_BYTES, FLOOD_TIME));
    transport = relay(Security.NONE).build();

    DeliveryResult r = deliverQuickly(mail("a@example.com", "b@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertDeferredAsTooLong(r, "a reply of more than 65536 bytes");
    assertThat(server.connection(0).sawCommand("MAIL")).isFalse();
  }

  @Test
  void anEndlessLineWithoutLineEndIsCutOffAtTheLineBound() throws Exception {
    server.greeting(flood("220 ", "x", FLOOD_BYTES, FLOOD_TIME));
    transport = relay(Security.NONE).build();

    DeliveryResult r = deliverQuickly(mail("a@example.com"));

    assertDeferredAsTooLong(r, "a reply line of more than 4096 bytes");
    assertThat(server.connection(0).commands()).isEmpty();
  }

  @Test
  void anOversizedReplyToRcptDefersEveryRecipientAndTheConnectionIsNotReused() throws Exception {
    server.on("RCPT TO:<b@", reply(longReply(2_000))); // 80,000 bytes
    transport = relay(Security.NONE).build();

    DeliveryResult r = deliverQuickly(mail("a@example.com", "b@example.com", "c@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertDeferredAsTooLong(r, "a reply of more than 65536 bytes");
    assertThat(server.connection(0).sawCommand("DATA")).isFalse();

    assertThat(transport.deliver(mail("a@example.com")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).as("a new connection for the next message").hasSize(2);
  }

  @Test
  void anOversizedReplyToTheEndOfDataIsUncertain() throws Exception {
    server.on(
        ".", flood("250-2.0.0 queued\r\n", "250-2.0.0 and more\r\n", FLOOD_BYTES, FLOOD_TIME));
    transport = relay(Security.NONE).build();

    DeliveryResult r = deliverQuickly(mail("a@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.UNCERTAIN);
    RecipientOutcome o = r.recipients().get(0);
    assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(o.reply())
        .isEqualTo(
            SmtpReply.local(
                451,
                "4.5.0",
                "reply to end of data too long, delivery uncertain: server sent a reply of more than 65536 bytes"));
  }

  @Test
  void anOversizedReplyToDataIsDeferred() throws Exception {
    server.on("DATA", flood("354-go ahead\r\n", "354-go ahead\r\n", FLOOD_BYTES, FLOOD_TIME));
    transport = relay(Security.NONE).build();

    DeliveryResult r = deliverQuickly(mail("a@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertDeferredAsTooLong(r, "a reply of more than 65536 bytes");
    assertThat(server.connection(0).data()).isEmpty();
  }

  @Test
  void afterStartTlsTheDecryptedRepliesAreBounded() throws Exception {
    server
        .tls(TestCertificates.localhost().serverContext(), false)
        .on(
            "EHLO",
            reply("250-scripted.test greets you", "250 STARTTLS"),
            flood("250-scripted.test greets you\r\n", "250-", FLOOD_BYTES, FLOOD_TIME));
    transport = relay(Security.STARTTLS_REQUIRED).build();

    DeliveryResult r = deliverQuickly(mail("a@example.com"));

    assertDeferredAsTooLong(r, "a reply line of more than 4096 bytes");
    assertThat(server.connection(0).tls).isTrue();
  }

  @Test
  void withImplicitTlsTheDecryptedRepliesAreBounded() throws Exception {
    server
        .tls(TestCertificates.localhost().serverContext(), true)
        .on(
            "EHLO",
            flood(
                "250-scripted.test greets you\r\n", "250-PIPELINING\r\n", FLOOD_BYTES, FLOOD_TIME));
    transport = relay(Security.IMPLICIT_TLS).build();

    DeliveryResult r = deliverQuickly(mail("a@example.com"));

    assertDeferredAsTooLong(r, "a reply of more than 65536 bytes");
    assertThat(server.connection(0).tls).isTrue();
  }

  @Test
  void aSessionIsBoundedEvenWhenEachReplyIsWithinItsBound() throws Exception {
    // 80 replies of 60,000 bytes to one message's RCPTs: 4.8 MB on one connection
    List<String> rcpts = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      rcpts.add("r" + i + "@example.com");
      server.on("RCPT TO:<r" + i + "@", reply(longReply(1_500)));
    }
    transport = relay(Security.NONE).build();

    DeliveryResult r = deliverQuickly(mail(rcpts.toArray(String[]::new)));

    assertDeferredAsTooLong(r, "more than 4194304 bytes on one connection");
    assertThat(server.connection(0).sawCommand("DATA")).isFalse();
  }

  @Test
  void overTlsThePlaintextIsCountedOnceNotTheCiphertextToo() throws Exception {
    // 60 replies of 60,000 bytes: 3.6 MB of plaintext, under the session bound; counting the
    // ciphertext as well would exceed it
    server.tls(TestCertificates.localhost().serverContext(), false);
    List<String> rcpts = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      rcpts.add("r" + i + "@example.com");
      server.on("RCPT TO:<r" + i + "@", reply(longReply(1_500)));
    }
    transport = relay(Security.STARTTLS_REQUIRED).build();

    DeliveryResult r = deliverQuickly(mail(rcpts.toArray(String[]::new)));

    assertThat(r.recipients())
        .hasSize(60)
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
  }

  @Test
  void aConnectionThatReadMoreThanOneMebibyteIsRetiredAfterItsTransaction() throws Exception {
    List<String> rcpts = new ArrayList<>();
    for (int i = 0; i < 20; i++) { // 1.2 MB of replies, each within the reply bound
      rcpts.add("r" + i + "@example.com");
      server.on("RCPT TO:<r" + i + "@", reply(longReply(1_500)));
    }
    transport = relay(Security.NONE).build();
    assertThat(transport.deliver(mail(rcpts.toArray(String[]::new))).recipients())
        .allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
    assertThat(transport.deliver(mail("a@example.com")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).as("the first connection was retired, not reused").hasSize(2);
    await()
        .atMost(QUICKLY)
        .untilAsserted(
            () ->
                assertThat(server.connection(0).sawCommand("QUIT")).as("closed politely").isTrue());

    // below the threshold, connections are reused as before
    assertThat(transport.deliver(mail("b@example.com")).recipients().get(0).status())
        .isEqualTo(RecipientStatus.DELIVERED);
    assertThat(server.connections()).hasSize(2);
  }
}
