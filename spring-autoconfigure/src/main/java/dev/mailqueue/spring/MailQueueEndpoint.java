package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueStats;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code mailqueue} actuator endpoint: {@code GET /actuator/mailqueue} for the counts by
 * state and the oldest waiting age, {@code GET /actuator/mailqueue/{id}} for one message with its
 * recipients' statuses and last replies. Read-only; exposed only where the application exposes it
 * ({@code management.endpoints.web.exposure.include=mailqueue}), since messages name recipients.
 */
@Endpoint(id = "mailqueue")
public class MailQueueEndpoint {
  private final MailQueue queue;

  /** Reads {@code queue}. */
  public MailQueueEndpoint(MailQueue queue) {
    this.queue = Objects.requireNonNull(queue, "queue");
  }

  /** Counts by state, the backlog and the oldest waiting message's age. */
  @ReadOperation
  public StatsDescriptor stats() {
    QueueStats stats = queue.stats();
    Map<String, Long> counts = new LinkedHashMap<>();
    for (MessageState state : MessageState.values()) {
      counts.put(state.name().toLowerCase(Locale.ROOT), stats.count(state));
    }
    return new StatsDescriptor(counts, stats.backlog(), stats.oldestWaiting().toString());
  }

  /** One message, or null (404) when there is none with this id or the id is malformed. */
  @ReadOperation
  public MessageView message(@Selector String id) {
    MessageId messageId;
    try {
      messageId = MessageId.parse(id);
    } catch (RuntimeException e) {
      return null;
    }
    return queue.find(messageId).orElse(null);
  }

  /**
   * The queue's counts.
   *
   * @param messages messages by lower-case state
   * @param backlog messages not yet finished
   * @param oldestWaiting ISO-8601 age of the oldest unfinished message, {@code PT0S} for none
   */
  public record StatsDescriptor(Map<String, Long> messages, long backlog, String oldestWaiting) {}
}
