package dev.mailqueue;

/**
 * What {@link MailQueueAdmin#erase} removed for one address.
 *
 * @param messagesErased messages addressed to it or sent by it that were deleted with their bodies,
 *     recipients and attempt history
 * @param messagesBeingSent messages that were being sent at that moment and were left alone: erase
 *     again once they have finished (within the lease)
 * @param suppressionRemoved whether its suppression list entry was removed
 */
public record Erasure(int messagesErased, int messagesBeingSent, boolean suppressionRemoved) {
  /** {@return whether nothing of the address is left in the store} */
  public boolean complete() {
    return messagesBeingSent == 0;
  }
}
