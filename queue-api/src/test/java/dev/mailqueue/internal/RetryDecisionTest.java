package dev.mailqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.Priority;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryDecisionTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final MailAddress A = MailAddress.of("a@one.test");
  private static final MailAddress B = MailAddress.of("b@two.test");
  private static final SmtpReply OK = new SmtpReply(250, "2.0.0", "queued");
  private static final SmtpReply GREYLISTED = new SmtpReply(451, "4.7.1", "greylisted");
  private static final SmtpReply NO_REPLY =
      SmtpReply.local(451, "4.4.2", "no reply after end of data");
  private static final SmtpReply RATE = SmtpReply.local(451, "4.7.0", "local rate limit");
  private static final RetryPolicy POLICY = RetryPolicy.builder().jitter(0).maxAttempts(3).build();

  private static ClaimedMail claimed(int attempts) {
    return new ClaimedMail(
        MessageId.generate(),
        7,
        attempts,
        NOW.minusSeconds(60),
        NOW.plus(Duration.ofDays(5)),
        NOW,
        Priority.NORMAL,
        null,
        MailAddress.of("shop@example.test"),
        "<m@example.test>",
        List.of(new PendingRecipient(0, A, null), new PendingRecipient(1, B, null)),
        false);
  }

  private static DeliveryResult merged(DeliveryResult a, DeliveryResult b) {
    return DeliveryResult.merge(List.of(A, B), List.of(a, b));
  }

  private static DeliveryResult deliveredA() {
    return DeliveryResult.all(List.of(A), RecipientStatus.DELIVERED, OK, "mx.one.test");
  }

  private static Completion decide(int attempts, DeliveryResult result) {
    return RetryDecision.decide(
            claimed(attempts), result, POLICY, NOW, Duration.ofMillis(5), 0, false)
        .completion();
  }

  /** Issue 20: the store must see the block to keep the address off the suppression list. */
  @Test
  void aBlockAgainstTheSenderReachesTheStoreAndSurvivesExpiry() {
    SmtpReply listed = new SmtpReply(550, "5.7.1", "blocked using zen.spamhaus.org");
    DeliveryResult result =
        DeliveryResult.of(
            List.of(
                new RecipientOutcome(A, RecipientStatus.BOUNCED, listed, SenderBlock.REPUTATION),
                new RecipientOutcome(B, RecipientStatus.DEFERRED, listed, SenderBlock.REPUTATION)),
            "mx.test");

    RetryDecision.Decision onLastAttempt =
        RetryDecision.decide(claimed(2), result, POLICY, NOW, Duration.ofMillis(5), 0, false);

    assertThat(onLastAttempt.completion().recipients())
        .extracting(Completion.RecipientUpdate::status, Completion.RecipientUpdate::block)
        .containsExactly(
            tuple(RecipientStatus.BOUNCED, SenderBlock.REPUTATION),
            tuple(RecipientStatus.EXPIRED, SenderBlock.REPUTATION));
    assertThat(onLastAttempt.outcomes())
        .extracting(RecipientOutcome::block)
        .containsOnly(SenderBlock.REPUTATION);
    assertThat(onLastAttempt.completion().reduced().recipients())
        .extracting(Completion.RecipientUpdate::block)
        .containsOnly(SenderBlock.REPUTATION);
  }

  @Test
  void deliveredNextToUncertainCountsAndIsRecordedUncertain() {
    Completion c =
        decide(
            0, merged(deliveredA(), DeliveryResult.uncertain(List.of(B), NO_REPLY, "mx.two.test")));

    assertThat(c.uncertain()).isTrue();
    assertThat(c.countsAsAttempt()).isTrue();
    assertThat(c.newState()).isEqualTo(MessageState.DEFERRED);
    assertThat(c.retryDelay()).isEqualTo(POLICY.backoff(1, 0));
    assertThat(c.recipients())
        .extracting(Completion.RecipientUpdate::status)
        .containsExactly(RecipientStatus.DELIVERED, RecipientStatus.DEFERRED);
  }

  @Test
  void deliveredNextToNotCountedDoesNotCountAndWaitsExactlyTheRetryAfter() {
    Completion c =
        decide(
            2,
            merged(
                deliveredA(),
                DeliveryResult.notCounted(List.of(B), RATE, Duration.ofSeconds(12), null)));

    assertThat(c.countsAsAttempt()).as("b was never tried and has one attempt left").isFalse();
    assertThat(c.uncertain()).isFalse();
    assertThat(c.newState()).isEqualTo(MessageState.DEFERRED);
    assertThat(c.retryDelay()).isEqualTo(Duration.ofSeconds(12));
    assertThat(c.recipients())
        .extracting(Completion.RecipientUpdate::status)
        .containsExactly(RecipientStatus.DELIVERED, RecipientStatus.DEFERRED);
  }

  @Test
  void aFirstAttemptThatDidNotCountLeavesTheMessageQueued() {
    Completion c =
        decide(
            0,
            merged(
                deliveredA(),
                DeliveryResult.notCounted(List.of(B), RATE, Duration.ofSeconds(12), null)));

    assertThat(c.newState()).isEqualTo(MessageState.QUEUED);
    assertThat(c.retryDelay()).isEqualTo(Duration.ofSeconds(12));
  }

  @Test
  void aTriedDeferralCountsAndTheEarlierOfRetryAfterAndBackoffWins() {
    DeliveryResult greylistedA =
        DeliveryResult.all(List.of(A), RecipientStatus.DEFERRED, GREYLISTED, "mx.one.test");

    Completion soon =
        decide(
            0,
            merged(
                greylistedA,
                DeliveryResult.notCounted(List.of(B), RATE, Duration.ofSeconds(12), null)));
    Completion late =
        decide(
            0,
            merged(
                greylistedA,
                DeliveryResult.notCounted(List.of(B), RATE, Duration.ofHours(2), null)));

    assertThat(soon.countsAsAttempt()).isTrue();
    assertThat(soon.retryDelay()).isEqualTo(Duration.ofSeconds(12));
    assertThat(late.countsAsAttempt()).isTrue();
    assertThat(late.retryDelay()).isEqualTo(POLICY.backoff(1, 0));
  }

  @Test
  void aCountedAttemptCanExhaustTheBudgetButAnUncountedOneCannot() {
    DeliveryResult greylisted =
        DeliveryResult.all(List.of(A, B), RecipientStatus.DEFERRED, GREYLISTED, "mx");
    assertThat(decide(2, greylisted).newState()).isEqualTo(MessageState.EXPIRED);

    Completion held =
        decide(
            2,
            merged(
                deliveredA(),
                DeliveryResult.notCounted(List.of(B), RATE, Duration.ofSeconds(1), null)));
    assertThat(held.newState()).isEqualTo(MessageState.DEFERRED);
  }

  /**
   * The give-up rule by age (formerly also {@code RetryPolicy.delayAfter}'s): a retry due at or
   * after the lifetime's end is not made.
   */
  @Test
  void aDeferralWhoseRetryWouldComeAfterTheLifetimeExpires() {
    DeliveryResult greylisted =
        DeliveryResult.all(List.of(A, B), RecipientStatus.DEFERRED, GREYLISTED, "mx");
    Instant expiresAt = NOW.plus(Duration.ofDays(5));
    Instant tooLate = expiresAt.minus(POLICY.backoff(1, 0)).plusSeconds(1);
    Instant inTime = expiresAt.minus(POLICY.backoff(1, 0)).minusSeconds(1);

    assertThat(
            RetryDecision.decide(claimed(0), greylisted, POLICY, tooLate, Duration.ZERO, 0, false)
                .completion()
                .newState())
        .isEqualTo(MessageState.EXPIRED);
    assertThat(
            RetryDecision.decide(claimed(0), greylisted, POLICY, inTime, Duration.ZERO, 0, false)
                .completion()
                .newState())
        .isEqualTo(MessageState.DEFERRED);
  }

  @Test
  void aConfigurationFaultWithoutRetryAfterUsesTheBackoffOfTheAttemptsMadeSoFar() {
    Completion c = decide(2, DeliveryResult.notCounted(List.of(A, B), RATE, null, null));

    assertThat(c.countsAsAttempt()).isFalse();
    assertThat(c.retryDelay()).isEqualTo(POLICY.backoff(2, 0));
  }

  @Test
  void anOrdinaryDeliveryFinishesAndCounts() {
    Completion c =
        decide(
            0,
            DeliveryResult.of(
                List.of(
                    new RecipientOutcome(A, RecipientStatus.DELIVERED, OK),
                    new RecipientOutcome(B, RecipientStatus.DELIVERED, OK)),
                "mx"));

    assertThat(c.newState()).isEqualTo(MessageState.DELIVERED);
    assertThat(c.countsAsAttempt()).isTrue();
    assertThat(c.uncertain()).isFalse();
    assertThat(c.retryDelay()).isNull();
  }

  private static ClaimedMail withSuppressed(
      List<PendingRecipient> pending, boolean deliveredBefore) {
    return new ClaimedMail(
        MessageId.generate(),
        7,
        0,
        NOW.minusSeconds(60),
        NOW.plus(Duration.ofDays(5)),
        NOW,
        Priority.NORMAL,
        null,
        MailAddress.of("shop@example.test"),
        "<m@example.test>",
        pending,
        false,
        null,
        List.of(new PendingRecipient(2, MailAddress.of("gone@example.test"), null)),
        deliveredBefore);
  }

  @Test
  void aMessageWhoseRecipientsAreAllSuppressedEndsSuppressedWithOneOutcomePerRecipient() {
    ClaimedMail mail = withSuppressed(List.of(), false);
    RetryDecision.Decision d =
        RetryDecision.withSuppressed(mail, RetryDecision.expireUnsent(mail, Duration.ZERO, false));

    assertThat(d.completion().newState()).isEqualTo(MessageState.SUPPRESSED);
    assertThat(d.completion().summary()).isEqualTo(RetryDecision.SUPPRESSED);
    assertThat(d.completion().recipients())
        .singleElement()
        .satisfies(
            u -> {
              assertThat(u.index()).isEqualTo(2);
              assertThat(u.status()).isEqualTo(RecipientStatus.SUPPRESSED);
            });
    assertThat(d.outcomes())
        .extracting(RecipientOutcome::status)
        .containsExactly(RecipientStatus.SUPPRESSED);
  }

  @Test
  void suppressedRecipientsNextToOthersLeaveTheMessageStateToThem() {
    ClaimedMail mail = withSuppressed(List.of(new PendingRecipient(0, A, null)), false);
    RetryDecision.Decision d =
        RetryDecision.withSuppressed(
            mail,
            RetryDecision.decide(mail, deliveredA(), POLICY, NOW, Duration.ofMillis(5), 0, false));
    assertThat(d.completion().newState()).isEqualTo(MessageState.DELIVERED);
    assertThat(d.completion().recipients())
        .extracting(Completion.RecipientUpdate::status)
        .containsExactly(RecipientStatus.DELIVERED, RecipientStatus.SUPPRESSED);

    ClaimedMail afterADelivery = withSuppressed(List.of(), true);
    assertThat(
            RetryDecision.withSuppressed(
                    afterADelivery,
                    RetryDecision.expireUnsent(afterADelivery, Duration.ZERO, false))
                .completion()
                .newState())
        .as("a recipient was delivered before")
        .isEqualTo(MessageState.DELIVERED);

    ClaimedMail plain = claimed(0);
    RetryDecision.Decision unchanged =
        RetryDecision.decide(plain, deliveredA(), POLICY, NOW, Duration.ZERO, 0, false);
    assertThat(RetryDecision.withSuppressed(plain, unchanged)).isSameAs(unchanged);
  }

  private static final SmtpReply CAPTURED =
      SmtpReply.local(250, "2.0.0", "captured (mode capture)");

  @Test
  void aMessageWhoseRecipientsAreAllCapturedEndsCaptured() {
    Completion c =
        decide(0, DeliveryResult.all(List.of(A, B), RecipientStatus.CAPTURED, CAPTURED, null));

    assertThat(c.newState()).isEqualTo(MessageState.CAPTURED);
    assertThat(c.retryDelay()).isNull();
    assertThat(c.recipients())
        .extracting(Completion.RecipientUpdate::status)
        .containsExactly(RecipientStatus.CAPTURED, RecipientStatus.CAPTURED);
  }

  @Test
  void capturedNextToDeliveredEndsDeliveredAndNextToDeferredWaits() {
    DeliveryResult capturedB =
        DeliveryResult.all(List.of(B), RecipientStatus.CAPTURED, CAPTURED, null);
    assertThat(decide(0, merged(deliveredA(), capturedB)).newState())
        .isEqualTo(MessageState.DELIVERED);
    DeliveryResult deferredA =
        DeliveryResult.all(List.of(A), RecipientStatus.DEFERRED, GREYLISTED, "mx.one.test");
    Completion c = decide(0, merged(deferredA, capturedB));
    assertThat(c.newState()).isEqualTo(MessageState.DEFERRED);
    assertThat(c.recipients())
        .extracting(Completion.RecipientUpdate::status)
        .containsExactly(RecipientStatus.DEFERRED, RecipientStatus.CAPTURED);
  }

  @Test
  void aRecipientReportedSuppressedAloneEndsTheMessageSuppressed() {
    SmtpReply suppressed = SmtpReply.local(550, "5.7.1", "simulated: suppressed");
    assertThat(
            decide(
                    0,
                    DeliveryResult.all(List.of(A, B), RecipientStatus.SUPPRESSED, suppressed, null))
                .newState())
        .isEqualTo(MessageState.SUPPRESSED);
    DeliveryResult capturedB =
        DeliveryResult.all(List.of(B), RecipientStatus.CAPTURED, CAPTURED, null);
    DeliveryResult suppressedA =
        DeliveryResult.all(List.of(A), RecipientStatus.SUPPRESSED, suppressed, null);
    assertThat(decide(0, merged(suppressedA, capturedB)).newState())
        .isEqualTo(MessageState.CAPTURED);
  }
}
