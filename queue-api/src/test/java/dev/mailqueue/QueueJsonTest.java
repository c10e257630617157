package dev.mailqueue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The documented JSON shape, member by member, and the writer's escaping. */
class QueueJsonTest {
  private static final Instant T = Instant.parse("2026-12-02T04:00:00Z");

  @Test
  void statsCountEveryStateUpperCaseWithTheOldestInMilliseconds() {
    QueueStats stats =
        new QueueStats(
            Map.of(MessageState.DEFERRED, 3L, MessageState.HOLD, 1L), Duration.ofSeconds(90));
    StringBuilder counts = new StringBuilder();
    for (MessageState s : MessageState.values()) {
      counts
          .append(counts.length() == 0 ? "" : ",")
          .append('"')
          .append(s.name())
          .append("\":")
          .append(stats.count(s));
    }
    assertThat(QueueJson.write(QueueJson.stats(stats)))
        .isEqualTo("{\"counts\":{" + counts + "},\"backlog\":4,\"oldestWaitingMs\":90000}");
  }

  @Test
  void aSummaryHasItsIdAsAStringAndEveryMemberEvenWhenNull() {
    MessageId id = MessageId.parse("0190a4c6-1c2b-7d3e-8f40-5a6b7c8d9e0f");
    MessageSummary row =
        new MessageSummary(
            id,
            MessageState.DEFERRED,
            null,
            Priority.NORMAL,
            MailAddress.of("shop@example.com"),
            2,
            1,
            1234,
            3,
            T,
            null,
            SmtpReply.parse(451, "4.7.1 greylisted"));
    assertThat(QueueJson.write(QueueJson.summary(row)))
        .isEqualTo(
            "{\"id\":\""
                + id
                + "\",\"state\":\"DEFERRED\","
                + "\"tag\":null,\"priority\":\"NORMAL\",\"from\":\"shop@example.com\",\"recipients\":2,\"pendingRecipients\":1,"
                + "\"sizeBytes\":1234,\"attempts\":3,\"createdAt\":\"2026-12-02T04:00:00Z\",\"dueAt\":null,"
                + "\"lastReply\":{\"code\":451,\"enhanced\":\"4.7.1\",\"text\":\"greylisted\"}}");
  }

  @Test
  void detailsNameTheLeaseAndDurationsInMilliseconds() {
    MessageId id = MessageId.generate();
    MessageView view =
        new MessageView(
            id,
            "<a@example.com>",
            MessageState.SENDING,
            "t",
            Priority.HIGH,
            1,
            0,
            MailAddress.of("shop@example.com"),
            T,
            T.plusSeconds(300),
            T.plusSeconds(86400),
            List.of(
                new MessageView.Recipient(
                    MailAddress.of("bob@example.org"), RecipientStatus.PENDING, null)));
    MessageDetails d =
        new MessageDetails(
            view,
            10,
            List.of(
                new AttemptView(
                    T,
                    "mx.example.org",
                    MessageState.DEFERRED,
                    null,
                    Duration.ofMillis(42),
                    true,
                    false)),
            "w1",
            T.plusSeconds(300));
    Map<String, Object> doc = QueueJson.details(d);
    assertThat(doc)
        .containsEntry("id", id.toString())
        .containsEntry("leaseOwner", "w1")
        .containsEntry("leaseUntil", "2026-12-02T04:05:00Z")
        .containsEntry("state", "SENDING");
    assertThat(QueueJson.write(doc))
        .contains(
            "\"recipients\":[{\"address\":\"bob@example.org\",\"status\":\"PENDING\","
                + "\"lastReply\":null}]")
        .contains("\"durationMs\":42,\"counted\":true,\"uncertain\":false");
  }

  @Test
  void controlCharactersAreEscapedC1Included() {
    assertThat(QueueJson.write(List.of("a\"b\\c\n\u001b[2J\u009b1m\u0007")))
        .isEqualTo("[\"a\\\"b\\\\c\\n\\u001b[2J\\u009b1m\\u0007\"]");
  }
}
