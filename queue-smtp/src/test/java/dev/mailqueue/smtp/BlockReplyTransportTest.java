package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;
import static dev.mailqueue.smtp.ScriptedSmtpServer.reply;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.DestinationLimits.Limit;
import dev.mailqueue.spi.DeliveryResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Blocks against the sender over real SMTP (issue 20, point 3): a block list or policy refusal is
 * marked as a block (so the store never suppresses the address), counts against the destination's
 * breaker and raises the alert; a reputation block suspends the destination; "user unknown" stays
 * an ordinary bounce.
 */
@Timeout(30)
class BlockReplyTransportTest {
  private static final String RELAY = "127.0.0.1";
  private static final String SPAMHAUS =
      "550 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org;"
          + " https://www.spamhaus.org/query/ip/127.0.0.1";
  private static final String UNKNOWN = "550 5.1.1 <bob@example.com>: user unknown";
  private static final String UNAUTHENTICATED =
      "550 5.7.515 Access denied, sending domain example.com does not meet the required"
          + " authentication level.";

  private ScriptedSmtpServer server;
  private SmtpTransport transport;
  private final Alerts alerts = new Alerts();

  /** What the transport told its listener. */
  static final class Alerts implements ShapingListener {
    final List<String> blocked = new CopyOnWriteArrayList<>();
    final List<String> breaker = new CopyOnWriteArrayList<>();

    @Override
    public void breakerStateChanged(String destination, BreakerState from, BreakerState to) {
      breaker.add(destination + ":" + to);
    }

    @Override
    public void blocked(
        String destination,
        ReplyClass replyClass,
        SmtpReply reply,
        @Nullable Duration suspendedFor) {
      blocked.add(destination + " " + replyClass + " " + reply.code() + " " + suspendedFor);
    }
  }

  @BeforeEach
  void start() throws IOException {
    server = new ScriptedSmtpServer();
  }

  @AfterEach
  void stop() throws IOException {
    if (transport != null) {
      transport.close();
    }
    server.close();
  }

