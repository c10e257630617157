package dev.mailqueue.test.spring;

import static dev.mailqueue.RecipientStatus.BOUNCED;
import static dev.mailqueue.RecipientStatus.DEFERRED;
import static dev.mailqueue.RecipientStatus.DELIVERED;
import static dev.mailqueue.test.MailQueueAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.test.Mailbox;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.transaction.TestTransaction;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

@SpringBootTest(
    properties = {
      "spring.datasource.url=jdbc:h2:mem:autoconfigure-mailqueue-test;DB_CLOSE_DELAY=-1",
      // no relay is configured: the starter would fail to build an SMTP transport
      "mailqueue.poll-interval=1h",
      // a production-like backoff that the test support must shorten
      "mailqueue.retry.initial-delay=10m",
      "mailqueue.retry-by-tag.password-reset.initial-delay=5m",
      "spring.main.banner-mode=off"
    })
@AutoConfigureMailQueue
class AutoConfigureMailQueueTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    /** The application's listener: told every event before the mailbox. */
    @Bean
    Heard heard() {
      return new Heard();
    }
  }

  static final class Heard implements DeliveryListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void delivered(DeliveryEvent e) {
      e.recipients().forEach(r -> events.add("delivered " + r.recipient().address()));
    }

    @Override
    public void bounced(DeliveryEvent e) {
      e.recipients().forEach(r -> events.add("bounced " + r.recipient().address()));
    }
  }

  @Autowired MailQueue queue;
  @Autowired Mailbox mailbox;
  @Autowired Heard heard;
  @Autowired PlatformTransactionManager transactions;
  @Autowired ApplicationContext context;

  private static Mail mail(String to) {
    return Mail.builder()
        .from("shop@example.com")
        .to(to)
        .subject("Reset your password")
        .text("https://shop.example/reset?token=abc")
        .tag("password-reset")
        .build();
  }

  @Test
  void theCapturingTransportReplacesSmtpAndTheMailboxSeesCommittedMail() {
    assertThat(context.getBean(MailTransport.class)).isSameAs(mailbox.transport());

    new TransactionTemplate(transactions)
        .executeWithoutResult(s -> queue.enqueue(mail("bob@example.org")));
    mailbox.awaitDelivered();

    assertThat(mailbox)
        .hasSent(1)
        .sentTo("bob@example.org")
        .hasTag("password-reset")
        .hasLinkContaining("token=abc");
  }

  @Test
  void aRolledBackTransactionSendsNothing() {
    new TransactionTemplate(transactions)
        .executeWithoutResult(
            s -> {
              queue.enqueue(mail("mallory@example.org"));
              s.setRollbackOnly();
            });
    new TransactionTemplate(transactions)
        .executeWithoutResult(s -> queue.enqueue(mail("bob@example.org")));
    mailbox.awaitDelivered();

    assertThat(mailbox).hasSent(1).sentNothingTo("mallory@example.org");
  }

  @Test
  @Transactional
  void inATransactionalTestMailIsSentOnlyOnceTheTestCommits() {
    queue.enqueue(mail("bob@example.org"));
    mailbox.awaitDelivered();
    // the test's transaction has not committed: the queue does not see the mail yet
    assertThat(mailbox).hasSentNothing();

    TestTransaction.flagForCommit();
    TestTransaction.end();
    mailbox.awaitDelivered();

    assertThat(mailbox).hasSent(1).sentTo("bob@example.org");
  }

  @Test
  void scriptsRunThroughTheEngineFastAndTheApplicationsListenerHearsFirst() {
    heard.events.clear();
    mailbox.script("bob@example.org").defer(2);
    mailbox.script("eve@example.org").bounce();

    queue.enqueue(mail("bob@example.org"));
    queue.enqueue(mail("eve@example.org"));
    mailbox.awaitDelivered();

    assertThat(mailbox)
        .hasHistory("bob@example.org", DEFERRED, DEFERRED, DELIVERED)
        .hasHistory("eve@example.org", BOUNCED)
        .hasSent(1);
    assertThat(heard.events)
        .containsExactlyInAnyOrder("delivered bob@example.org", "bounced eve@example.org");
  }
}
