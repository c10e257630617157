package dev.mailqueue.spi;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.Priority;
import dev.mailqueue.SmtpReply;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A message leased to one worker: its metadata and pending recipients, and its body when the store
 * read it with the claim ({@link #preloadedMime()}; otherwise read it with {@link
 * MailStore#loadMime}). The lease token fences every write: once the lease expired and another
 * worker claimed the message, writes with the old token are rejected.
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
 * @param preloadedMime the MIME bytes when the store read them with the claim (small messages,
 *     saving a round trip per message), else {@code null}; never modified by the engine
 * @param suppressed recipients the store found on the suppression list and that no completion has
 *     recorded yet: the engine records them {@link dev.mailqueue.RecipientStatus#SUPPRESSED} with
 *     this attempt and tells the listener once
 * @param deliveredBefore whether a recipient of this message was delivered in an earlier attempt
 */
public record ClaimedMail(
    MessageId id,
    long leaseToken,
    int attempts,
    Instant createdAt,
    Instant expiresAt,
    Instant claimedAt,
    Priority priority,
    @Nullable String tag,
    MailAddress envelopeFrom,
    String messageIdHeader,
    List<PendingRecipient> recipients,
    boolean bouncedBefore,
    byte[] preloadedMime,
    List<PendingRecipient> suppressed,
    boolean deliveredBefore) {
  /**
   * Copies the recipient lists.
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
   * @param preloadedMime the MIME bytes when the store read them with the claim (small messages,
   *     saving a round trip per message), else {@code null}; never modified by the engine
   * @param suppressed recipients the store found on the suppression list and that no completion has
   *     recorded yet: the engine records them {@link dev.mailqueue.RecipientStatus#SUPPRESSED} with
   *     this attempt and tells the listener once
   * @param deliveredBefore whether a recipient of this message was delivered in an earlier attempt
   */
  public ClaimedMail {
    recipients = List.copyOf(recipients);
    suppressed = List.copyOf(suppressed);
  }

  /**
   * A claimed message without suppressed recipients to record.
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
   * @param preloadedMime the MIME bytes when the store read them with the claim (small messages,
   *     saving a round trip per message), else {@code null}; never modified by the engine
   */
  public ClaimedMail(
      MessageId id,
      long leaseToken,
      int attempts,
      Instant createdAt,
      Instant expiresAt,
      Instant claimedAt,
      Priority priority,
      String tag,
      MailAddress envelopeFrom,
      String messageIdHeader,
      List<PendingRecipient> recipients,
      boolean bouncedBefore,
      byte[] preloadedMime) {
    this(
        id,
        leaseToken,
        attempts,
        createdAt,
        expiresAt,
        claimedAt,
        priority,
        tag,
        envelopeFrom,
        messageIdHeader,
        recipients,
        bouncedBefore,
        preloadedMime,
        List.of(),
        false);
  }

  /**
   * A claimed message whose body was not read with the claim.
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
  public ClaimedMail(
      MessageId id,
      long leaseToken,
      int attempts,
      Instant createdAt,
      Instant expiresAt,
      Instant claimedAt,
      Priority priority,
      String tag,
      MailAddress envelopeFrom,
      String messageIdHeader,
      List<PendingRecipient> recipients,
      boolean bouncedBefore) {
    this(
        id,
        leaseToken,
        attempts,
        createdAt,
        expiresAt,
        claimedAt,
        priority,
        tag,
        envelopeFrom,
        messageIdHeader,
        recipients,
        bouncedBefore,
        null);
  }

  /**
   * Leaves the body out: it can be large and is not part of the message's identity.
   *
   * @return the id, lease token, attempts, priority, tag and recipient counts
   */
  @Override
  public String toString() {
    return "ClaimedMail[id="
        + id
        + ", leaseToken="
        + leaseToken
        + ", attempts="
        + attempts
        + ", priority="
        + priority
        + ", tag="
        + tag
        + ", recipients="
        + recipients.size()
        + ", suppressed="
        + suppressed.size()
        + ", preloaded="
        + (preloadedMime != null)
        + "]";
  }

  /**
   * A recipient still to be delivered.
   *
   * @param index its position in the message's recipient list (stable across attempts)
   * @param address the address
   * @param lastReply the reply of the previous attempt, or {@code null}
   */
  public record PendingRecipient(int index, MailAddress address, @Nullable SmtpReply lastReply) {}
}
