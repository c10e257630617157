package dev.mailqueue.test;

import dev.mailqueue.RecipientStatus;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on a {@link Mailbox}: how many messages were sent, to whom, and what the listener was
 * told. Call {@link Mailbox#awaitDelivered()} first; these assertions do not wait.
 */
public final class MailboxAssert extends AbstractAssert<MailboxAssert, Mailbox> {

  /**
   * Assertions on {@code actual}; see {@link MailQueueAssertions#assertThat(Mailbox)}.
   *
   * @param actual the mailbox
   */
  public MailboxAssert(Mailbox actual) {
    super(actual, MailboxAssert.class);
  }

  /**
   * Verifies that exactly {@code count} attempts delivered to at least one recipient (one per
   * message sent, unless a message's recipients were delivered in several attempts).
   *
   * @param count the expected number
   * @return this
   */
  public MailboxAssert hasSent(int count) {
    isNotNull();
    List<CapturedMail> sent = actual.sent();
    if (sent.size() != count) {
      failWithMessage("Expected %d mail(s) sent but %d were: %s", count, sent.size(), sent);
    }
    return this;
  }

  /**
   * Verifies that the transport received nothing at all, e.g. after a rolled-back transaction.
   *
   * @return this
   */
  public MailboxAssert hasSentNothing() {
    isNotNull();
    if (!actual.attempts().isEmpty()) {
      failWithMessage("Expected no mail but the transport received: %s", actual.attempts());
    }
    return this;
  }

  /**
   * Verifies that exactly one attempt delivered to {@code address}, and returns assertions on it.
   *
   * @param address the recipient (To, Cc or Bcc), in any case
   * @return assertions on that mail
   */
  public CapturedMailAssert sentTo(String address) {
    isNotNull();
    List<CapturedMail> to = actual.sentTo(address);
    if (to.size() != 1) {
      failWithMessage(
          "Expected one mail sent to <%s> but found %d; all sent: %s",
          address, to.size(), actual.sent());
    }
    return new CapturedMailAssert(to.get(0));
  }

  /**
   * Verifies that nothing was delivered to {@code address}.
   *
   * @param address the recipient, in any case
   * @return this
   */
  public MailboxAssert sentNothingTo(String address) {
    isNotNull();
    List<CapturedMail> to = actual.sentTo(address);
    if (!to.isEmpty()) {
      failWithMessage("Expected nothing sent to <%s> but found: %s", address, to);
    }
    return this;
  }

  /**
   * Verifies the statuses the listener was told for {@code address}, in order, e.g. {@code
   * hasHistory("bob@example.org", DEFERRED, DEFERRED, DELIVERED)}.
   *
   * @param address the recipient, in any case
   * @param statuses the expected statuses, in order
   * @return this
   */
  public MailboxAssert hasHistory(String address, RecipientStatus... statuses) {
    isNotNull();
    List<RecipientStatus> history = actual.history(address);
    if (!history.equals(List.of(statuses))) {
      failWithMessage(
          "Expected the listener to be told %s for <%s> but it was told %s",
          List.of(statuses), address, history);
    }
    return this;
  }
}
