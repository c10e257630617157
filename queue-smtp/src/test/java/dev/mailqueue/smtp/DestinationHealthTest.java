package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What an attempt says about a destination's health (the circuit breaker's rules). */
class DestinationHealthTest {

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

    assertThat(health(a, RecipientStatus.DEFERRED, refused)).isEqualTo(DestinationHealth.FAILURE);
    assertThat(health(a, RecipientStatus.DEFERRED, dropped)).isEqualTo(DestinationHealth.FAILURE);
    assertThat(health(a, RecipientStatus.DEFERRED, closing)).isEqualTo(DestinationHealth.FAILURE);
    assertThat(health(a, RecipientStatus.BOUNCED, unknown)).isEqualTo(DestinationHealth.SUCCESS);
    assertThat(health(a, RecipientStatus.DEFERRED, greylisted))
        .isEqualTo(DestinationHealth.SUCCESS);
    assertThat(health(a, RecipientStatus.DEFERRED, dns)).isEqualTo(DestinationHealth.NEUTRAL);
    assertThat(DestinationHealth.of(DeliveryResult.uncertain(List.of(a), dropped, "h")))
        .isEqualTo(DestinationHealth.FAILURE);
    assertThat(
            DestinationHealth.of(
                DeliveryResult.notCounted(List.of(a), refused, Duration.ofSeconds(1), null)))
        .isEqualTo(DestinationHealth.NEUTRAL);
    // one recipient answered, one not: the server is alive
    assertThat(
            DestinationHealth.of(
                DeliveryResult.of(
                    List.of(
                        new RecipientOutcome(a, RecipientStatus.BOUNCED, unknown),
                        new RecipientOutcome(b, RecipientStatus.DEFERRED, closing)),
                    "h")))
        .isEqualTo(DestinationHealth.SUCCESS);
    // uncertain next to delivered (two domains behind one MX host): the host answered, it is alive
    assertThat(
            DestinationHealth.of(
                new DeliveryResult(
                    List.of(
                        new RecipientOutcome(
                            a, RecipientStatus.DELIVERED, SmtpReply.parse(250, "2.0.0 ok")),
                        new RecipientOutcome(b, RecipientStatus.DEFERRED, dropped)),
                    DeliveryResult.Kind.UNCERTAIN,
                    null,
                    "h")))
        .isEqualTo(DestinationHealth.SUCCESS);
  }

  private static DestinationHealth health(MailAddress a, RecipientStatus status, SmtpReply reply) {
    return DestinationHealth.of(DeliveryResult.all(List.of(a), status, reply, "h"));
  }

  /** A server cannot pass for a local failure by the text it sends: the origin decides. */
  @Test
  void aServerReplyThatReadsLikeALocalOneIsStillTheServersAnswer() {
    MailAddress a = MailAddress.of("a@x.test");
    SmtpReply mimic = SmtpReply.parse(451, "4.4.1 local: connect failed: refused");
    assertThat(mimic.text()).startsWith(SmtpReply.LOCAL_PREFIX);
    assertThat(mimic.origin()).isEqualTo(SmtpReply.Origin.SERVER);
    assertThat(health(a, RecipientStatus.DEFERRED, mimic)).isEqualTo(DestinationHealth.SUCCESS);
    assertThat(
            health(
                a,
                RecipientStatus.DEFERRED,
                SmtpReply.local(451, "4.4.1", "connect failed: refused")))
        .isEqualTo(DestinationHealth.FAILURE);
  }
}
