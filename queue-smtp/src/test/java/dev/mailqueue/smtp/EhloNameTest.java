package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The default EHLO name, decided from what the machine's resolver says (a pure function of it). */
class EhloNameTest {

  @Test
  void theCanonicalNameWhenItIsFullyQualified() {
    assertThat(EhloName.choose("app1.example.com", "app1")).isEqualTo("app1.example.com");
  }

  @Test
  void theHostNameWhenOnlyItIsFullyQualified() {
    assertThat(EhloName.choose("localhost", "app1.example.com")).isEqualTo("app1.example.com");
    assertThat(EhloName.choose("127.0.0.1", "app1.example.com")).isEqualTo("app1.example.com");
  }

  @Test
  void anAddressLiteralWhenTheCanonicalNameIsAnAddress() {
    // getCanonicalHostName() returns the address when there is no reverse DNS; EHLO then takes a
    // literal
    assertThat(EhloName.choose("192.0.2.7", "app1")).isEqualTo("[192.0.2.7]");
    assertThat(EhloName.choose("2001:db8:0:0:0:0:0:7%eth0", null))
        .isEqualTo("[IPv6:2001:db8:0:0:0:0:0:7]");
  }

  @Test
  void aBareOrLocalNameWhenNothingBetterIsKnownAndLocalhostAsTheLastResort() {
    assertThat(EhloName.choose("localhost", "vm")).isEqualTo("localhost");
    assertThat(EhloName.choose(null, "vm")).isEqualTo("vm");
    assertThat(EhloName.choose(null, null)).isEqualTo(EhloName.FALLBACK).isEqualTo("localhost");
    assertThat(EhloName.choose("bad name", "")).isEqualTo("localhost");
  }

  @Test
  void fullyQualifiedMeansADotInsideAndNotLocalhost() {
    assertThat(EhloName.isFqdn("mail.example.com")).isTrue();
    assertThat(EhloName.isFqdn("vm")).isFalse();
    assertThat(EhloName.isFqdn("localhost")).isFalse();
    assertThat(EhloName.isFqdn("LOCALHOST.localdomain")).isFalse();
    assertThat(EhloName.isFqdn("[192.0.2.7]")).isFalse();
    assertThat(EhloName.isFqdn("example.")).isFalse();
  }

  @Test
  void theWarningNamesTheSettingThatFixesIt() {
    assertThat(EhloName.warningFor("mail.example.com", true)).isNull();
    assertThat(EhloName.warningFor("localhost", true))
        .contains(
            "'localhost'",
            "no EHLO name was set",
            "ehloName(",
            "mailqueue.smtp.ehlo-name",
            "--ehlo");
    assertThat(EhloName.warningFor("vm", false))
        .contains("'vm'")
        .doesNotContain("no EHLO name was set");
  }

  @Test
  void theMachinesNameIsLookedUpOnceAndUsable() {
    String name = EhloName.ofThisMachine();
    assertThat(EhloName.usable(name)).isTrue();
    assertThat(EhloName.ofThisMachine()).isSameAs(name);
  }
}
