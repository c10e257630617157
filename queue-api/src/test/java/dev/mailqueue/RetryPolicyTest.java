package dev.mailqueue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy postfix = RetryPolicy.defaults();

  @Test
  void defaultsFollowPostfix() {
    assertThat(postfix.backoff(1)).isEqualTo(Duration.ofSeconds(300));
    assertThat(postfix.backoff(2)).isEqualTo(Duration.ofSeconds(600));
    assertThat(postfix.backoff(3)).isEqualTo(Duration.ofSeconds(1200));
    assertThat(postfix.backoff(4)).isEqualTo(Duration.ofSeconds(2400));
    assertThat(postfix.backoff(5)).isEqualTo(Duration.ofSeconds(4000));
    assertThat(postfix.backoff(60)).isEqualTo(Duration.ofSeconds(4000));
    assertThat(postfix.maxAge()).isEqualTo(Duration.ofDays(5));
  }

  @Test
  void jitterOnlyShortensAndStaysWithinItsFraction() {
    assertThat(postfix.backoff(1, 0.0)).isEqualTo(Duration.ofSeconds(300));
    assertThat(postfix.backoff(1, 0.999))
        .isBetween(Duration.ofSeconds(270), Duration.ofSeconds(271));
    assertThat(postfix.backoff(9, 0.5)).isEqualTo(Duration.ofSeconds(3800));
  }

  @Test
  void attemptsAreExhaustedAtMaxAttempts() {
    RetryPolicy three = RetryPolicy.builder().maxAttempts(3).build();
    assertThat(three.attemptsExhausted(2)).isFalse();
    assertThat(three.attemptsExhausted(3)).isTrue();
  }

  @Test
  void aHugeAttemptCountDoesNotOverflow() {
    assertThat(postfix.backoff(10_000)).isEqualTo(Duration.ofSeconds(4000));
  }
}
