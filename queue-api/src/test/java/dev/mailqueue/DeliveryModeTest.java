package dev.mailqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveryModeTest {
  private static final MailAddress BOB = MailAddress.of("Bob@Example.org");

  @Test
  void namesPrintAsLowerCaseWords() {
    assertThat(DeliveryMode.live()).hasToString("live");
    assertThat(DeliveryMode.capture()).hasToString("capture");
    assertThat(DeliveryMode.redirect(MailAddress.of("qa@staging.test")))
        .hasToString("redirect to qa@staging.test");
    assertThat(DeliveryMode.allow(List.of("Example.org", "ops@partner.test")))
        .hasToString("allow example.org, ops@partner.test");
    assertThat(MailQueue.Builder.DEFAULT_MODE).isEqualTo(DeliveryMode.live());
  }

  @Test
  void allowMatchesListedAddressesAndExactlyTheListedDomains() {
    DeliveryMode allow = DeliveryMode.allow(List.of("example.org", "ops@partner.test"));
    assertThat(allow.sends(BOB)).isTrue();
    assertThat(allow.sends(MailAddress.of("OPS@partner.test"))).isTrue();
    assertThat(allow.sends(MailAddress.of("sales@partner.test"))).isFalse();
    assertThat(allow.sends(MailAddress.of("x@sub.example.org"))).isFalse();
    assertThat(allow.sends(MailAddress.of("x@notexample.org"))).isFalse();
    assertThat(DeliveryMode.capture().sends(BOB)).isFalse();
    assertThat(DeliveryMode.live().sends(BOB)).isTrue();
  }

  @Test
  void namedModesComeFromConfigurationWithTheirLists() {
    assertThat(DeliveryMode.of("Capture", List.of(), List.of())).isEqualTo(DeliveryMode.capture());
    assertThat(DeliveryMode.of("redirect", List.of("QA <qa@staging.test>"), List.of()).redirectTo())
        .extracting(MailAddress::address)
        .containsExactly("qa@staging.test");
    assertThatThrownBy(() -> DeliveryMode.of("staging", List.of(), List.of()))
        .hasMessageStartingWith("unknown mode 'staging'");
    assertThatThrownBy(() -> DeliveryMode.of("redirect", List.of(), List.of()))
        .hasMessageContaining("at least one inbox");
    assertThatThrownBy(() -> DeliveryMode.of("live", List.of(), List.of("example.org")))
        .hasMessageContaining("the mode is live, not allow");
    assertThatThrownBy(() -> DeliveryMode.allow(List.of())).hasMessageContaining("capture()");
    assertThatThrownBy(() -> DeliveryMode.allow(List.of("exa mple.org")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DeliveryMode.allow(List.of("a@b@c\r\nBcc: x")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