  private RelayBuilder relay() {
    return SmtpTransport.relay(RELAY, server.port())
        .security(Security.NONE)
        .ehloName("client.test")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(5))
        .shapingListener(alerts);
  }

  private RelayBuilder shaped(int failuresToOpen) {
    return relay()
        .shaping(
            DestinationLimits.custom()
                .defaults(Limit.ofDefaults())
                .failuresToOpen(failuresToOpen)
                .build());
  }

  private static RecipientOutcome only(DeliveryResult r) {
    assertThat(r.recipients()).hasSize(1);
    return r.recipients().get(0);
  }

  @Test
  void aSpamhausListingIsABlockThatSuspendsTheDestination() {
    transport = shaped(5).blockSuspension(Duration.ofMinutes(30)).build();
    server.on("RCPT TO", reply(SPAMHAUS));

    RecipientOutcome blocked = only(transport.deliver(mail("bob@example.com")));

    assertThat(blocked.status()).isEqualTo(RecipientStatus.DEFERRED);
    assertThat(blocked.block()).isEqualTo(SenderBlock.REPUTATION);
    assertThat(blocked.reply().text()).contains("zen.spamhaus.org");
    assertThat(alerts.blocked).containsExactly(RELAY + " REPUTATION_BLOCK 550 PT30M");
    assertThat(alerts.breaker).containsExactly(RELAY + ":OPEN");

    // suspended: the next message is held back without a connection and without counting
    int connections = server.connections().size();
    DeliveryResult held = transport.deliver(mail("carol@example.com"));
    assertThat(held.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
    assertThat(held.retryAfter()).isGreaterThan(Duration.ofMinutes(29));
    assertThat(only(held).reply().text()).contains("suspended after a block against the sender");
    assertThat(only(held).block()).as("held back locally, not blocked again").isNull();
    assertThat(server.connections()).hasSize(connections);
  }

  @Test
  void aShapingDecoratorSuspendsOnTheBuiltInRules() {
    transport = relay().build();
    server.on("RCPT TO", reply(SPAMHAUS));
    try (ShapingTransport shaped =
        ShapingTransport.builder(transport)
            .relay(RELAY)
            .limits(DestinationLimits.custom().defaults(Limit.ofDefaults()).build())
            .listener(alerts)
            .build()) {
      RecipientOutcome blocked = only(shaped.deliver(mail("bob@example.com")));
      assertThat(blocked.block()).isEqualTo(SenderBlock.REPUTATION);

      DeliveryResult held = shaped.deliver(mail("carol@example.com"));
      assertThat(held.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);
      assertThat(held.retryAfter())
          .as("the default block suspension, longer than the breaker's own opening")
          .isGreaterThan(DestinationLimits.DEFAULT_OPEN_DURATION);
    }
  }

  @Test
  void userUnknownIsAnOrdinaryBounceThatLeavesTheBreakerAlone() {
    transport = shaped(2).build();
    server.on("RCPT TO", reply(UNKNOWN), reply(UNKNOWN), reply(UNKNOWN));

    for (int i = 0; i < 3; i++) {
      RecipientOutcome bounced = only(transport.deliver(mail("bob@example.com")));
      assertThat(bounced.status()).isEqualTo(RecipientStatus.BOUNCED);
      assertThat(bounced.block()).isNull();
    }

    assertThat(alerts.blocked).isEmpty();
    assertThat(alerts.breaker).isEmpty();
  }

  @Test
  void policyBlocksBounceAndCountTowardsTheBreaker() {
    transport = shaped(2).build();
    server.on("RCPT TO", reply(UNAUTHENTICATED), reply(UNAUTHENTICATED));

    RecipientOutcome first = only(transport.deliver(mail("bob@example.com")));
    assertThat(first.status()).isEqualTo(RecipientStatus.BOUNCED);
    assertThat(first.block()).isEqualTo(SenderBlock.POLICY);
    assertThat(alerts.breaker).as("one failure of two").isEmpty();

    RecipientOutcome second = only(transport.deliver(mail("bob@example.com")));
    assertThat(second.block()).isEqualTo(SenderBlock.POLICY);
    assertThat(alerts.breaker).containsExactly(RELAY + ":OPEN");
    assertThat(alerts.blocked)
        .containsExactly(RELAY + " POLICY_BLOCK 550 null", RELAY + " POLICY_BLOCK 550 null");
  }

  @Test
  void withoutShapingABlockIsStillMarkedAndTold() {
    transport = relay().build();
    server.on("MAIL FROM", reply(SPAMHAUS));

    DeliveryResult r = transport.deliver(mail("bob@example.com", "carol@example.com"));

    assertThat(r.recipients())
        .allSatisfy(
            o -> {
              assertThat(o.status()).isEqualTo(RecipientStatus.DEFERRED);
              assertThat(o.block()).isEqualTo(SenderBlock.REPUTATION);
            });
    assertThat(alerts.blocked)
        .hasSize(1)
        .allSatisfy(a -> assertThat(a).contains("REPUTATION_BLOCK 550 null"));
  }

  @Test
  void anApplicationRuleOverridesTheBuiltInOne() {
    transport =
        shaped(5)
            .replyRules(
                List.of(
                    ReplyRule.of(
                        null, null, "spamhaus", ReplyClass.REPUTATION_BLOCK, ReplyAction.BOUNCE)))
            .build();
    server.on("RCPT TO", reply(SPAMHAUS));

    RecipientOutcome bounced = only(transport.deliver(mail("bob@example.com")));

    assertThat(bounced.status()).isEqualTo(RecipientStatus.BOUNCED);
    assertThat(bounced.block()).isEqualTo(SenderBlock.REPUTATION);
    assertThat(alerts.blocked).containsExactly(RELAY + " REPUTATION_BLOCK 550 null");
    assertThat(alerts.breaker).as("counted, not suspended").isEmpty();
  }
}
