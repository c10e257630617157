package dev.mailqueue.spi;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.Priority;
import dev.mailqueue.SmtpReply;
import java.time.Instant;
import java.util.List;

/**
 * A message leased to one worker: its metadata and pending recipients, not its body (read with
 * {@link MailStore#loadMime}). The lease token fences every write: once the lease expired and
 * another worker claimed the message, writes with the old token are rejected.
 *
 * @param id the queue's id
 * @param leaseToken the fencing token of this lease
 * @param attempts counted attempts before this one
 * @param createdAt enqueue time (database clock)
 * @param expiresAt give-up time (database clock)
 * @param claimedAt the database clock at the moment of the claim
 * @param priority the priority
 * @param tag the tag, or {@code null}
 * @param envelopeFrom the envelope sender
 * @param messageIdHeader the Message-ID header
 * @param recipients the recipients still pending (never tried or deferred)
 * @param bouncedBefore whether a recipient of this message bounced in an earlier attempt
 */
public record ClaimedMail(MessageId id, long leaseToken, int attempts, Instant createdAt, Instant expiresAt,
                          Instant claimedAt, Priority priority, String tag, MailAddress envelopeFrom,
                          String messageIdHeader, List<PendingRecipient> recipients,
                          boolean bouncedBefore) {
  /** Copies the recipient list. */
  public ClaimedMail {
    recipients = List.copyOf(recipients);
  }

  /**
   * A recipient still to be delivered.
   *
   * @param index its position in the message's recipient list (stable across attempts)
   * @param address the address
   * @param lastReply the reply of the previous attempt, or {@code null}
   */
  public record PendingRecipient(int index, MailAddress address, SmtpReply lastReply) {}
}
