package dev.mailqueue.spi;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link MailTransport} reports for one attempt: a status and reply for every recipient
 * it was given, and how the attempt as a whole should count.
 *
 * @param recipients one outcome per recipient, DELIVERED, DEFERRED or BOUNCED
 * @param kind how the attempt counts
 * @param retryAfter for {@link Kind#NOT_COUNTED}, the earliest sensible retry (e.g. when a rate
 *     limiter has a permit again); otherwise {@code null} (the retry policy decides)
 * @param remoteHost the host that answered, or {@code null} if none did
 */
public record DeliveryResult(List<RecipientOutcome> recipients, Kind kind, Duration retryAfter, String remoteHost) {

  /** How an attempt counts. */
  public enum Kind {
    /** An ordinary attempt: the statuses stand and the attempt counter advances. */
    NORMAL,
    /**
     * The server gave no reply after the end of data (timeout or disconnect): the message may
     * have been delivered. Every recipient is DEFERRED; the attempt counts and is recorded as
     * uncertain.
     */
    UNCERTAIN,
    /**
     * Not the message's fault and not the destination's answer about it: a configuration fault
     * (authentication failed, TLS to a relay failed), a local rate limit or an open circuit
     * breaker. Every recipient is DEFERRED and the attempt counter does not advance.
     */
    NOT_COUNTED
  }

  /** Validates presence and copies the list. */
  public DeliveryResult {
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(kind, "kind");
    if (kind != Kind.NORMAL) {
      for (RecipientOutcome r : recipients) {
        if (r.status() != RecipientStatus.DEFERRED) {
          throw new IllegalArgumentException(kind + " requires every recipient DEFERRED, got " + r);
        }
      }
    }
  }

  /** An ordinary attempt with these per-recipient outcomes. */
  public static DeliveryResult of(List<RecipientOutcome> recipients, String remoteHost) {
    return new DeliveryResult(recipients, Kind.NORMAL, null, remoteHost);
  }

  /** Every recipient gets the same status and reply, e.g. all deferred after a connection failure. */
  public static DeliveryResult all(List<MailAddress> recipients, RecipientStatus status, SmtpReply reply,
                                   String remoteHost) {
    return of(same(recipients, status, reply), remoteHost);
  }

  /** No reply after the end of data: every recipient deferred, recorded as uncertain. */
  public static DeliveryResult uncertain(List<MailAddress> recipients, SmtpReply reply, String remoteHost) {
    return new DeliveryResult(same(recipients, RecipientStatus.DEFERRED, reply), Kind.UNCERTAIN, null, remoteHost);
  }

  /** Deferred without counting an attempt, e.g. authentication failed or a rate limit applies. */
  public static DeliveryResult notCounted(List<MailAddress> recipients, SmtpReply reply, Duration retryAfter,
                                          String remoteHost) {
    return new DeliveryResult(same(recipients, RecipientStatus.DEFERRED, reply), Kind.NOT_COUNTED, retryAfter,
        remoteHost);
  }

  private static List<RecipientOutcome> same(List<MailAddress> recipients, RecipientStatus status, SmtpReply reply) {
    List<RecipientOutcome> list = new ArrayList<>(recipients.size());
    for (MailAddress a : recipients) {
      list.add(new RecipientOutcome(a, status, reply));
    }
    return list;
  }
}
