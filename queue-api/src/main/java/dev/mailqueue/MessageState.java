package dev.mailqueue;

/**
 * Where a message stands, in Postfix's terms: QUEUED and DEFERRED are its incoming and deferred
 * queues, SENDING its active queue, HOLD its hold queue.
 */
public enum MessageState {
  /** Waiting for its first attempt (possibly scheduled for later). */
  QUEUED(false),
  /** At least one attempt failed temporarily; waiting for the next. */
  DEFERRED(false),
  /** Leased by a worker that is delivering it now. */
  SENDING(false),
  /** Held by an administrator or a quota; not delivered until released. */
  HOLD(false),
  /** Every recipient was delivered, or some were delivered and the others suppressed. */
  DELIVERED(true),
  /** No recipient is pending and at least one bounced; the others were delivered. */
  BOUNCED(true),
  /** Given up: lifetime or attempts ran out while recipients were still deferred. */
  EXPIRED(true),
  /**
   * Nothing was sent: every recipient was on the suppression list (see {@link Suppression}). A
   * message with a delivered, bounced or expired recipient ends in that state instead.
   */
  SUPPRESSED(true),
  /**
   * Nothing was sent: the queue's {@link DeliveryMode} (capture, or allow for recipients not
   * listed) kept the mail instead. A message with a delivered, bounced or expired recipient ends in
   * that state instead; captured recipients next to suppressed ones make it CAPTURED.
   */
  CAPTURED(true);

  private final boolean terminal;

  MessageState(boolean terminal) {
    this.terminal = terminal;
  }

  /** {@return whether the message is finished: nothing more will be sent} */
  public boolean isTerminal() {
    return terminal;
  }
}
