package dev.mailqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure value types of the administrative interface. */
class AdminValuesTest {

  @Test
  void healthIsDegradedWithAReasonPerExceededThreshold() {
    HealthThresholds defaults = HealthThresholds.defaults();
    QueueStats fine = new QueueStats(Map.of(MessageState.DEFERRED, 1000L), Duration.ofMinutes(15));
    assertThat(QueueHealth.of(fine, defaults).status()).isEqualTo(QueueHealth.Status.OK);
    assertThat(QueueHealth.of(fine, defaults).reasons()).isEmpty();

    QueueStats slow = new QueueStats(Map.of(MessageState.DEFERRED, 1001L), Duration.ofMinutes(16));
    QueueHealth health = QueueHealth.of(slow, defaults);
    assertThat(health.isOk()).isFalse();
    assertThat(health.reasons())
        .containsExactly(
            "oldest waiting message is 960 s old (limit 900 s)",
            "1001 messages deferred (limit 1000)");
  }

  @Test
  void aProblemTheNodeReportsDegradesHealthWhateverTheNumbers() {
    QueueStats fine = new QueueStats(Map.of(MessageState.QUEUED, 1L), Duration.ofSeconds(3));
    String fault =
        "relay smtp.example.com:587 cannot be used: 535 5.7.8 local: authentication failed";

    QueueHealth health = QueueHealth.of(fine, HealthThresholds.defaults(), List.of(fault));

    assertThat(health.status()).isEqualTo(QueueHealth.Status.DEGRADED);
    assertThat(health.reasons()).containsExactly(fault);
    assertThat(QueueHealth.of(fine, HealthThresholds.defaults(), List.of()).isOk()).isTrue();
  }

  @Test
  void likeLiteralEscapesWildcardsAndTheEscapeCharacter() {
    assertThat(MessageFilter.likeLiteral("50%_off!")).isEqualTo("50!%!_off!!");
    assertThat(MessageFilter.builder().lastReplyContains("a%b").build().lastReplyLike())
        .isEqualTo("%a!%b%");
  }

  @Test
  void filterValidatesItsRanges() {
    assertThatThrownBy(() -> MessageFilter.builder().limit(0).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageFilter.builder().limit(MessageFilter.MAX_LIMIT + 1).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageFilter.builder().offset(-1).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageFilter.builder().lastReplyCode(99).build())
        .isInstanceOf(IllegalArgumentException.class);
    MessageFilter f =
        MessageFilter.builder().recipientDomain("Example.ORG").state(MessageState.HOLD).build();
    assertThat(f.recipientDomain()).isEqualTo("example.org");
    assertThat(f.toBuilder().limit(5).build())
        .satisfies(
            g -> {
              assertThat(g.states()).containsExactly(MessageState.HOLD);
              assertThat(g.limit()).isEqualTo(5);
            });
  }

  @Test
  void shapeBucketsFollowQshape() {
    assertThat(QueueShape.bucketOf(Duration.ofMinutes(4))).isZero();
    assertThat(QueueShape.bucketOf(Duration.ofMinutes(5))).isEqualTo(1);
    assertThat(QueueShape.bucketOf(Duration.ofMinutes(159))).isEqualTo(5);
    assertThat(QueueShape.bucketOf(Duration.ofDays(3))).isEqualTo(6);
  }

  @Test
  void quotaAppliesToItsSenderOrTagOnly() {
    SendQuota each = SendQuota.perSender(10, Duration.ofHours(1));
    assertThat(each.keyOf("a@example.com", null)).isEqualTo("a@example.com");
    SendQuota one = SendQuota.sender("a@example.com", 10, Duration.ofHours(1));
    assertThat(one.keyOf("b@example.com", "t")).isNull();
    assertThat(SendQuota.perTag(5, Duration.ofMinutes(1)).keyOf("a@example.com", null))
        .as("untagged")
        .isNull();
    assertThat(
            SendQuota.tag("campaign", 5, Duration.ofMinutes(1)).keyOf("x@example.com", "campaign"))
        .isEqualTo("campaign");
    assertThatThrownBy(() -> SendQuota.perSender(0, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
