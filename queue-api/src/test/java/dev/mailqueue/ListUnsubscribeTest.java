package dev.mailqueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.internal.MimeRenderer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** RFC 2369 List-Unsubscribe and RFC 8058 one-click unsubscription on the builder (issue 20). */
class ListUnsubscribeTest {
  private static final URI HTTPS = URI.create("https://example.com/unsubscribe?t=abc.def");
  private static final MailAddress MAILTO = MailAddress.of("unsubscribe@example.com");

  private static Mail.Builder mail() {
    return Mail.builder().from("news@example.com").to("bob@example.org").subject("s").text("t");
  }

  @Test
  void bothFormsAndOneClickAreWrittenAsTheRfcsSay() {
    Mail m = mail().listUnsubscribe(HTTPS, MAILTO).oneClickUnsubscribe().tag("newsletter").build();

    assertThat(m.headers())
        .containsEntry(
            "List-Unsubscribe",
            "<https://example.com/unsubscribe?t=abc.def>, <mailto:unsubscribe@example.com>")
        .containsEntry("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");

    String raw =
        new String(
            new MimeRenderer(64 * 1024, null).render(m, MessageId.generate()).mime(),
            StandardCharsets.ISO_8859_1);
    // folding may break the line after the comma (RFC 5322 2.2.3): compare unfolded
    assertThat(raw.replace("\r\n ", " "))
        .contains(
            "\r\nList-Unsubscribe: <https://example.com/unsubscribe?t=abc.def>,"
                + " <mailto:unsubscribe@example.com>\r\n")
        .contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
  }

  @Test
  void eitherFormAlone() {
    assertThat(mail().listUnsubscribe(null, MAILTO).build().headers())
        .containsEntry("List-Unsubscribe", "<mailto:unsubscribe@example.com>")
        .doesNotContainKey("List-Unsubscribe-Post");
    assertThat(mail().listUnsubscribe(HTTPS, null).build().headers())
        .containsEntry("List-Unsubscribe", "<https://example.com/unsubscribe?t=abc.def>");
  }

  @Test
  void oneClickNeedsAnHttpsUri() {
    assertThatThrownBy(() -> mail().oneClickUnsubscribe().build())
        .isInstanceOf(InvalidMailException.class)
        .hasMessageContaining("oneClickUnsubscribe")
        .hasMessageContaining("https");
    assertThatThrownBy(() -> mail().listUnsubscribe(null, MAILTO).oneClickUnsubscribe().build())
        .isInstanceOf(InvalidMailException.class)
        .hasMessageContaining("RFC 8058");
  }

  @Test
  void badUrisAreRefusedWhenSet() {
    assertThatThrownBy(() -> mail().listUnsubscribe(null, null))
        .isInstanceOf(InvalidMailException.class)
        .hasMessageContaining("listUnsubscribe");
    assertThatThrownBy(() -> mail().listUnsubscribe(URI.create("http://example.com/u?t=1"), null))
        .hasMessageContaining("https");
    assertThatThrownBy(() -> mail().listUnsubscribe(URI.create("/relative"), null))
        .hasMessageContaining("absolute https");
    assertThatThrownBy(() -> mail().listUnsubscribe(URI.create("https://example.com/a,b"), null))
        .hasMessageContaining("%2C");
    assertThatThrownBy(
            () ->
                mail()
                    .listUnsubscribe(
                        URI.create(
                            "https://example.com/" + "a".repeat(Mail.MAX_UNSUBSCRIBE_URI_LENGTH)),
                        null))
        .hasMessageContaining("longer than " + Mail.MAX_UNSUBSCRIBE_URI_LENGTH);
    assertThatThrownBy(
            () -> mail().listUnsubscribe(null, MailAddress.of("ünsubscribe@example.com")))
        .hasMessageContaining("ASCII");
  }

  @Test
  void nonAsciiInTheUriIsPercentEncodedNeverWrittenRaw() {
    Mail m = mail().listUnsubscribe(URI.create("https://example.com/ä?t=1"), null).build();
    assertThat(m.headers().get("List-Unsubscribe")).isEqualTo("<https://example.com/%C3%A4?t=1>");
  }
}
