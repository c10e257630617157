package dev.mailqueue.test;

import static dev.mailqueue.RecipientStatus.DEFERRED;
import static dev.mailqueue.RecipientStatus.EXPIRED;
import static dev.mailqueue.test.MailQueueAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageState;
import dev.mailqueue.jdbc.TestDatabases;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The extension on the test's own database, real PostgreSQL: tables under a prefix of this class,
 * dropped afterwards. Skipped when PostgreSQL is not reachable, unless MAILQUEUE_REQUIRE_DATABASES
 * names it.
 */
class PostgresMailQueueExtensionTest {
  private static DataSource postgres;
  private static final String PREFIX = TestDatabases.randomPrefix();

  @BeforeAll
  static void database() {
    postgres = TestDatabases.postgresql();
  }

  @AfterAll
  static void dropTables() {
    if (postgres != null) {
      TestDatabases.drop(postgres, PREFIX);
    }
  }

  @RegisterExtension
  final MailQueueExtension mail =
      MailQueueExtension.builder()
          .dataSource(postgres)
          .tablePrefix(PREFIX)
          .retryPolicy(MailQueueExtension.TEST_RETRY_POLICY.toBuilder().maxAttempts(2).build())
          .build();

  private static Mail hello(String to) {
    return Mail.builder().from("shop@example.com").to(to).subject("Hello").text("hi").build();
  }

  @Test
  void mailOfACommittedTransactionIsCapturedAndOfARolledBackOneNot(MailQueue queue, Mailbox mailbox)
      throws Exception {
    try (Connection c = postgres.getConnection()) {
      c.setAutoCommit(false);
      queue.enqueue(c, hello("mallory@example.org"));
      c.rollback();
      queue.enqueue(c, hello("bob@example.org"));
      c.commit();
    }
    mailbox.awaitDelivered();

    assertThat(mailbox).hasSent(1).sentNothingTo("mallory@example.org");
    assertThat(mailbox).sentTo("bob@example.org").hasSubject("Hello");
    assertThat(queue.stats().count(MessageState.DELIVERED)).isEqualTo(1);
  }

  @Test
  void aRecipientDeferredUntilTheAttemptsRunOutExpires(MailQueue queue, Mailbox mailbox) {
    mailbox.script("bob@example.org").deferAlways();

    queue.enqueue(hello("bob@example.org"));
    mailbox.awaitDelivered();

    assertThat(mailbox).hasHistory("bob@example.org", DEFERRED, EXPIRED).hasSent(0);
    assertThat(mailbox.attempts()).hasSize(2);
  }
}
