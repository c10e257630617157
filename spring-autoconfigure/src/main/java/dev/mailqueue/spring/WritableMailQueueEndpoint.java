package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code mailqueue} endpoint with operations that change one message, registered instead of
 * {@link MailQueueEndpoint} only when {@code mailqueue.endpoint.write-enabled=true}; without it
 * these operations do not exist (a POST or DELETE is answered 405), and with it they are reached
 * only with unrestricted access (below). In addition to the reads:
 *
 * <ul>
 *   <li>{@code POST /actuator/mailqueue/{id}} with {@code {"action": "hold"}}, {@code "release"},
 *       {@code "retry"} (due now) or {@code "expire"}, as {@link MailQueueAdmin} does them; a
 *       message released or retried wakes this node's workers, so it is tried at once;
 *   <li>{@code DELETE /actuator/mailqueue/{id}} deletes the message with its history.
 * </ul>
 *
 * Each answers whether the message changed and the state it is in afterwards, so an operation the
 * state does not allow (e.g. holding a message being sent) says why nothing happened.
 *
 * <p>Its default access is {@link Access#READ_ONLY}: exposing the endpoint ({@code
 * management.endpoints.web.exposure.include=mailqueue}) exposes its reads only, and Boot leaves
 * these operations out (a POST or DELETE is answered 405, the JMX operations are absent) until the
 * application grants {@code management.endpoint.mailqueue.access=unrestricted} (or {@code
 * management.endpoints.access.default=unrestricted}), within {@code
 * management.endpoints.access.max-permitted}. Grant it only where the actuator is behind
 * authentication, as for any endpoint that changes data.
 */
@Endpoint(id = "mailqueue", defaultAccess = Access.READ_ONLY)
public class WritableMailQueueEndpoint extends MailQueueEndpoint {

  /**
   * Reads and changes {@code queue}, with recipient addresses masked in what it reads.
   *
   * @param queue the queue to read and change; not null
   */
  public WritableMailQueueEndpoint(MailQueue queue) {
    super(queue);
  }

  /**
   * Reads and changes {@code queue}.
   *
   * @param queue the queue to read and change; not null
   * @param showRecipients whether the reads show recipient addresses as they are; see {@link
   *     MailQueueEndpoint#MailQueueEndpoint(MailQueue, boolean)}
   */
  public WritableMailQueueEndpoint(MailQueue queue, boolean showRecipients) {
    super(queue, showRecipients);
  }

  /**
   * Applies {@code action} to one message.
   *
   * @param id the message id
   * @param action {@code hold}, {@code release}, {@code retry} or {@code expire} (case-insensitive)
   * @return whether the message changed and its state afterwards
   */
  @WriteOperation
  public ActionResult change(@Selector String id, String action) {
    MessageId messageId = messageId(id);
    MailQueueAdmin admin = queue.admin();
    String name = action.trim().toLowerCase(Locale.ROOT);
    boolean changed =
        switch (name) {
          case "hold" -> admin.hold(messageId);
          case "release" -> wakeUpIf(admin.release(messageId));
          case "retry" -> wakeUpIf(admin.retryNow(messageId));
          case "expire" -> admin.expire(messageId);
          default ->
              throw new InvalidEndpointRequestException(
                  "unknown action '"
                      + action
                      + "': expected hold, release, retry or expire (DELETE the message to delete it)",
                  "Invalid action");
        };
    return result(messageId, name, changed);
  }

  /**
   * Deletes one message with its recipients, body and attempts, in any state.
   *
   * @param id the message id; a malformed one is answered with 400
   * @return whether a message was deleted ({@code changed}); its state is then {@code null}
   */
  @DeleteOperation
  public ActionResult delete(@Selector String id) {
    MessageId messageId = messageId(id);
    return result(messageId, "delete", queue.admin().delete(messageId));
  }

  /** Lets this node's workers find a message made due at once rather than at their next poll. */
  private boolean wakeUpIf(boolean madeDue) {
    if (madeDue) {
      queue.wakeUp();
    }
    return madeDue;
  }

  private ActionResult result(MessageId id, String action, boolean changed) {
    String state =
        queue
            .find(id)
            .map(MessageView::state)
            .map(s -> s.name().toLowerCase(Locale.ROOT))
            .orElse(null);
    return new ActionResult(id.toString(), action, changed, state);
  }

  /**
   * What an operation did.
   *
   * @param id the message id
   * @param action the operation
   * @param changed whether the message changed; false when its state does not allow the operation
   *     or there is no such message
   * @param state the message's lower-case state afterwards, or {@code null} when there is none
   */
  public record ActionResult(String id, String action, boolean changed, @Nullable String state) {}
}
