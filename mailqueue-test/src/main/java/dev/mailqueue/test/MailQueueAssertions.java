package dev.mailqueue.test;

/**
 * Entry points of the AssertJ-style assertions on a {@link Mailbox} and a {@link CapturedMail};
 * import them statically next to AssertJ's own {@code assertThat}.
 *
 * <pre>{@code
 * mailbox.awaitDelivered();
 * assertThat(mailbox).hasSent(1)
 *     .sentTo("bob@example.org")
 *     .hasSubject("Reset your password")
 *     .textContains("valid for 30 minutes")
 *     .hasLinkContaining("/reset?token=");
 * }</pre>
 */
public final class MailQueueAssertions {
  private MailQueueAssertions() {}

  /**
   * Assertions on what a mailbox captured.
   *
   * @param actual the mailbox
   * @return its assertions
   */
  public static MailboxAssert assertThat(Mailbox actual) {
    return new MailboxAssert(actual);
  }

  /**
   * Assertions on one captured attempt.
   *
   * @param actual the attempt
   * @return its assertions
   */
  public static CapturedMailAssert assertThat(CapturedMail actual) {
    return new CapturedMailAssert(actual);
  }
}
