package dev.mailqueue.internal;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.Completion.RecipientUpdate;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns what the transport reported for one attempt into the message's next state: which recipients
 * are finished, whether and when to try again, or whether to give up. Pure: no I/O, the clock and
 * the randomness are parameters.
 */
final class RetryDecision {
  /** Reply recorded for recipients that expired without a reply of their own. */
  static final SmtpReply LIFETIME_EXCEEDED =
      SmtpReply.local(421, "4.4.7", "message lifetime exceeded before delivery");

  /** Reply recorded when a transport result does not mention a recipient (a transport bug). */
  static final SmtpReply NOT_REPORTED =
      SmtpReply.local(451, "4.3.0", "transport reported no outcome for this recipient");

  /** Reply recorded for recipients on the suppression list: nothing was sent to them. */
  static final SmtpReply SUPPRESSED =
      SmtpReply.local(550, "5.7.1", "recipient on the suppression list, not sent");

  private RetryDecision() {}

  /**
   * The decision: what to store and what to tell listeners.
   *
   * @param completion what the store records
   * @param outcomes every pending recipient's outcome for this attempt
   * @param nextAttemptAt when the message is due again (database clock), or {@code null} when
   *     finished
   */
  public record Decision(
      Completion completion, List<RecipientOutcome> outcomes, Instant nextAttemptAt) {}

  /**
   * Decides after an attempt. The attempt counts against the retry budget unless the result is
   * {@link DeliveryResult.Kind#NOT_COUNTED} (every recipient still deferred was held back untried),
   * and is recorded as uncertain when the result is {@link DeliveryResult.Kind#UNCERTAIN}, whatever
   * happened to the other recipients; see {@link DeliveryResult} for the rules.
   *
   * @param mail the claimed message
   * @param result the transport's report
   * @param policy the retry policy for the message's tag
   * @param now the database clock now (claim time plus elapsed time)
   * @param elapsed how long the attempt took
   * @param random a number in [0, 1) for the jitter
   * @param bouncedBefore whether a recipient of this message bounced in an earlier attempt
   */
  public static Decision decide(
      ClaimedMail mail,
      DeliveryResult result,
      RetryPolicy policy,
      Instant now,
      Duration elapsed,
      double random,
      boolean bouncedBefore) {
    boolean counted = result.kind() != DeliveryResult.Kind.NOT_COUNTED;
    int failedAttempts = counted ? mail.attempts() + 1 : Math.max(1, mail.attempts());
    Duration delay = delay(result, counted, policy.backoff(failedAttempts, random));
    boolean giveUp =
        (counted && policy.attemptsExhausted(failedAttempts))
            || !now.plus(delay).isBefore(mail.expiresAt());

    Map<String, RecipientOutcome> reported = new HashMap<>();
    for (RecipientOutcome r : result.recipients()) {
      reported.putIfAbsent(key(r.recipient()), r);
    }
    List<RecipientOutcome> outcomes = new ArrayList<>(mail.recipients().size());
    List<RecipientUpdate> updates = new ArrayList<>(mail.recipients().size());
    boolean anyDeferred = false;
    boolean anyExpired = false;
    boolean anyBounced = bouncedBefore;
    boolean anyDelivered = mail.deliveredBefore();
    boolean anyCaptured = false;
    boolean anySuppressed = false;
    SmtpReply summary = null;
    for (PendingRecipient p : mail.recipients()) {
      RecipientOutcome r = reported.get(key(p.address()));
      if (r == null) {
        r = new RecipientOutcome(p.address(), RecipientStatus.DEFERRED, NOT_REPORTED);
      }
      RecipientStatus status = r.status();
      if (status == RecipientStatus.DEFERRED && giveUp) {
        status = RecipientStatus.EXPIRED;
      }
      switch (status) {
        case DEFERRED -> anyDeferred = true;
        case EXPIRED -> anyExpired = true;
        case BOUNCED -> anyBounced = true;
        case DELIVERED -> anyDelivered = true;
        case CAPTURED -> anyCaptured = true;
        case SUPPRESSED -> anySuppressed = true;
        default -> {}
      }
      if (summary == null || (!r.reply().isPositive() && summary.isPositive())) {
        summary = r.reply();
      }
      // a block stays a block when the recipient expires: the address was never at fault
      outcomes.add(new RecipientOutcome(p.address(), status, r.reply(), r.block()));
      updates.add(new RecipientUpdate(p.index(), status, r.reply(), r.block()));
    }

    MessageState state;
    if (anyDeferred) {
      state = counted || mail.attempts() > 0 ? MessageState.DEFERRED : MessageState.QUEUED;
    } else if (anyExpired) {
      state = MessageState.EXPIRED;
    } else if (anyBounced) {
      state = MessageState.BOUNCED;
    } else if (anyDelivered) {
      state = MessageState.DELIVERED;
    } else if (anyCaptured) {
      // the mode kept the mail (the simulator may have suppressed other recipients)
      state = MessageState.CAPTURED;
    } else if (anySuppressed) {
      state = MessageState.SUPPRESSED;
    } else {
      state = MessageState.DELIVERED;
    }
    Duration retryDelay = state.isTerminal() ? null : delay;
    Completion completion =
        new Completion(
            state,
            retryDelay,
            counted,
            result.kind() == DeliveryResult.Kind.UNCERTAIN,
            updates,
            result.remoteHost(),
            elapsed,
            summary);
    return new Decision(completion, outcomes, retryDelay == null ? null : now.plus(retryDelay));
  }

