package dev.mailqueue.test;

import static dev.mailqueue.test.MailQueueAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.Priority;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's plain-Java example ("Testing your mail"), as written there. */
class ReadmePlainJavaExampleTest {
  @RegisterExtension final MailQueueExtension mail = new MailQueueExtension();

  @Test
  void theResetMailCarriesTheLinkAndARollbackSendsNothing(Mailbox mailbox) throws Exception {
    // your service: one transaction stores the token and calls queue.enqueue(connection, mail)
    PasswordResets resets = new PasswordResets(mail.dataSource(), mail.queue());
    resets.createTables();

    resets.requestReset("mallory@example.org", false); // rolled back
    resets.requestReset("bob@example.org", true); // committed
    mailbox.awaitDelivered();

    assertThat(mailbox)
        .hasSent(1)
        .sentNothingTo("mallory@example.org")
        .sentTo("bob@example.org")
        .hasSubject("Passwort zurücksetzen")
        .hasTag("password-reset")
        .hasPriority(Priority.HIGH)
        .hasLinkContaining("/reset?token=");
    String link = mailbox.sentTo("bob@example.org").get(0).link("/reset?token=");
    assertThat(link).startsWith("https://shop.example/reset?token=");
  }
}
