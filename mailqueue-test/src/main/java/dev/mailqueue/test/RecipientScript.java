package dev.mailqueue.test;

import dev.mailqueue.MailAddress;
import dev.mailqueue.SmtpReply;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

/**
 * What the capturing transport answers for one recipient, attempt by attempt: first the scripted
 * steps in the order they were added ({@link #defer}, {@link #uncertain}), then the final answer
 * ({@link #bounce} if called, else delivery). The answers go through the real engine, so the
 * listener's events, the retry decisions and the stored states are those of production.
 *
 * <pre>{@code
 * mailbox.script("bob@example.org").defer(2);          // 451 twice, then delivered
 * mailbox.script("eve@example.org").bounce();          // 550 5.1.1 at the first attempt
 * mailbox.script("joe@example.org").defer(1).bounce(); // 451, then 550
 * }</pre>
 *
 * <p>Thread-safe; a script applies to attempts made after it was set.
 */
public final class RecipientScript {
  /** The reply of a scripted deferral: {@code 451 4.3.0}. */
  public static final SmtpReply DEFAULT_DEFERRAL =
      SmtpReply.parse(451, "4.3.0 try again later (scripted by mailqueue-test)");

  /** The reply of a scripted bounce: {@code 550 5.1.1}. */
  public static final SmtpReply DEFAULT_BOUNCE =
      SmtpReply.parse(550, "5.1.1 no such user (scripted by mailqueue-test)");

  /** The reply of a scripted uncertain attempt: a local timeout after the end of data. */
  public static final SmtpReply DEFAULT_UNCERTAIN =
      SmtpReply.local(451, "4.4.2", "no reply after end of data (scripted by mailqueue-test)");

  /** The reply of a delivery: {@code 250 2.0.0}. */
  public static final SmtpReply DELIVERED =
      SmtpReply.parse(250, "2.0.0 Ok: captured by mailqueue-test");

  /** What one attempt answers for the recipient. */
  enum Kind {
    DELIVER,
    DEFER,
    UNCERTAIN,
    BOUNCE
  }

  record Step(Kind kind, SmtpReply reply) {}

  private final MailAddress recipient;
  private final Deque<Step> steps = new ArrayDeque<>();
  private Step last = new Step(Kind.DELIVER, DELIVERED);

  RecipientScript(MailAddress recipient) {
    this.recipient = recipient;
  }

  /**
   * Defers the next {@code times} attempts for this recipient with {@link #DEFAULT_DEFERRAL}.
   *
   * @param times how many attempts, at least 1
   * @return this script
   * @throws IllegalArgumentException if {@code times} is below 1
   */
  public RecipientScript defer(int times) {
    return defer(times, DEFAULT_DEFERRAL);
  }

  /**
   * Defers the next {@code times} attempts for this recipient with {@code reply}.
   *
   * @param times how many attempts, at least 1
   * @param reply a 4xx reply
   * @return this script
   * @throws IllegalArgumentException if {@code times} is below 1 or the reply is not 4xx
   */
  public synchronized RecipientScript defer(int times, SmtpReply reply) {
    if (times < 1) {
      throw new IllegalArgumentException("times must be at least 1: " + times);
    }
    requireClass(reply, 4);
    for (int i = 0; i < times; i++) {
      steps.add(new Step(Kind.DEFER, reply));
    }
    return this;
  }

  /**
   * Defers every attempt from now on, until the queue gives up (the retry policy's attempts or the
   * mail's lifetime), for testing the listener's {@code expired} event.
   *
   * @return this script
   */
  public synchronized RecipientScript deferAlways() {
    last = new Step(Kind.DEFER, DEFAULT_DEFERRAL);
    return this;
  }

  /**
   * Makes the next attempt for this recipient uncertain: the server "took" the data but gave no
   * reply, so the engine records an uncertain attempt and retries it with the same Message-ID.
   *
   * @return this script
   */
  public synchronized RecipientScript uncertain() {
    steps.add(new Step(Kind.UNCERTAIN, DEFAULT_UNCERTAIN));
    return this;
  }

  /**
   * Bounces this recipient with {@link #DEFAULT_BOUNCE} once the steps before are used up.
   *
   * @return this script
   */
  public RecipientScript bounce() {
    return bounce(DEFAULT_BOUNCE);
  }

  /**
   * Bounces this recipient with {@code reply} once the steps before are used up.
   *
   * @param reply a 5xx reply
   * @return this script
   * @throws IllegalArgumentException if the reply is not 5xx
   */
  public synchronized RecipientScript bounce(SmtpReply reply) {
    requireClass(reply, 5);
    last = new Step(Kind.BOUNCE, reply);
    return this;
  }

  /** The answer for the next attempt. */
  synchronized Step next() {
    Step s = steps.poll();
    return s != null ? s : last;
  }

  /** {@return the recipient and the steps still to come} */
  @Override
  public synchronized String toString() {
    return "RecipientScript[" + recipient.address() + ": " + steps + " then " + last + "]";
  }

  private static void requireClass(SmtpReply reply, int replyClass) {
    Objects.requireNonNull(reply, "reply");
    if (reply.code() / 100 != replyClass) {
      throw new IllegalArgumentException(
          "expected a " + replyClass + "xx reply, got " + reply.code() + " " + reply.text());
    }
  }
}
