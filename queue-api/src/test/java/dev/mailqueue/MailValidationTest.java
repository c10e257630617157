package dev.mailqueue;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MailValidationTest {

  static Mail.Builder valid() {
    return Mail.builder()
        .from("Shop <shop@example.com>")
        .to("bob@example.org")
        .subject("Hi")
        .text("Hello");
  }

  /** Each case: a description, the expected field, and the action that must be rejected. */
  static Stream<Arguments> rejected() {
    return Stream.of(
        bad("CR in subject", "subject", () -> valid().subject("Hi\r\nBcc: victim@example.net")),
        bad("LF in subject", "subject", () -> valid().subject("Hi\nX: y")),
        bad(
            "CRLF in To address",
            "to[1]",
            () -> valid().to("a@example.org\r\nRCPT TO:<x@evil.example>")),
        bad(
            "LF in display name",
            "from",
            () -> valid().from("Evil\nBcc: x@y.example <shop@example.com>")),
        bad(
            "CR in header value",
            "header[X-Campaign].value",
            () -> valid().header("X-Campaign", "a\rb")),
        bad(
            "NUL in header value",
            "header[X-Campaign].value",
            () -> valid().header("X-Campaign", "a\u0000b")),
        bad(
            "ESC in header value",
            "header[X-Campaign].value",
            () -> valid().header("X-Campaign", "\u001b[31m")),
        bad(
            "5,000 characters without a space in a header",
            "header[X-Long]",
            () -> valid().header("X-Long", "a".repeat(5000))),
        bad(
            "998 characters without a space in the subject",
            "subject",
            () -> valid().subject("s".repeat(998))),
        bad("colon in header name", "header[X:Y]", () -> valid().header("X:Y", "v")),
        bad("space in header name", "header[X Y]", () -> valid().header("X Y", "v")),
        bad("reserved header", "header[Bcc]", () -> valid().header("Bcc", "x@example.org")),
        bad(
            "LF in attachment name",
            "attachment[0].attachment.name",
            () -> valid().attachment("a\n.pdf", "application/pdf", new byte[1])),
        bad(
            "bad content type",
            "attachment[0].attachment.contentType",
            () -> valid().attachment("a.pdf", "pdf", new byte[1])),
        bad(
            "multipart attachment",
            "attachment[0].attachment.contentType",
            () -> valid().attachment("a.eml", "multipart/mixed", new byte[1])),
        bad(
            "message/rfc822 with bare LF",
            "attachment[0].attachment.content",
            () ->
                valid()
                    .attachment(
                        "a.eml", "message/rfc822", "Subject: x\n\nbody\n".getBytes(US_ASCII))),
        bad(
            "message/rfc822 with non-ASCII",
            "attachment[0].attachment.content",
            () ->
                valid()
                    .attachment("a.eml", "message/rfc822", "Subject: ü\r\n\r\n".getBytes(UTF_8))),
        bad("missing @", "to[1]", () -> valid().to("bob.example.org")),
        bad("double dot", "to[1]", () -> valid().to("bob..x@example.org")),
        bad("local part over 64", "to[1]", () -> valid().to("a".repeat(65) + "@example.org")),
        bad(
            "address over 254",
            "to[1]",
            () ->
                valid()
                    .to(
                        "a@"
                            + "b".repeat(60)
                            + "."
                            + "c".repeat(60)
                            + "."
                            + "d".repeat(60)
                            + "."
                            + "e".repeat(60)
                            + "."
                            + "f".repeat(10)
                            + ".org")),
        bad("encoded word", "to[1]", () -> valid().to("=?utf-8?q?x?=@example.org")),
        bad("route address", "to[1]", () -> valid().to("@relay.example:bob@example.org")),
        bad("domain literal", "to[1]", () -> valid().to("bob@[127.0.0.1]")),
        bad("bad domain label", "to[1]", () -> valid().to("bob@-example.org")),
        bad(
            "non-ASCII local part without SMTPUTF8",
            "to[1]",
            () -> valid().to("jörg@example.org").build()),
        bad("missing From", "from", () -> Mail.builder().to("bob@example.org").text("x").build()),
        bad("no recipient", "to", () -> Mail.builder().from("a@example.com").text("x").build()),
        bad(
            "no body",
            "text",
            () -> Mail.builder().from("a@example.com").to("b@example.org").build()),
        bad("bad tag", "tag", () -> valid().tag("password reset!")),
        bad("CR in idempotency key", "idempotencyKey", () -> valid().idempotencyKey("a\rb")),
        bad("null address", "to[1]", () -> valid().to((String) null)));
  }

  static Arguments bad(String name, String field, Supplier<Object> action) {
    return Arguments.of(name, field, action);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void rejectsWithTheFieldNamed(String name, String field, Supplier<Object> action) {
    assertThatThrownBy(action::get)
        .isInstanceOf(InvalidMailException.class)
        .isInstanceOf(MailQueueException.class)
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo(field));
  }

  @Test
  void idnDomainsBecomeALabels() {
    assertThat(MailAddress.of("info@bücher.de").address()).isEqualTo("info@xn--bcher-kva.de");
    assertThat(MailAddress.of("Bob@EXAMPLE.org").address()).isEqualTo("Bob@example.org");
    assertThat(MailAddress.of("a@Mail-1.Example.org.").address()).isEqualTo("a@mail-1.example.org");
  }

  @ParameterizedTest
  @MethodSource("badAsciiDomains")
  void asciiDomainsGetTheHostNameChecks(String address) {
    assertThatThrownBy(() -> MailAddress.of(address))
        .isInstanceOf(InvalidMailException.class)
        .satisfies(e -> assertThat(((InvalidMailException) e).field()).isEqualTo("address"));
  }

  static Stream<String> badAsciiDomains() {
    return Stream.of(
        "a@example..org",
        "a@-example.org",
        "a@example-.org",
        "a@.example.org",
        "a@",
        "a@" + "x".repeat(64) + ".org",
        "a@" + "abcdefghi.".repeat(26) + "org",
        "a@exa_mple.org",
        "a@exa mple.org");
  }

  @Test
  void nonAsciiLocalPartIsAcceptedWithSmtpUtf8() {
    Mail mail = valid().to("jörg@example.org").smtpUtf8(true).build();
    assertThat(mail.recipients()).extracting(MailAddress::address).contains("jörg@example.org");
  }

  @Test
  void displayNamesAreParsed() {
    MailAddress a = MailAddress.parse("\"Smith, Bob\" <bob@example.org>");
    assertThat(a.displayName()).isEqualTo("Smith, Bob");
    assertThat(a.address()).isEqualTo("bob@example.org");
  }

  @Test
  void recipientsAndReplyToTakeAddressesAndCollections() {
    MailAddress jane = new MailAddress("jane@example.org", "Jane");
    Mail mail =
        Mail.builder()
            .from("a@example.com")
            .to(List.of(jane, MailAddress.of("b@example.org")))
            .cc(MailAddress.of("c@example.org"))
            .cc(List.of(MailAddress.of("d@example.org")))
            .bcc(MailAddress.of("e@example.org"))
            .bcc(List.of(MailAddress.of("f@example.org")))
            .replyTo(MailAddress.of("r@example.com"))
            .replyTo(List.of(MailAddress.of("s@example.com")))
            .text("x")
            .build();
    assertThat(mail.to()).containsExactly(jane, MailAddress.of("b@example.org"));
    assertThat(mail.cc())
        .extracting(MailAddress::address)
        .containsExactly("c@example.org", "d@example.org");
    assertThat(mail.bcc())
        .extracting(MailAddress::address)
        .containsExactly("e@example.org", "f@example.org");
    assertThat(mail.replyTo())
        .extracting(MailAddress::address)
        .containsExactly("r@example.com", "s@example.com");
  }

  @Test
  void recipientsAreDeduplicatedAcrossToCcAndBcc() {
    Mail mail = valid().cc("BOB@example.org", "carol@example.org").bcc("dave@example.org").build();
    assertThat(mail.recipients())
        .extracting(MailAddress::address)
        .containsExactly("bob@example.org", "carol@example.org", "dave@example.org");
  }

  @Test
  void aReadyMimeMessageAcceptsNoContentSetters() {
    var message = new jakarta.mail.internet.MimeMessage((jakarta.mail.Session) null);
    assertThatThrownBy(
            () -> Mail.ofMimeMessage(message, MailAddress.of("a@example.com")).subject("x"))
        .isInstanceOf(InvalidMailException.class);
  }
}
