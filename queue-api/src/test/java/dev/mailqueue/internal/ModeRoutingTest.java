package dev.mailqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.MailAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModeRoutingTest {
  @Test
  void theOriginalToHeaderIsFoldedAtCommasIntoShortLines() {
    List<MailAddress> many = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      many.add(MailAddress.of("customer" + i + "@example.org"));
    }
    String header = new String(ModeRouting.originalToHeader(many), StandardCharsets.UTF_8);

    assertThat(header)
        .startsWith("X-Mailqueue-Original-To: customer0@example.org,")
        .endsWith("\r\n");
    String[] lines = header.substring(0, header.length() - 2).split("\r\n", -1);
    assertThat(lines.length).isGreaterThan(1);
    for (int i = 0; i < lines.length; i++) {
      assertThat(lines[i].length()).as(lines[i]).isLessThanOrEqualTo(78);
      if (i > 0) {
        assertThat(lines[i]).as("a continuation line starts with white space").startsWith(" ");
      }
    }
    assertThat(header.replace("\r\n", "")).contains("customer19@example.org").doesNotEndWith(",");
  }

  @Test
  void oneAddressLongerThanALineStaysOnTheHeaderLine() {
    String local = "x".repeat(64);
    String header =
        new String(
            ModeRouting.originalToHeader(List.of(MailAddress.of(local + "@example.org"))),
            StandardCharsets.UTF_8);
    assertThat(header).isEqualTo("X-Mailqueue-Original-To: " + local + "@example.org\r\n");
  }
}
