package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.QueueJson;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code mailqueue} actuator endpoint, read-only:
 *
 * <ul>
 *   <li>{@code GET /actuator/mailqueue}: the counts by state, the backlog, the oldest waiting age,
 *       the backlog per recipient domain and age ({@link MailQueueAdmin#shape}, the {@value
 *       #SHAPE_DOMAINS} largest domains) and a listing of messages, by default the {@value
 *       #DEFAULT_LIMIT} oldest unfinished ones; the listing takes the parameters {@code state},
 *       {@code tag} and {@code limit}, e.g. {@code ?state=deferred&tag=welcome&limit=50};
 *   <li>{@code GET /actuator/mailqueue/{id}}: one message with its recipients and its attempt
 *       history ({@link MailQueueAdmin#show}), 404 when there is none.
 * </ul>
 *
 * Both answer in the JSON shape of {@link QueueJson}, the one {@code mailqueue --json} prints: ids
 * as strings, upper-case states, ISO-8601 instants, durations in milliseconds ({@code
 * oldestWaitingMs}), replies as {@code {"code","enhanced","text"}}. The overview is {@link
 * QueueJson#stats} with {@code "mode"} ({@link MailQueue#mode()}), {@code "shape"} ({@link
 * QueueJson#shape}) and {@code "messages"} ({@link QueueJson#summary} each). Neither shows a
 * message's body or subject. Recipient addresses are shown only when constructed with {@code
 * showRecipients} ({@code mailqueue.endpoint.show-recipients=true}); by default each recipient, and
 * every address in an SMTP reply text, is shown by its domain only, as {@code ***@example.org},
 * without display name. The envelope sender is shown as it is. With {@code
 * mailqueue.endpoint.write-enabled=true} the endpoint is a {@link WritableMailQueueEndpoint}
 * instead, which adds operations that change messages; its default access is {@link
 * Access#READ_ONLY} all the same, so those operations are left out until {@code
 * management.endpoint.mailqueue.access=unrestricted}. Exposed only where the application exposes it
 * ({@code management.endpoints.web.exposure.include=mailqueue}), since messages name recipients.
 * The listing, the shape and the details need a store with an administrative interface ({@link
 * MailQueue#admin()}), as the JDBC store has.
 */
@Endpoint(id = "mailqueue", defaultAccess = Access.READ_ONLY)
public class MailQueueEndpoint {
  /** Messages listed when no {@code limit} is given. */
  public static final int DEFAULT_LIMIT = 20;

  /** Domains in the shape. */
  public static final int SHAPE_DOMAINS = 20;

  private static final Set<MessageState> UNFINISHED =
      EnumSet.of(
          MessageState.QUEUED, MessageState.DEFERRED, MessageState.SENDING, MessageState.HOLD);

  /** The queue read (and, in the subclass, changed). */
  protected final MailQueue queue;

  private final boolean showRecipients;

  /**
   * Reads {@code queue}, with recipient addresses masked.
   *
   * @param queue the queue to read; not null
   */
  public MailQueueEndpoint(MailQueue queue) {
    this(queue, false);
  }

  /**
   * Reads {@code queue}.
   *
   * @param queue the queue to read; not null
   * @param showRecipients whether to show recipient addresses, and those in reply texts, as they
   *     are; when false they are masked as {@code ***@example.org}
   */
  public MailQueueEndpoint(MailQueue queue, boolean showRecipients) {
    this.queue = Objects.requireNonNull(queue, "queue");
    this.showRecipients = showRecipients;
  }

  /**
   * The queue at a glance, with a listing of messages in enqueue order.
   *
   * @param state list only messages in this state (case-insensitive); unfinished ones by default
   * @param tag list only messages with this tag
   * @param limit list at most this many, 1 to {@value MessageFilter#MAX_LIMIT}; {@value
   *     #DEFAULT_LIMIT} by default
   * @return the counts by state, the backlog, the oldest waiting age, the delivery mode, the shape
   *     and the listing
   */
  @ReadOperation
  public Map<String, Object> overview(
      @Nullable String state, @Nullable String tag, @Nullable Integer limit) {
    MessageFilter filter;
    try {
      filter =
          MessageFilter.builder()
              .states(state == null ? UNFINISHED : Set.of(state(state)))
              .tag(tag)
              .limit(limit == null ? DEFAULT_LIMIT : limit)
              .build();
    } catch (IllegalArgumentException e) {
      throw new InvalidEndpointRequestException(e.getMessage(), "Invalid limit");
    }
    MailQueueAdmin admin = queue.admin();
    Map<String, Object> overview = QueueJson.stats(queue.stats());
    overview.put("mode", queue.mode().toString());
    overview.put("shape", QueueJson.shape(admin.shape(UNFINISHED, SHAPE_DOMAINS)));
    List<Object> messages = new ArrayList<>();
    for (MessageSummary m : admin.list(filter)) {
      messages.add(QueueJson.summary(showRecipients ? m : AddressMask.mask(m)));
    }
    overview.put("messages", messages);
    return overview;
  }

  /**
   * One message with its recipients and attempts ({@link QueueJson#details}), or null (404) when
   * there is none or the id is malformed; recipients masked unless shown.
   *
   * @param id the message id, a UUID as listed by the overview
   * @return the message as a JSON document, or {@code null} (answered as 404) when there is none or
   *     {@code id} is malformed
   */
  @ReadOperation
  public @Nullable Map<String, Object> message(@Selector String id) {
    MessageId messageId;
    try {
      messageId = MessageId.parse(id);
    } catch (RuntimeException e) {
      return null;
    }
    return queue
        .admin()
        .show(messageId)
        .map(d -> QueueJson.details(showRecipients ? d : AddressMask.mask(d)))
        .orElse(null);
  }

  /** The id, or a 400 answer saying what an id looks like. */
  static MessageId messageId(String id) {
    try {
      return MessageId.parse(id);
    } catch (RuntimeException e) {
      throw new InvalidEndpointRequestException(
          e.getMessage() + ": expected a UUID such as " + "0190a4c6-1c2b-7d3e-8f40-5a6b7c8d9e0f",
          "Invalid message id");
    }
  }

  private static MessageState state(String name) {
    try {
      return MessageState.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidEndpointRequestException(
          "unknown state '"
              + name
              + "': expected one of "
              + Arrays.stream(MessageState.values())
                  .map(s -> s.name().toLowerCase(Locale.ROOT))
                  .toList(),
          "Invalid state");
    }
  }
}
