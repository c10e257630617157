package dev.mailqueue.smtp;

/** What the transport does with the recipients of a reply a {@link ReplyRule} matched. */
public enum ReplyAction {
  /**
   * The recipient is bounced for a 5xx reply and deferred for a 4xx (RFC 5321), as without a rule;
   * the rule only names the class.
   */
  BY_CODE,
  /**
   * The recipient bounces: no further attempt. The store puts the address on the suppression list
   * only for a {@link ReplyClass#RECIPIENT_PERMANENT} reply whose enhanced code it suppresses on;
   * never for a block.
   */
  BOUNCE,
  /** The recipient is deferred: tried again after the retry policy's backoff. */
  DEFER,
  /**
   * The recipient is deferred, and the destination's circuit breaker is opened for the transport's
   * {@linkplain SmtpTransportBuilder#blockSuspension block suspension}, so that no mail goes there
   * until it is over (with {@linkplain SmtpTransportBuilder#shaping shaping} only: without it there
   * is no breaker, and this is {@link #DEFER}).
   */
  SUSPEND_DESTINATION
}
