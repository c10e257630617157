package dev.mailqueue;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the queue, like {@code postqueue -p} summarised.
 *
 * @param countsByState messages per state (every state present, zero when none)
 * @param oldestWaiting age of the oldest message not yet finished (QUEUED, DEFERRED, SENDING or
 *     HOLD), or {@link Duration#ZERO} when there is none
 */
public record QueueStats(Map<MessageState, Long> countsByState, Duration oldestWaiting) {
  /**
   * Copies the counts, filling absent states with zero.
   *
   * @param countsByState messages per state (every state present, zero when none)
   * @param oldestWaiting age of the oldest message not yet finished (QUEUED, DEFERRED, SENDING or
   *     HOLD), or {@link Duration#ZERO} when there is none
   */
  public QueueStats {
    Map<MessageState, Long> all = new EnumMap<>(MessageState.class);
    for (MessageState s : MessageState.values()) {
      all.put(s, countsByState.getOrDefault(s, 0L));
    }
    countsByState = java.util.Collections.unmodifiableMap(all);
  }

  /**
   * The count for one state.
   *
   * @param state the state
   * @return how many messages are in it, 0 if none
   */
  public long count(MessageState state) {
    return countsByState.get(state);
  }

  /** {@return messages not finished yet: queued, deferred, sending or held} */
  public long backlog() {
    return count(MessageState.QUEUED)
        + count(MessageState.DEFERRED)
        + count(MessageState.SENDING)
        + count(MessageState.HOLD);
  }
}
