package dev.mailqueue.spi;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link MailTransport} reports for one attempt: a status and reply for every recipient it
 * was given, and how the recipients it left DEFERRED were deferred.
 *
 * <p>The {@link Kind} describes the DEFERRED recipients, not the whole message, so that a message
 * sent in several parts (one per domain or destination) keeps every part's facts when the parts are
 * {@linkplain #merge merged}: recipients of one domain may be DELIVERED or BOUNCED while those of
 * another are deferred as {@link Kind#UNCERTAIN} or {@link Kind#NOT_COUNTED}. The engine reads it
 * as follows:
 *
 * <ul>
 *   <li>the attempt is recorded as uncertain when the kind is UNCERTAIN, whatever happened to the
 *       other recipients;
 *   <li>the attempt counts against the retry budget unless the kind is NOT_COUNTED. The counter is
 *       the budget of the recipients still deferred, so an attempt in which every one of them was
 *       held back untried does not consume it, even if other recipients were delivered or bounced
 *       in it; an attempt in which at least one deferred recipient was really tried (a 4xx, a lost
 *       connection, no reply after the data) counts for all of them;
 *   <li>{@code retryAfter}, when present, is honoured: a NOT_COUNTED attempt is due again exactly
 *       after it; a counted attempt is due again after the earlier of it and the retry policy's
 *       backoff, so that recipients held back by a local limit are not made to wait a full backoff
 *       for the sake of others (those get one extra, early try).
 * </ul>
 *
 * @param recipients one outcome per recipient, DELIVERED, DEFERRED or BOUNCED (the engine's own
 *     parts, the simulator and the delivery mode, also report SUPPRESSED and CAPTURED)
 * @param kind how the DEFERRED recipients were deferred; a kind other than {@link Kind#NORMAL}
 *     requires at least one DEFERRED recipient
 * @param retryAfter the earliest sensible retry for recipients deferred without being tried (e.g.
 *     when a rate limiter has a permit again), or {@code null} when there are none or the retry
 *     policy should decide; only with at least one DEFERRED recipient
 * @param remoteHost the host that answered (several joined with ", " after a merge), or {@code
 *     null} if none did; it comes from DNS and is {@linkplain NetworkText#sanitize sanitised} and
 *     capped at {@value #MAX_REMOTE_HOST} characters (a merge that would be longer lists the first
 *     hosts and how many more there were)
 */
public record DeliveryResult(
    List<RecipientOutcome> recipients,
    Kind kind,
    @Nullable Duration retryAfter,
    @Nullable String remoteHost) {
  /** Longest remote host description kept, in chars: the size of the stores' column. */
  public static final int MAX_REMOTE_HOST = 255;

  /** How the DEFERRED recipients of an attempt were deferred, and so how the attempt counts. */
  public enum Kind {
    /**
     * An ordinary attempt: the statuses stand and the attempt counter advances. Deferred recipients
     * (if any) were tried, or at least one of them was.
     */
    NORMAL,
    /**
     * The server gave no reply after the end of data (timeout or disconnect) for at least one
     * DEFERRED recipient: it may have been delivered. The attempt counts and is recorded as
     * uncertain. Other recipients may be DELIVERED, BOUNCED or deferred otherwise.
     */
    UNCERTAIN,
    /**
     * Every DEFERRED recipient (at least one) was held back without being tried, for a reason that
     * is neither the message's fault nor the destination's answer about it: a configuration fault
     * (authentication failed, TLS to a relay failed), a local rate limit or an open circuit
     * breaker. The attempt counter does not advance. Other recipients may be DELIVERED or BOUNCED.
     */
    NOT_COUNTED
  }

  /**
   * Validates presence and consistency, copies the list, and sanitises and caps the remote host.
   *
   * @param recipients one outcome per recipient, DELIVERED, DEFERRED or BOUNCED (the engine's own
   *     parts, the simulator and the delivery mode, also report SUPPRESSED and CAPTURED)
   * @param kind how the DEFERRED recipients were deferred; a kind other than {@link Kind#NORMAL}
   *     requires at least one DEFERRED recipient
   * @param retryAfter the earliest sensible retry for recipients deferred without being tried (e.g.
   *     when a rate limiter has a permit again), or {@code null} when there are none or the retry
   *     policy should decide; only with at least one DEFERRED recipient
   * @param remoteHost the host that answered (several joined with ", " after a merge), or {@code
   *     null} if none did; it comes from DNS and is {@linkplain NetworkText#sanitize sanitised} and
   *     capped at {@value #MAX_REMOTE_HOST} characters (a merge that would be longer lists the
   *     first hosts and how many more there were)
   * @throws IllegalArgumentException if the kind is not NORMAL, or {@code retryAfter} is set,
   *     without a DEFERRED recipient, or if {@code retryAfter} is negative
   */
  public DeliveryResult {
    recipients = List.copyOf(recipients);
    remoteHost = NetworkText.sanitize(remoteHost, MAX_REMOTE_HOST);
    Objects.requireNonNull(kind, "kind");
    if (kind != Kind.NORMAL || retryAfter != null) {
      boolean anyDeferred = false;
      for (RecipientOutcome r : recipients) {
        anyDeferred |= r.status() == RecipientStatus.DEFERRED;
      }
      if (!anyDeferred) {
        throw new IllegalArgumentException(
            (kind != Kind.NORMAL ? kind.toString() : "retryAfter")
                + " requires at least one DEFERRED recipient, got "
                + recipients);
      }
    }
    if (retryAfter != null && retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative: " + retryAfter);
    }
  }

  /**
   * An ordinary attempt with these per-recipient outcomes.
   *
   * @param recipients one outcome per recipient
   * @param remoteHost the host that answered, or {@code null} if none did
   * @return a {@link Kind#NORMAL} result without {@code retryAfter}
   */
  public static DeliveryResult of(List<RecipientOutcome> recipients, String remoteHost) {
    return new DeliveryResult(recipients, Kind.NORMAL, null, remoteHost);
  }

  /**
   * Every recipient gets the same status and reply, e.g. all deferred after a connection failure.
   *
   * @param recipients every recipient of the attempt
   * @param status the status of each
   * @param reply the reply recorded for each
   * @param remoteHost the host that answered, or {@code null} if none did
   * @return a {@link Kind#NORMAL} result
   */
  public static DeliveryResult all(
      List<MailAddress> recipients, RecipientStatus status, SmtpReply reply, String remoteHost) {
    return of(same(recipients, status, reply), remoteHost);
  }

  /**
   * No reply after the end of data: every recipient deferred, recorded as uncertain.
   *
   * @param recipients every recipient of the attempt, each deferred
   * @param reply the reply recorded for each, e.g. a local timeout reply
   * @param remoteHost the host that took the data, or {@code null}
   * @return an {@link Kind#UNCERTAIN} result
   */
  public static DeliveryResult uncertain(
      List<MailAddress> recipients, SmtpReply reply, String remoteHost) {
    return new DeliveryResult(
        same(recipients, RecipientStatus.DEFERRED, reply), Kind.UNCERTAIN, null, remoteHost);
  }

  /**
   * Deferred without counting an attempt, e.g. authentication failed or a rate limit applies.
   *
   * @param recipients every recipient of the attempt, each deferred; at least one
   * @param reply the reply recorded for each
   * @param retryAfter when to try again, e.g. when the rate limiter has a permit, or {@code null}
   *     for the retry policy's backoff
   * @param remoteHost the host that answered, or {@code null} if none did
   * @return a {@link Kind#NOT_COUNTED} result
   * @throws IllegalArgumentException if {@code recipients} is empty or {@code retryAfter} is
   *     negative
   */
  public static DeliveryResult notCounted(
      List<MailAddress> recipients, SmtpReply reply, Duration retryAfter, String remoteHost) {
    return new DeliveryResult(
        same(recipients, RecipientStatus.DEFERRED, reply),
        Kind.NOT_COUNTED,
        retryAfter,
        remoteHost);
  }

  /**
   * One result for a message whose recipients were sent in parts (e.g. one per domain), keeping
   * what each part said about its deferred recipients:
   *
   * <ul>
   *   <li>UNCERTAIN if any part is;
   *   <li>else NOT_COUNTED if every part with DEFERRED recipients is NOT_COUNTED (parts whose
   *       recipients all finished do not change that);
   *   <li>else NORMAL;
   *   <li>{@code retryAfter} is the earliest of the parts';
   *   <li>the remote hosts are joined with ", ", without repeats; when that would be longer than
   *       {@value #MAX_REMOTE_HOST} characters, the hosts that fit are followed by {@code "(+N
   *       more)"}.
   * </ul>
   *
   * @param order every recipient of the message, in the order the result should list them
   * @param parts the parts' results, together reporting every recipient in {@code order}
   * @return the whole message's result
   * @throws IllegalArgumentException if a recipient in {@code order} is reported by no part
   */
  public static DeliveryResult merge(List<MailAddress> order, List<DeliveryResult> parts) {
    Map<MailAddress, RecipientOutcome> outcomes = new HashMap<>();
    Set<String> hosts = new LinkedHashSet<>();
    boolean anyUncertain = false;
    boolean anyNotCounted = false;
    boolean anyTriedDeferral = false;
    Duration retryAfter = null;
    for (DeliveryResult p : parts) {
      boolean deferred = false;
      for (RecipientOutcome o : p.recipients()) {
        outcomes.put(o.recipient(), o);
        deferred |= o.status() == RecipientStatus.DEFERRED;
      }
      if (p.remoteHost() != null) {
        hosts.add(p.remoteHost());
      }
      anyUncertain |= p.kind() == Kind.UNCERTAIN;
      anyNotCounted |= p.kind() == Kind.NOT_COUNTED;
      anyTriedDeferral |= deferred && p.kind() != Kind.NOT_COUNTED;
      if (p.retryAfter() != null
          && (retryAfter == null || p.retryAfter().compareTo(retryAfter) < 0)) {
        retryAfter = p.retryAfter();
      }
    }
    List<RecipientOutcome> ordered = new ArrayList<>(order.size());
    for (MailAddress a : order) {
      RecipientOutcome o = outcomes.get(a);
      if (o == null) {
        throw new IllegalArgumentException("no part reports recipient " + a);
      }
      ordered.add(o);
    }
    Kind kind =
        anyUncertain
            ? Kind.UNCERTAIN
            : anyNotCounted && !anyTriedDeferral ? Kind.NOT_COUNTED : Kind.NORMAL;
    return new DeliveryResult(ordered, kind, retryAfter, joinHosts(hosts));
  }

  /**
   * The hosts joined with ", ", listing only those that fit in {@link #MAX_REMOTE_HOST} with the
   * count of the rest.
   */
  static String joinHosts(Set<String> hosts) {
    if (hosts.isEmpty()) {
      return null;
    }
    String all = String.join(", ", hosts);
    if (all.length() <= MAX_REMOTE_HOST || hosts.size() == 1) {
      return all;
    }
    StringBuilder sb = new StringBuilder();
    int listed = 0;
    for (String h : hosts) {
      String more = " (+" + (hosts.size() - listed - 1) + " more)";
      int room = MAX_REMOTE_HOST - more.length() - (sb.length() > 0 ? 2 : 0);
      if (listed == 0 && h.length() > room) {
        // one host longer than the column on its own: keep its start
        sb.append(NetworkText.cap(h, room));
      } else if (h.length() <= room - sb.length()) {
        sb.append(sb.length() > 0 ? ", " : "").append(h);
      } else {
        break;
      }
      listed++;
    }
    return sb.append(" (+").append(hosts.size() - listed).append(" more)").toString();
  }

  private static List<RecipientOutcome> same(
      List<MailAddress> recipients, RecipientStatus status, SmtpReply reply) {
    List<RecipientOutcome> list = new ArrayList<>(recipients.size());
    for (MailAddress a : recipients) {
      list.add(new RecipientOutcome(a, status, reply));
    }
    return list;
  }
}
