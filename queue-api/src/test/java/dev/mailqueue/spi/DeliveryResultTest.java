package dev.mailqueue.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult.Kind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryResultTest {
  private static final MailAddress A = MailAddress.of("a@one.test");
  private static final MailAddress B = MailAddress.of("b@two.test");
  private static final MailAddress C = MailAddress.of("c@three.test");
  private static final SmtpReply OK = new SmtpReply(250, "2.0.0", "queued");
  private static final SmtpReply UNKNOWN = new SmtpReply(550, "5.1.1", "unknown");
  private static final SmtpReply GREYLISTED = new SmtpReply(451, "4.7.1", "greylisted");
  private static final SmtpReply NO_REPLY =
      SmtpReply.local(451, "4.4.2", "no reply after end of data");
  private static final SmtpReply RATE = SmtpReply.local(451, "4.7.0", "local rate limit");

  private static DeliveryResult delivered(MailAddress a) {
    return DeliveryResult.all(List.of(a), RecipientStatus.DELIVERED, OK, "mx." + a.domain());
  }

  private static DeliveryResult notCounted(MailAddress a, Duration retryAfter) {
    return DeliveryResult.notCounted(List.of(a), RATE, retryAfter, null);
  }

  @Test
  void anUncertainPartKeepsTheMergeUncertainNextToDeliveredAndBounced() {
    DeliveryResult merged =
        DeliveryResult.merge(
            List.of(A, B, C),
            List.of(
                delivered(A),
                DeliveryResult.uncertain(List.of(B), NO_REPLY, "mx.two.test"),
                DeliveryResult.all(List.of(C), RecipientStatus.BOUNCED, UNKNOWN, "mx.three.test")));

    assertThat(merged.kind()).isEqualTo(Kind.UNCERTAIN);
    assertThat(merged.recipients())
        .extracting(RecipientOutcome::recipient, RecipientOutcome::status)
        .containsExactly(
            tuple(A, RecipientStatus.DELIVERED),
            tuple(B, RecipientStatus.DEFERRED),
            tuple(C, RecipientStatus.BOUNCED));
    assertThat(merged.retryAfter()).isNull();
    assertThat(merged.remoteHost()).isEqualTo("mx.one.test, mx.two.test, mx.three.test");
  }

  @Test
  void notCountedPartsStayNotCountedWhenTheOthersFinished() {
    DeliveryResult merged =
        DeliveryResult.merge(
            List.of(B, A, C),
            List.of(
                delivered(A),
                notCounted(B, Duration.ofSeconds(20)),
                notCounted(C, Duration.ofSeconds(3))));

    assertThat(merged.kind()).isEqualTo(Kind.NOT_COUNTED);
    assertThat(merged.retryAfter()).as("the earliest part's").isEqualTo(Duration.ofSeconds(3));
    assertThat(merged.recipients())
        .extracting(RecipientOutcome::recipient)
        .containsExactly(B, A, C);
  }

  @Test
  void aTriedDeferralMakesTheMergeCountButKeepsTheRetryAfter() {
    DeliveryResult merged =
        DeliveryResult.merge(
            List.of(A, B),
            List.of(
                DeliveryResult.all(List.of(A), RecipientStatus.DEFERRED, GREYLISTED, "mx.one.test"),
                notCounted(B, Duration.ofSeconds(5))));

    assertThat(merged.kind()).isEqualTo(Kind.NORMAL);
    assertThat(merged.retryAfter()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void uncertaintyWinsOverNotCounted() {
    DeliveryResult merged =
        DeliveryResult.merge(
            List.of(A, B, C),
            List.of(
                delivered(A),
                DeliveryResult.uncertain(List.of(B), NO_REPLY, null),
                notCounted(C, Duration.ofSeconds(7))));

    assertThat(merged.kind()).isEqualTo(Kind.UNCERTAIN);
    assertThat(merged.retryAfter()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void mergingIsStableWhenMergedResultsAreMergedAgain() {
    DeliveryResult inner =
        DeliveryResult.merge(
            List.of(A, B), List.of(delivered(A), notCounted(B, Duration.ofSeconds(9))));
    DeliveryResult outer = DeliveryResult.merge(List.of(A, B, C), List.of(inner, delivered(C)));
    assertThat(outer.kind()).isEqualTo(Kind.NOT_COUNTED);
    assertThat(outer.retryAfter()).isEqualTo(Duration.ofSeconds(9));

    DeliveryResult withTried =
        DeliveryResult.merge(
            List.of(A, B, C),
            List.of(
                inner, DeliveryResult.all(List.of(C), RecipientStatus.DEFERRED, GREYLISTED, null)));
    assertThat(withTried.kind()).isEqualTo(Kind.NORMAL);
    assertThat(withTried.retryAfter()).isEqualTo(Duration.ofSeconds(9));
  }

  @Test
  void ordinaryPartsMergeToAnOrdinaryResult() {
    DeliveryResult merged =
        DeliveryResult.merge(List.of(A, B), List.of(delivered(A), delivered(B)));
    assertThat(merged.kind()).isEqualTo(Kind.NORMAL);
    assertThat(merged.retryAfter()).isNull();
  }

  @Test
  void aRecipientNoPartReportsIsRefused() {
    assertThatThrownBy(() -> DeliveryResult.merge(List.of(A, B), List.of(delivered(A))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("b@two.test");
  }

  @Test
  void anUncertainOrUncountedKindNeedsADeferredRecipient() {
    List<RecipientOutcome> finished =
        List.of(
            new RecipientOutcome(A, RecipientStatus.DELIVERED, OK),
            new RecipientOutcome(B, RecipientStatus.BOUNCED, UNKNOWN));
    assertThatThrownBy(() -> new DeliveryResult(finished, Kind.UNCERTAIN, null, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new DeliveryResult(finished, Kind.NOT_COUNTED, Duration.ofSeconds(1), null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DeliveryResult(finished, Kind.NORMAL, Duration.ofSeconds(1), null))
        .isInstanceOf(IllegalArgumentException.class);

    List<RecipientOutcome> mixed =
        List.of(
            new RecipientOutcome(A, RecipientStatus.DELIVERED, OK),
            new RecipientOutcome(B, RecipientStatus.DEFERRED, NO_REPLY));
    assertThat(new DeliveryResult(mixed, Kind.UNCERTAIN, null, null).kind())
        .isEqualTo(Kind.UNCERTAIN);
  }
}
