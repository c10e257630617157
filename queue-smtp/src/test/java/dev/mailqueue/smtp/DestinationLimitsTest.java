package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.smtp.DestinationLimits.Limit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Which budget mail is counted against. */
class DestinationLimitsTest {
  private final Limit slow = Limit.ofDefaults().withRate(1, Duration.ofSeconds(1));
  private final Limit google =
      Limit.ofDefaults().withMaxConcurrentSessions(5).withMessagesPerSession(50);
  private final DestinationLimits limits =
      DestinationLimits.custom()
          .domain("Slow.Example", slow)
          .group("google", google, "google.com", ".googlemail.com.")
          .build();

  @Test
  void domainOverrideThenGroupByHostSuffixThenTheHostWithDefaults() {
    assertThat(limits.destinationOf("slow.example", "aspmx.l.google.com"))
        .isEqualTo(new DestinationLimits.Destination("slow.example", slow));
    assertThat(limits.destinationOf("gmail.com", "alt1.gmail-smtp-in.l.google.com"))
        .isEqualTo(new DestinationLimits.Destination("google", google));
    assertThat(limits.destinationOf("x.test", "mx.googlemail.com").name()).isEqualTo("google");
    assertThat(limits.destinationOf("x.test", "notgoogle.com"))
        .isEqualTo(new DestinationLimits.Destination("notgoogle.com", Limit.ofDefaults()));
  }

  @Test
  void defaultsAreTheDocumentedConstants() {
    Limit d = DestinationLimits.ofDefaults().defaults();
    assertThat(d).isEqualTo(new Limit(10, 100, Duration.ofSeconds(1), 100));
    assertThat(DestinationLimits.ofDefaults().failuresToOpen())
        .isEqualTo(DestinationLimits.DEFAULT_FAILURES_TO_OPEN);
    assertThat(DestinationLimits.ofDefaults().openDuration()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void invalidSettingsAreRefusedAtTheSetter() {
    assertThatThrownBy(() -> Limit.ofDefaults().withRate(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("messagesPerPeriod");
    assertThatThrownBy(() -> DestinationLimits.custom().group("g", google))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one suffix");
    assertThatThrownBy(() -> DestinationLimits.custom().openDuration(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new DestinationLimits.SlowDownRule(
                    550, null, DestinationLimits.DEFAULT_SLOW_DOWN_TEXT))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
