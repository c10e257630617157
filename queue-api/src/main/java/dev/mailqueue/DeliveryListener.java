package dev.mailqueue;

/**
 * Hears what happened to each message. Every method is called after the new state was committed (on
 * the queue's completer thread), at most once per recipient outcome: {@link #delivered}, {@link
 * #bounced}, {@link #expired}, {@link #suppressed} and {@link #captured} once per recipient in
 * total, {@link #deferred} and {@link #blocked} once per failed attempt. A listener must be quick
 * and thread-safe; an exception it throws is logged and otherwise ignored. Every method defaults to
 * doing nothing.
 */
public interface DeliveryListener {
  /** A listener that does nothing. */
  DeliveryListener NONE = new DeliveryListener() {};

  /**
   * These recipients were accepted by the next hop.
   *
   * @param event the message and the recipients delivered in this attempt
   */
  default void delivered(DeliveryEvent event) {}

  /**
   * These recipients failed temporarily and will be tried again at {@link
   * DeliveryEvent#nextAttemptAt()}.
   *
   * @param event the message, the recipients deferred in this attempt and when they are tried again
   */
  default void deferred(DeliveryEvent event) {}

  /**
   * These recipients failed permanently (5xx) and will not be tried again.
   *
   * @param event the message and the recipients that bounced in this attempt
   */
  default void bounced(DeliveryEvent event) {}

  /**
   * The queue gave up on these recipients: lifetime or attempts ran out.
   *
   * @param event the message and the recipients given up on
   */
  default void expired(DeliveryEvent event) {}

  /**
   * These recipients are on the suppression list: nothing was or will be sent to them. Told when
   * the queue next dispatches their message (at once for new mail; for mail already queued when the
   * address was suppressed, at its next attempt).
   *
   * @param event the message and its suppressed recipients
   */
  default void suppressed(DeliveryEvent event) {}

  /**
   * The receiving system refused these recipients' mail because of the sender, not the recipient: a
   * policy or reputation block ({@link RecipientOutcome#block()} says which). An alert, told in
   * addition to {@link #bounced} or {@link #deferred} (whichever the transport's rule chose) and
   * once per attempt; the addresses are not put on the suppression list. Usually calls for a look
   * at the sending domain's authentication (SPF, DKIM, DMARC) or at the sending IP address's block
   * listings.
   *
   * @param event the message and the recipients blocked in this attempt
   */
  default void blocked(DeliveryEvent event) {}

  /**
   * These recipients were captured, not sent: the queue's {@link DeliveryMode} (capture, or allow
   * for recipients not listed) keeps their mail, which {@code find} and the admin views show.
   *
   * @param event the message and the recipients captured in this attempt
   */
  default void captured(DeliveryEvent event) {}
}
