package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.DestinationLimits.Limit;
import dev.mailqueue.smtp.ShapingTransport.Health;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which budget mail is counted against, and what an attempt says about a destination's health. */
class DestinationLimitsTest {
  private final Limit slow = Limit.ofDefaults().withRate(1, Duration.ofSeconds(1));
  private final Limit google = Limit.ofDefaults().withMaxConcurrentSessions(5).withMessagesPerSession(50);
  private final DestinationLimits limits = DestinationLimits.custom()
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
    assertThat(DestinationLimits.ofDefaults().failuresToOpen()).isEqualTo(DestinationLimits.DEFAULT_FAILURES_TO_OPEN);
    assertThat(DestinationLimits.ofDefaults().openDuration()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void invalidSettingsAreRefusedAtTheSetter() {
    assertThatThrownBy(() -> Limit.ofDefaults().withRate(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("messagesPerPeriod");
    assertThatThrownBy(() -> DestinationLimits.custom().group("g", google))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one suffix");
    assertThatThrownBy(() -> DestinationLimits.custom().openDuration(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DestinationLimits.SlowDownRule(550, null, DestinationLimits.DEFAULT_SLOW_DOWN_TEXT))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void healthComesFromWhatTheServerAnswered() {
    MailAddress a = MailAddress.of("a@x.test");
    MailAddress b = MailAddress.of("b@x.test");
    SmtpReply refused = SmtpReply.local(451, "4.4.1", "connect failed: refused");
    SmtpReply dropped = SmtpReply.local(451, "4.4.2", "connection dropped");
    SmtpReply closing = SmtpReply.parse(421, "4.7.0 too many connections");
    SmtpReply unknown = SmtpReply.parse(550, "5.1.1 user unknown");
    SmtpReply greylisted = SmtpReply.parse(450, "4.2.0 greylisted");
    SmtpReply dns = SmtpReply.local(451, "4.4.3", "DNS lookup failed");

    assertThat(health(a, RecipientStatus.DEFERRED, refused)).isEqualTo(Health.FAILURE);
    assertThat(health(a, RecipientStatus.DEFERRED, dropped)).isEqualTo(Health.FAILURE);
    assertThat(health(a, RecipientStatus.DEFERRED, closing)).isEqualTo(Health.FAILURE);
    assertThat(health(a, RecipientStatus.BOUNCED, unknown)).isEqualTo(Health.SUCCESS);
    assertThat(health(a, RecipientStatus.DEFERRED, greylisted)).isEqualTo(Health.SUCCESS);
    assertThat(health(a, RecipientStatus.DEFERRED, dns)).isEqualTo(Health.NEUTRAL);
    assertThat(ShapingTransport.classify(DeliveryResult.uncertain(List.of(a), dropped, "h"))).isEqualTo(Health.FAILURE);
    assertThat(ShapingTransport.classify(DeliveryResult.notCounted(List.of(a), refused, Duration.ofSeconds(1), null)))
        .isEqualTo(Health.NEUTRAL);
    // one recipient answered, one not: the server is alive
    assertThat(ShapingTransport.classify(DeliveryResult.of(List.of(
        new RecipientOutcome(a, RecipientStatus.BOUNCED, unknown),
        new RecipientOutcome(b, RecipientStatus.DEFERRED, closing)), "h"))).isEqualTo(Health.SUCCESS);
    // uncertain next to delivered (two domains behind one MX host): the host answered, it is alive
    assertThat(ShapingTransport.classify(new DeliveryResult(List.of(
        new RecipientOutcome(a, RecipientStatus.DELIVERED, SmtpReply.parse(250, "2.0.0 ok")),
        new RecipientOutcome(b, RecipientStatus.DEFERRED, dropped)), DeliveryResult.Kind.UNCERTAIN, null, "h")))
        .isEqualTo(Health.SUCCESS);
  }

  private static Health health(MailAddress a, RecipientStatus status, SmtpReply reply) {
    return ShapingTransport.classify(DeliveryResult.all(List.of(a), status, reply, "h"));
  }
}
