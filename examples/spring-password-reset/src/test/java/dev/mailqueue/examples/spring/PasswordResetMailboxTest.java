package dev.mailqueue.examples.spring;

import static dev.mailqueue.RecipientStatus.DEFERRED;
import static dev.mailqueue.RecipientStatus.DELIVERED;
import static dev.mailqueue.test.MailQueueAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.Priority;
import dev.mailqueue.test.CapturedMail;
import dev.mailqueue.test.Mailbox;
import dev.mailqueue.test.spring.AutoConfigureMailQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.transaction.TestTransaction;
import org.springframework.transaction.annotation.Transactional;

/**
 * The password-reset service tested with mailqueue-test: the application's queue, database and
 * transactions as in production, the transport replaced by the mailbox. No SMTP server, no waiting
 * for a fixed time.
 */
@SpringBootTest(properties = "spring.main.banner-mode=off")
@AutoConfigureMailQueue
@ActiveProfiles("test") // not the default "demo": no seeded user, no SMTP sink
class PasswordResetMailboxTest {
  private static final String ALICE = "alice@example.org";
  private static final Pattern CODE = Pattern.compile("Your reset code: ([A-Za-z0-9_-]{43})");

  @Autowired PasswordResetService resets;
  @Autowired Mailbox mailbox;
  @Autowired JdbcTemplate jdbc;

  @BeforeEach
  void oneUser() {
    jdbc.update("DELETE FROM password_reset");
    jdbc.update("DELETE FROM users");
    jdbc.update("INSERT INTO users (email) VALUES (?)", ALICE);
  }

  @Test
  void theResetMailCarriesACodeThatResetsAlicesPassword() {
    resets.requestReset(ALICE);
    mailbox.awaitDelivered();

    assertThat(mailbox)
        .hasSent(1)
        .sentTo(ALICE)
        .isFrom("noreply@shop.example")
        .hasSubject("Reset your password")
        .textContains("valid for 30 minutes")
        .hasTag(PasswordResetService.TAG)
        .hasPriority(Priority.HIGH);
    CapturedMail mail = mailbox.sentTo(ALICE).get(0);
    Matcher code = CODE.matcher(mail.text());
    assertThat(code.find()).as("a reset code in %s", mail.text()).isTrue();
    assertThat(resets.emailForToken(code.group(1))).contains(ALICE);
  }

  @Test
  void anUnknownAddressSendsNothing() {
    assertThatThrownBy(() -> resets.requestReset("mallory@example.org"))
        .isInstanceOf(UnknownUserException.class);
    resets.requestReset(ALICE);
    mailbox.awaitDelivered();

    assertThat(mailbox).hasSent(1).sentNothingTo("mallory@example.org");
  }

  /**
   * The service joins the test's transaction, which Spring rolls back after the test: nothing would
   * be sent. Committing it inside the test shows the mail.
   */
  @Test
  @Transactional
  void inATransactionalTestTheMailLeavesOnlyWhenTheTestCommits() {
    resets.requestReset(ALICE);
    mailbox.awaitDelivered();
    assertThat(mailbox).hasSentNothing();

    TestTransaction.flagForCommit();
    TestTransaction.end();
    mailbox.awaitDelivered();
    assertThat(mailbox).hasSent(1).sentTo(ALICE);
  }

  /** Production retries a reset after 1 minute (retry-by-tag); the test support after 1 ms. */
  @Test
  void aDeferredResetIsRetriedAndDelivered() {
    mailbox.script(ALICE).defer(2);

    resets.requestReset(ALICE);
    mailbox.awaitDelivered();

    assertThat(mailbox).hasHistory(ALICE, DEFERRED, DEFERRED, DELIVERED).hasSent(1);
  }
}
