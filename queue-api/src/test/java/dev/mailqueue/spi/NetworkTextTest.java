package dev.mailqueue.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What comes from the network is made storable and printable before it reaches a column or a
 * person.
 */
class NetworkTextTest {

  @Test
  void controlCharactersAreEscapedAndWhitespaceFolded() {
    assertThat(NetworkText.sanitize("user\u0000unknown", 100)).isEqualTo("user\\x00unknown");
    assertThat(NetworkText.sanitize("\u001b[2J\u001b]0;pwned\u0007 text", 100))
        .isEqualTo("\\x1b[2J\\x1b]0;pwned\\x07 text");
    assertThat(NetworkText.sanitize("line one\r\n  line\ttwo\u000b\u000c", 100))
        .isEqualTo("line one line two");
    assertThat(NetworkText.sanitize("c1 \u009b31m and del \u007f", 100))
        .isEqualTo("c1 \\x9b31m and del \\x7f");
    assertThat(NetworkText.sanitize("lone \ud800 surrogate, pair \ud83d\ude00", 100))
        .isEqualTo("lone \ufffd surrogate, pair \ud83d\ude00");
    assertThat(NetworkText.sanitize("  clean text  ", 100)).isEqualTo("clean text");
    assertThat(NetworkText.sanitize(null, 100)).isNull();
  }

  @Test
  void longTextIsCutAtACodePointAndSaysSo() {
    String cut = NetworkText.sanitize("x".repeat(300), 255);
    assertThat(cut).hasSize(255).endsWith(NetworkText.ELLIPSIS);
    // an escape can make a short text long: the cap applies after escaping
    assertThat(NetworkText.sanitize("\u0000".repeat(100), 50)).hasSizeLessThanOrEqualTo(50);
    String emoji = "a".repeat(252) + "\ud83d\ude00\ud83d\ude00";
    String capped = NetworkText.cap(emoji, 255);
    assertThat(capped).hasSizeLessThanOrEqualTo(255).endsWith(NetworkText.ELLIPSIS);
    assertThat(Character.isHighSurrogate(capped.charAt(capped.length() - 2))).isFalse();
  }

  @Test
  void aReplyIsSanitisedAndCappedToItsColumn() {
    SmtpReply nul = SmtpReply.parse(550, "5.1.1 <bob@example.org>: user\u0000unknown\u001b[31m");
    assertThat(nul.enhancedStatus()).isEqualTo("5.1.1");
    assertThat(nul.text())
        .isEqualTo("<bob@example.org>: user\\x00unknown\\x1b[31m")
        .doesNotContain("\u0000", "\u001b");
    SmtpReply endless = SmtpReply.parse(250, "ok " + "\u0000".repeat(2000));
    assertThat(endless.text())
        .hasSizeLessThanOrEqualTo(SmtpReply.MAX_TEXT)
        .endsWith(NetworkText.ELLIPSIS);
    assertThat(SmtpReply.parse(250, "ok\u00fc\u00ff").text()).isEqualTo("ok\u00fc\u00ff");
  }

  @Test
  void aLongMxNameAndManyJoinedHostsFitTheRemoteHostColumn() {
    String label = "l".repeat(63);
    String longMx = label + "." + label + "." + label + "." + "m".repeat(61) + "[127.0.0.1]";
    assertThat(longMx.length()).isGreaterThan(DeliveryResult.MAX_REMOTE_HOST);
    MailAddress a = MailAddress.of("a@long.test");
    DeliveryResult single =
        DeliveryResult.all(
            List.of(a), RecipientStatus.DELIVERED, new SmtpReply(250, null, "ok"), longMx);
    assertThat(single.remoteHost())
        .hasSizeLessThanOrEqualTo(DeliveryResult.MAX_REMOTE_HOST)
        .startsWith(label)
        .endsWith(NetworkText.ELLIPSIS);

    List<MailAddress> order = new ArrayList<>();
    List<DeliveryResult> parts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      MailAddress r = MailAddress.of("r@domain" + i + ".test");
      order.add(r);
      parts.add(
          DeliveryResult.all(
              List.of(r),
              RecipientStatus.DELIVERED,
              new SmtpReply(250, null, "ok"),
              "mx"
                  + i
                  + ".a-rather-long-mail-exchanger-name.domain"
                  + i
                  + ".test[127.0.0."
                  + (i + 1)
                  + "]"));
    }
    DeliveryResult merged = DeliveryResult.merge(order, parts);
    assertThat(merged.remoteHost())
        .hasSizeLessThanOrEqualTo(DeliveryResult.MAX_REMOTE_HOST)
        .startsWith("mx0.a-rather-long")
        .matches(".*\\(\\+\\d+ more\\)$");
    int listed = merged.remoteHost().split(", ").length;
    assertThat(merged.remoteHost()).endsWith("(+" + (10 - listed) + " more)");
    assertThat(merged.recipients())
        .extracting(RecipientOutcome::status)
        .containsOnly(RecipientStatus.DELIVERED);
  }

  @Test
  void aReducedCompletionKeepsStateAndCodesOnly() {
    Completion full =
        new Completion(
            MessageState.BOUNCED,
            null,
            true,
            false,
            List.of(
                new Completion.RecipientUpdate(
                    0, RecipientStatus.BOUNCED, new SmtpReply(550, "5.1.1", "unknown user"))),
            "mx.example.org[192.0.2.1]",
            Duration.ofMillis(12),
            new SmtpReply(550, "5.1.1", "unknown user"));
    Completion reduced = full.reduced();
    assertThat(reduced.newState()).isEqualTo(MessageState.BOUNCED);
    assertThat(reduced.remoteHost()).isNull();
    assertThat(reduced.summary()).isEqualTo(new SmtpReply(550, "5.1.1", ""));
    assertThat(reduced.recipients())
        .containsExactly(
            new Completion.RecipientUpdate(
                0, RecipientStatus.BOUNCED, new SmtpReply(550, "5.1.1", "")));
    assertThat(reduced.countsAsAttempt()).isTrue();
  }
}
