package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.DummySSLServerSocketFactory;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.DeliveryResult;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Happy paths against GreenMail, a real SMTP server in the same JVM. */
@Timeout(30)
class GreenMailRelayTest {
  private GreenMail greenMail;
  private SmtpTransport transport;

  @BeforeAll
  static void useGeneratedCertificate() throws Exception {
    TestCertificates certs = TestCertificates.localhost();
    System.setProperty(DummySSLServerSocketFactory.GREENMAIL_KEYSTORE_FILE_PROPERTY, certs.keyStoreFile.toString());
    System.setProperty(DummySSLServerSocketFactory.GREENMAIL_KEYSTORE_PASSWORD_PROPERTY,
        new String(TestCertificates.PASSWORD));
    System.setProperty(DummySSLServerSocketFactory.GREENMAIL_KEY_PASSWORD_PROPERTY,
        new String(TestCertificates.PASSWORD));
  }

  @AfterEach
  void stop() {
    if (transport != null) {
      transport.close();
    }
    if (greenMail != null) {
      greenMail.stop();
    }
  }

  private int start(String protocol) {
    greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", protocol).dynamicPort())
        .withConfiguration(GreenMailConfiguration.aConfig().withUser("user@example.com", "user", "pw"));
    greenMail.start();
    return protocol.equals(ServerSetup.PROTOCOL_SMTPS) ? greenMail.getSmtps().getPort() : greenMail.getSmtp().getPort();
  }

  @Test
  void deliversTheStoredBytesWithTheirMessageId() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTP);
    transport = SmtpTransport.relay("127.0.0.1", port).ehloName("client.test").build();

    DeliveryResult r = transport.deliver(mail("one@example.com", "two@example.org"));

    assertThat(r.recipients()).allSatisfy(o -> assertThat(o.status()).isEqualTo(RecipientStatus.DELIVERED));
    MimeMessage[] received = greenMail.getReceivedMessages();
    assertThat(received).hasSize(2);
    for (MimeMessage m : received) {
      assertThat(m.getMessageID()).isEqualTo(Mails.MESSAGE_ID);
      assertThat(m.getSubject()).isEqualTo("hi");
    }
  }

  @Test
  void eightWorkersShareThePool() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTP);
    transport = SmtpTransport.relay("127.0.0.1", port).ehloName("client.test").maxConnectionsPerRelay(4).build();
    ExecutorService workers = Executors.newFixedThreadPool(8);
    List<Future<DeliveryResult>> results = new ArrayList<>();
    try {
      for (int i = 0; i < 160; i++) {
        String rcpt = "r" + i + "@example.com";
        results.add(workers.submit(() -> transport.deliver(mail(rcpt))));
      }
      for (Future<DeliveryResult> f : results) {
        assertThat(f.get().recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
      }
    } finally {
      workers.shutdownNow();
    }
    assertThat(greenMail.waitForIncomingEmail(5_000, 160)).isTrue();
    assertThat(transport.idleConnections(0)).isBetween(1, 4);
  }

  @Test
  void implicitTlsWithAuthPlain() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTPS);
    transport = SmtpTransport.relay("127.0.0.1", port).security(Security.IMPLICIT_TLS).credentials("user", "pw")
        .trustStore(TestCertificates.localhost().trustStore()).readTimeout(Duration.ofSeconds(5)).build();

    DeliveryResult r = transport.deliver(mail("user@example.com"));

    assertThat(r.recipients().get(0).status()).isEqualTo(RecipientStatus.DELIVERED);
    assertThat(greenMail.getReceivedMessages()).hasSize(1);
    assertThat(greenMail.getReceivedMessages()[0].getMessageID()).isEqualTo(Mails.MESSAGE_ID);
  }

  @Test
  void wrongPasswordIsNotCounted() throws Exception {
    int port = start(ServerSetup.PROTOCOL_SMTPS);
    transport = SmtpTransport.relay("127.0.0.1", port).security(Security.IMPLICIT_TLS).credentials("user", "wrong")
        .trustStore(TestCertificates.localhost().trustStore()).readTimeout(Duration.ofSeconds(5)).build();

    DeliveryResult r = transport.deliver(mail("user@example.com"));

    assertThat(r.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(r.recipients().get(0).reply().code()).isEqualTo(535);
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }
}
