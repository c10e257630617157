package dev.mailqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Signed, expiring unsubscribe tokens (issue 20, point 2). */
class UnsubscribeTokensTest {
  private static final byte[] SECRET =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final MailAddress BOB = MailAddress.of("Bob@Example.org");

  private final MutableClock clock = new MutableClock(NOW);
  private final UnsubscribeTokens tokens = UnsubscribeTokens.of(SECRET, clock);

  @Test
  void aTokenSaysWhoFromWhatAndUntilWhen() {
    String token = tokens.issue(BOB, "newsletter", Duration.ofDays(30));

    assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    UnsubscribeTokens.Unsubscribe u = tokens.verify(token).orElseThrow();
    assertThat(u.address()).isEqualTo(BOB);
    assertThat(u.scope()).isEqualTo("newsletter");
    assertThat(u.expiresAt()).isEqualTo(NOW.plus(Duration.ofDays(30)));
    assertThat(tokens.verify(tokens.issue(BOB, null, Duration.ofDays(1))).orElseThrow().scope())
        .as("all mail")
        .isNull();
    assertThat(tokens.verify(tokens.issue(BOB, "*", Duration.ofDays(1))).orElseThrow().scope())
        .isNull();
  }

  @Test
  void anExpiredTokenIsRefused() {
    String token = tokens.issue(BOB, "newsletter", Duration.ofHours(1));
    clock.now = NOW.plus(Duration.ofMinutes(59));
    assertThat(tokens.verify(token)).isPresent();
    clock.now = NOW.plus(Duration.ofHours(1));
    assertThat(tokens.verify(token)).isEmpty();
  }

  @Test
  void aForgedOrEditedTokenIsRefused() {
    String token = tokens.issue(BOB, "newsletter", Duration.ofDays(30));
    int dot = token.indexOf('.');
    String payload =
        new String(Base64.getUrlDecoder().decode(token.substring(0, dot)), StandardCharsets.UTF_8);
    String widened = payload.replace("newsletter", "*");
    String edited =
        Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(widened.getBytes(StandardCharsets.UTF_8))
            + token.substring(dot);

    assertThat(tokens.verify(edited)).as("scope widened").isEmpty();
    byte[] other = Arrays.copyOf(SECRET, SECRET.length);
    other[0] ^= 1;
    assertThat(UnsubscribeTokens.of(other, clock).verify(token)).as("another secret").isEmpty();
    assertThat(tokens.verify(token.substring(0, token.length() - 1))).as("truncated").isEmpty();
  }

  @Test
  void garbageIsRefusedWithoutAnException() {
    for (String bad :
        new String[] {
          null, "", ".", "abc", "a.b.c", "!!!.???", "x".repeat(5000), "." + "A".repeat(43), "AAAA."
        }) {
      assertThat(tokens.verify(bad)).as(String.valueOf(bad)).isEmpty();
    }
  }

  @Test
  void shortSecretsAndBadArgumentsAreRefused() {
    assertThatThrownBy(() -> UnsubscribeTokens.of(new byte[31]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 32 bytes");
    assertThatThrownBy(() -> tokens.issue(BOB, "news letter", Duration.ofDays(1)))
        .hasMessageContaining("scope");
    assertThatThrownBy(() -> tokens.issue(BOB, "newsletter", Duration.ZERO))
        .hasMessageContaining("ttl");
    assertThat(tokens.toString()).doesNotContain("0123456789abcdef");
  }

  @Test
  void theSecretIsCopied() {
    byte[] secret = Arrays.copyOf(SECRET, SECRET.length);
    UnsubscribeTokens t = UnsubscribeTokens.of(secret, clock);
    String token = t.issue(BOB, null, Duration.ofDays(1));
    Arrays.fill(secret, (byte) 0);
    assertThat(t.verify(token)).isPresent();
  }

  private static final class MutableClock extends Clock {
    volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
