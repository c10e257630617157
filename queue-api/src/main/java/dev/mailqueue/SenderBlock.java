package dev.mailqueue;

/**
 * A refusal aimed at the sender rather than at the recipient: the receiving system blocked the
 * sending address, domain or IP address (its policy, or its view of their reputation). The
 * recipient's address may well be good, so a blocked recipient is never put on the suppression
 * list; the block is told to {@link DeliveryListener#blocked} and counts against the destination.
 * Which replies are blocks is decided by the transport (in queue-smtp, its reply rules).
 */
public enum SenderBlock {
  /**
   * The sender fails the receiver's policy: authentication (SPF, DKIM, DMARC), sender requirements,
   * content policy (RFC 3463 5.7.x, e.g. Microsoft's 5.7.515).
   */
  POLICY,
  /**
   * The sender's IP address or domain has a poor reputation or is listed on a block list (Spamhaus,
   * Gmail's "Our system has detected...", Microsoft's S3150).
   */
  REPUTATION
}