  /**
   * When the message is due again. A retryAfter comes from recipients held back untried (a local
   * limit knows when it has room): alone, they are due exactly then; next to recipients that were
   * tried, the earlier of the two wins, because the message is retried as a whole and a local limit
   * is no reason to wait out a backoff meant for someone else's server.
   */
  private static Duration delay(DeliveryResult result, boolean counted, Duration backoff) {
    Duration retryAfter = result.retryAfter();
    if (retryAfter == null) {
      return backoff;
    }
    return !counted || retryAfter.compareTo(backoff) < 0 ? retryAfter : backoff;
  }

  /**
   * Every pending recipient expires without an attempt: the lifetime ran out while the message
   * waited.
   */
  public static Decision expireUnsent(ClaimedMail mail, Duration elapsed, boolean bouncedBefore) {
    List<RecipientOutcome> outcomes = new ArrayList<>();
    List<RecipientUpdate> updates = new ArrayList<>();
    for (PendingRecipient p : mail.recipients()) {
      SmtpReply reply = p.lastReply() != null ? p.lastReply() : LIFETIME_EXCEEDED;
      outcomes.add(new RecipientOutcome(p.address(), RecipientStatus.EXPIRED, reply));
      updates.add(new RecipientUpdate(p.index(), RecipientStatus.EXPIRED, reply));
    }
    MessageState state =
        updates.isEmpty()
            ? (bouncedBefore ? MessageState.BOUNCED : MessageState.DELIVERED)
            : MessageState.EXPIRED;
    return new Decision(
        new Completion(state, null, false, false, updates, null, elapsed, LIFETIME_EXCEEDED),
        outcomes,
        null);
  }

  /**
   * Adds the claim's suppressed recipients ({@link ClaimedMail#suppressed()}) to a decision: each
   * is recorded SUPPRESSED and told once. A message none of whose recipients was delivered, bounced
   * or expired (all were suppressed) ends {@link MessageState#SUPPRESSED}.
   */
  public static Decision withSuppressed(ClaimedMail mail, Decision decision) {
    if (mail.suppressed().isEmpty()) {
      return decision;
    }
    Completion c = decision.completion();
    List<RecipientOutcome> outcomes = new ArrayList<>(decision.outcomes());
    List<RecipientUpdate> updates = new ArrayList<>(c.recipients());
    for (PendingRecipient p : mail.suppressed()) {
      outcomes.add(new RecipientOutcome(p.address(), RecipientStatus.SUPPRESSED, SUPPRESSED));
      updates.add(new RecipientUpdate(p.index(), RecipientStatus.SUPPRESSED, SUPPRESSED));
    }
    MessageState state = c.newState();
    SmtpReply summary = c.summary();
    if (decision.outcomes().isEmpty()) {
      // no recipient was pending: nothing was attempted, the suppression is the whole story
      summary = SUPPRESSED;
      if (state == MessageState.DELIVERED && !mail.deliveredBefore()) {
        state = MessageState.SUPPRESSED;
      }
    }
    return new Decision(
        new Completion(
            state,
            c.retryDelay(),
            c.countsAsAttempt(),
            c.uncertain(),
            updates,
            c.remoteHost(),
            c.duration(),
            summary),
        outcomes,
        decision.nextAttemptAt());
  }

  private static String key(MailAddress a) {
    return a.address().toLowerCase(Locale.ROOT);
  }
}
