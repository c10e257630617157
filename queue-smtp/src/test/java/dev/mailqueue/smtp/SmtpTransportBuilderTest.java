package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.MailQueueException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SmtpTransportBuilderTest {

  @Test
  void securityDefaultsFollowCredentialsAndPort() {
    try (SmtpTransport t =
        SmtpTransport.relay("smtp.example.com", 587).credentials("u", "pw").build()) {
      assertThat(t.toString()).contains("security=STARTTLS_REQUIRED");
    }
    try (SmtpTransport t = SmtpTransport.relay("smtp.example.com", 25).build()) {
      // without credentials too (issue: opportunistic TLS let an attacker strip STARTTLS)
      assertThat(t.toString()).contains("security=STARTTLS_REQUIRED");
    }
    try (SmtpTransport t =
        SmtpTransport.relay("smtp.example.com", 465).credentials("u", "pw").build()) {
      assertThat(t.toString()).contains("security=IMPLICIT_TLS");
    }
  }

  @Test
  void credentialsAreNeverSentWithoutTls() {
    assertThatThrownBy(
            () ->
                SmtpTransport.relay("h", 25).credentials("u", "pw").security(Security.NONE).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TLS")
        .hasMessageNotContaining("pw");
    assertThatThrownBy(
            () ->
                SmtpTransport.relay("h", 25)
                    .credentials("u", "pw")
                    .security(Security.STARTTLS_OPPORTUNISTIC)
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringNeverShowsTheSecret() {
    try (SmtpTransport t =
        SmtpTransport.relay("smtp.example.com", 587)
            .failover("backup.example.com", 587)
            .credentials("app", "hunter2-secret")
            .ehloName("app.example.com")
            .build()) {
      assertThat(t.toString())
          .doesNotContain("hunter2-secret")
          .contains(
              "smtp.example.com:587", "backup.example.com:587", "app", "ehlo=app.example.com");
    }
  }

  @Test
  void rejectsNonsense() {
    RelayBuilder b = SmtpTransport.relay("h", 25);
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.readTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxMessagesPerConnection(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.ehloName("two words")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SmtpTransport.relay("h", 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SmtpTransport.relay(" ", 25))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void closeIsIdempotentAndDeliverAfterCloseFails() {
    SmtpTransport t = SmtpTransport.relay("h", 25).build();
    t.close();
    t.close();
    assertThatThrownBy(() -> t.deliver(Mails.mail("a@example.com")))
        .isInstanceOf(MailQueueException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    assertThat(SmtpTransport.DEFAULT_CONNECT_TIMEOUT).isEqualTo(Duration.ofSeconds(30));
    assertThat(SmtpTransport.DEFAULT_READ_TIMEOUT).isEqualTo(Duration.ofSeconds(60));
    assertThat(SmtpTransport.DEFAULT_WRITE_TIMEOUT).isEqualTo(Duration.ofSeconds(60));
    assertThat(SmtpTransport.DEFAULT_MAX_MESSAGES_PER_CONNECTION).isEqualTo(100);
    assertThat(SmtpTransport.DEFAULT_IDLE_TIMEOUT).isEqualTo(Duration.ofSeconds(5));
  }

  /**
   * A relay across a network needs TLS whether or not credentials are set; one on this machine does
   * not.
   */
  @Test
  void aRelayThatIsNotOnThisMachineRequiresStartTlsByDefault() {
    for (String remote :
        List.of("smtp.example.com", "192.0.2.25", "2001:db8::25", "localhost.example.com")) {
      try (SmtpTransport t = SmtpTransport.relay(remote, 587).build()) {
        assertThat(t.toString()).as(remote).contains("security=STARTTLS_REQUIRED");
      }
    }
    try (SmtpTransport t =
        SmtpTransport.relay("127.0.0.1", 25).failover("smtp.example.com", 25).build()) {
      assertThat(t.toString())
          .as("one remote relay is enough")
          .contains("security=STARTTLS_REQUIRED");
    }
    for (String local :
        List.of("localhost", "LOCALHOST", "127.0.0.1", "127.0.1.1", "::1", "[::1]")) {
      try (SmtpTransport t = SmtpTransport.relay(local, 25).build()) {
        assertThat(t.toString()).as(local).contains("security=STARTTLS_OPPORTUNISTIC");
      }
    }
    try (SmtpTransport t = SmtpTransport.relay("smtp.example.com", 465).build()) {
      assertThat(t.toString()).contains("security=IMPLICIT_TLS");
    }
    try (SmtpTransport t =
        SmtpTransport.relay("smtp.example.com", 25).security(Security.NONE).build()) {
      assertThat(t.toString()).as("plain text when asked for").contains("security=NONE");
    }
  }

  @Test
  void directModeHasItsOwnDefaultsAndRefusesRelaySettings() {
    try (SmtpTransport t =
        SmtpTransport.direct()
            .mxResolver(d -> new MxLookup.NullMx())
            .ehloName("mx.example.com")
            .requireVerifiedTls("bank.example")
            .build()) {
      assertThat(t.toString())
          .contains(
              "direct",
              "security=STARTTLS_OPPORTUNISTIC",
              "verifiedTls=[bank.example]",
              "ehlo=mx.example.com");
    }
    assertThat(SmtpTransport.DEFAULT_DIRECT_READ_TIMEOUT).isEqualTo(Duration.ofSeconds(300));
    assertThat(SmtpTransport.DEFAULT_MAX_MX_ADDRESSES).isEqualTo(5);
    // relay settings are no methods of the direct builder, and the other way round (no run-time
    // refusal needed)
    assertThat(publicMethods(DirectBuilder.class))
        .doesNotContain("failover", "credentials", "oauth2");
    assertThat(publicMethods(RelayBuilder.class))
        .doesNotContain(
            "allowDestinations",
            "requireVerifiedTls",
            "mxResolver",
            "maxMxAddresses",
            "domainDeadline",
            "messageDeadline",
            "maxConnectionsPerMxHost");
    assertThatThrownBy(() -> SmtpTransport.direct().security(Security.IMPLICIT_TLS).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                SmtpTransport.direct()
                    .security(Security.NONE)
                    .requireVerifiedTls("bank.example")
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SmtpTransport.direct().allowDestinations("10.0.0.0/99"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void timeBudgetsGreetingTimeoutAndMxHostCapAreValidatedAndDocumented() {
    assertThat(SmtpTransport.DEFAULT_GREETING_TIMEOUT).isEqualTo(Duration.ofSeconds(60));
    assertThat(SmtpTransport.DEFAULT_DIRECT_DOMAIN_DEADLINE).isEqualTo(Duration.ofMinutes(5));
    assertThat(SmtpTransport.DEFAULT_DIRECT_MESSAGE_DEADLINE).isEqualTo(Duration.ofMinutes(10));
    assertThat(SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_MX_HOST).isEqualTo(2);

    DirectBuilder direct = SmtpTransport.direct();
    List<Consumer<Duration>> durations =
        List.of(direct::domainDeadline, direct::messageDeadline, direct::greetingTimeout);
    for (Consumer<Duration> setter : durations) {
      for (Duration bad : List.of(Duration.ZERO, Duration.ofSeconds(-1), Duration.ofDays(25))) {
        assertThatThrownBy(() -> setter.accept(bad))
            .as(bad.toString())
            .isInstanceOf(IllegalArgumentException.class);
      }
      assertThatThrownBy(() -> setter.accept(null)).isInstanceOf(NullPointerException.class);
    }
    assertThatThrownBy(() -> direct.maxConnectionsPerMxHost(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxConnectionsPerMxHost");
    try (SmtpTransport t =
        direct
            .mxResolver(d -> new MxLookup.NullMx())
            .domainDeadline(Duration.ofMillis(1))
            .messageDeadline(Duration.ofDays(24))
            .greetingTimeout(Duration.ofMillis(1))
            .maxConnectionsPerMxHost(1)
            .build()) {
      assertThat(t.toString()).contains("direct");
    }

    RelayBuilder relay = SmtpTransport.relay("h", 25);
    // domainDeadline, messageDeadline and maxConnectionsPerMxHost are direct mode's only (see
    // above)
    relay.greetingTimeout(Duration.ofSeconds(10)); // both modes
    assertThatThrownBy(() -> relay.greetingTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * {@code maxConnectionsPerServer} limits relays and MX host addresses alike; the old name still
   * works.
   */
  @Test
  @SuppressWarnings("deprecation")
  void maxConnectionsPerServerIsValidatedInBothModesAndTheOldNameDelegates() {
    assertThat(SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_SERVER).isEqualTo(4);
    assertThat(SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_RELAY)
        .isEqualTo(SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_SERVER);
    assertThatThrownBy(() -> SmtpTransport.relay("h", 25).maxConnectionsPerServer(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxConnectionsPerServer");
    assertThatThrownBy(() -> SmtpTransport.direct().maxConnectionsPerServer(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SmtpTransport.relay("h", 25).maxConnectionsPerRelay(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxConnectionsPerServer");
    RelayBuilder relay = SmtpTransport.relay("h", 25).maxConnectionsPerRelay(2).failover("h2", 25);
    try (SmtpTransport t = relay.build()) {
      assertThat(t.toString()).contains("h2:25");
    }
  }

  private static List<String> publicMethods(Class<?> type) {
    return Arrays.stream(type.getMethods()).map(Method::getName).toList();
  }
}
