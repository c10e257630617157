package dev.mailqueue;

import java.util.List;

/**
 * One message with everything the queue recorded about it, like {@code postcat -q} plus its log.
 *
 * @param message the message and its recipients with their last replies
 * @param sizeBytes the size of the rendered message
 * @param attempts every recorded attempt, oldest first
 */
public record MessageDetails(MessageView message, int sizeBytes, List<AttemptView> attempts) {
  /** Copies the list. */
  public MessageDetails {
    attempts = List.copyOf(attempts);
  }
}
