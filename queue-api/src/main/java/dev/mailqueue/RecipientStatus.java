package dev.mailqueue;

/** Where one recipient of a message stands. */
public enum RecipientStatus {
  /** Not tried yet. */
  PENDING(false),
  /** Accepted by the next hop (2xx after DATA). */
  DELIVERED(true),
  /** A temporary failure (4xx, no connection, timeout); will be tried again. */
  DEFERRED(false),
  /** A permanent failure (5xx); never tried again. */
  BOUNCED(true),
  /** Still failing temporarily when the message's lifetime or attempts ran out. */
  EXPIRED(true),
  /** On the suppression list; nothing was sent to it. */
  SUPPRESSED(true),
  /** Kept, not sent: the queue's {@link DeliveryMode} does not let mail to it leave. */
  CAPTURED(true);

  private final boolean terminal;

  RecipientStatus(boolean terminal) {
    this.terminal = terminal;
  }

  /** {@return whether no further attempt will be made for this recipient} */
  public boolean isTerminal() {
    return terminal;
  }
}
