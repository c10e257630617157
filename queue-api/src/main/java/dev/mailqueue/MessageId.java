package dev.mailqueue;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.UUID;

/**
 * The queue's identifier of one message: a time-ordered UUID (version 7) assigned at enqueue, so
 * that ids created close in time sit close together in database indexes.
 *
 * @param value the UUID
 */
public record MessageId(UUID value) implements Comparable<MessageId> {
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Validates that the value is present.
   *
   * @param value the UUID
   */
  public MessageId {
    Objects.requireNonNull(value, "value");
  }

  /** {@return a new, unique, time-ordered id} Thread-safe. */
  public static MessageId generate() {
    long millis = System.currentTimeMillis();
    long randA = RANDOM.nextInt(1 << 12);
    long msb = (millis << 16) | 0x7000L | randA;
    long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new MessageId(new UUID(msb, lsb));
  }

  /**
   * Parses the canonical string form, e.g. {@code 0190a4c6-...}.
   *
   * @param text the id as {@link #toString()} writes it; surrounding whitespace is ignored
   * @return the id
   * @throws MailQueueException if the text is not a message id
   */
  public static MessageId parse(String text) {
    try {
      return new MessageId(UUID.fromString(text.trim()));
    } catch (IllegalArgumentException e) {
      throw new MailQueueException("not a message id: '" + text + "'", e);
    }
  }

  @Override
  public int compareTo(MessageId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value.toString();
  }
}
