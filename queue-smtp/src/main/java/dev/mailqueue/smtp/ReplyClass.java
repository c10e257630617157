package dev.mailqueue.smtp;

import dev.mailqueue.SenderBlock;
import org.jspecify.annotations.Nullable;

/**
 * What a server's negative reply says, as a {@link ReplyRule} names it: a fault of the recipient,
 * or a block or limit aimed at the sender. Only the two block classes keep an address off the
 * suppression list on their own account; every class may be combined with any {@link ReplyAction}.
 */
public enum ReplyClass {
  /** The recipient cannot receive mail, for good (no such user, no such domain). */
  RECIPIENT_PERMANENT,
  /** The recipient cannot receive mail now (mailbox full, greylisting, server busy). */
  RECIPIENT_TEMPORARY,
  /**
   * The sender fails the receiver's policy (authentication, DMARC, sender requirements): never
   * suppresses the address; counts against the destination; an alert.
   */
  POLICY_BLOCK,
  /**
   * The sender's IP address or domain is blocked for its reputation (block lists, spam rates):
   * never suppresses the address; counts against the destination; an alert.
   */
  REPUTATION_BLOCK,
  /** The receiver limits how fast the sender may send: the mail is tried again later. */
  RATE_LIMIT;

  /**
   * The block this class records on a recipient's outcome, or {@code null} for a class that is not
   * aimed at the sender.
   *
   * @return {@link SenderBlock#POLICY}, {@link SenderBlock#REPUTATION} or {@code null}
   */
  public @Nullable SenderBlock block() {
    return switch (this) {
      case POLICY_BLOCK -> SenderBlock.POLICY;
      case REPUTATION_BLOCK -> SenderBlock.REPUTATION;
      default -> null;
    };
  }
}
