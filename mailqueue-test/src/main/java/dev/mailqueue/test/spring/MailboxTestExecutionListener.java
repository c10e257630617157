package dev.mailqueue.test.spring;

import dev.mailqueue.test.Mailbox;
import org.springframework.test.context.TestContext;
import org.springframework.test.context.support.AbstractTestExecutionListener;

/**
 * Clears the {@link Mailbox} bean before each test method, so that a test sees only its own mail:
 * the application context, and with it the mailbox, is shared by the tests that use it. Registered
 * in {@code META-INF/spring.factories}; does nothing in a context without a mailbox, and never
 * makes a context that was not yet made.
 */
public final class MailboxTestExecutionListener extends AbstractTestExecutionListener {

  /** Made by Spring's test framework from {@code META-INF/spring.factories}. */
  public MailboxTestExecutionListener() {}

  /** {@return 2100: after dependency injection (2000), before a test transaction begins (4000)} */
  @Override
  public int getOrder() {
    return 2100;
  }

  /**
   * Clears the mailbox of the test's context, if it has one.
   *
   * @param testContext the test's context
   */
  @Override
  public void beforeTestMethod(TestContext testContext) {
    if (testContext.hasApplicationContext()) {
      testContext
          .getApplicationContext()
          .getBeanProvider(Mailbox.class)
          .ifAvailable(Mailbox::clear);
    }
  }

  /** {@return the listener's name} */
  @Override
  public String toString() {
    return "MailboxTestExecutionListener";
  }
}
