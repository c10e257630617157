package dev.mailqueue.smtp;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;

/**
 * What one delivery attempt says about its destination's health: the rules of the circuit breaker
 * of {@link ShapingTransport}. What each reply means comes from {@link ReplyClassifier}.
 */
enum DestinationHealth {
  /** The server answered per recipient (including a 5xx "user unknown" or a greylisting 4xx). */
  SUCCESS,
  /**
   * Nothing was answered per recipient because the destination did not respond (connect failed,
   * dropped, deadline, no reply after the data, 421), or a recipient's reply was a block against
   * the sender ({@link ReplyClass#POLICY_BLOCK}, {@link ReplyClass#REPUTATION_BLOCK}): counts
   * towards opening the breaker.
   */
  FAILURE,
  /**
   * A local fault that says nothing about the destination (DNS, configuration, busy connection
   * pool).
   */
  NEUTRAL;

  /** The health {@code result} shows. */
  static DestinationHealth of(DeliveryResult result) {
    // a policy or reputation block against the sender (a reply rule said so) is the destination
    // refusing us: it counts like a destination that does not respond, whatever else was answered
    for (RecipientOutcome o : result.recipients()) {
      if (o.block() != null) {
        return FAILURE;
      }
    }
    // an uncertain or uncounted kind describes the deferred recipients only: when others were
    // answered (several domains behind one destination), the per-recipient replies decide
    boolean allDeferred =
        result.recipients().stream().allMatch(o -> o.status() == RecipientStatus.DEFERRED);
    if (allDeferred && result.kind() == DeliveryResult.Kind.UNCERTAIN) {
      return FAILURE;
    }
    if (allDeferred && result.kind() == DeliveryResult.Kind.NOT_COUNTED) {
      return NEUTRAL;
    }
    boolean allFailed = !result.recipients().isEmpty();
    boolean anyAnswered = false;
    for (RecipientOutcome o : result.recipients()) {
      SmtpReply r = o.reply();
      boolean notResponding =
          o.status() == RecipientStatus.DEFERRED && ReplyClassifier.meansNotResponding(r);
      allFailed &= notResponding;
      anyAnswered |= !r.isLocal() && !notResponding;
    }
    if (allFailed) {
      return FAILURE;
    }
    return anyAnswered ? SUCCESS : NEUTRAL;
  }
}
