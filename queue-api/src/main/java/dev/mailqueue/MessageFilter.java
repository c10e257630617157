package dev.mailqueue;

import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which messages an administrative operation applies to, like the selection arguments of {@code
 * postqueue}/{@code postsuper}. Every criterion is optional; the set criteria are ANDed. Immutable;
 * build one with {@link #builder()} or start from {@link #all()}.
 *
 * <p>Paging ({@link #limit()}, {@link #offset()}, {@link #after()}) applies to listing only: bulk
 * operations (hold, release, retry, expire, delete) act on every matching message.
 *
 * @param ids only these messages (empty: any)
 * @param states only messages in one of these states (empty: any)
 * @param tag only this tag, or {@code null}
 * @param sender only this envelope sender (exact address), or {@code null}
 * @param recipientDomain only messages with a recipient in this domain (A-label, lower case), or
 *     {@code null}
 * @param olderThan only messages enqueued at least this long ago (database clock), or {@code null}
 * @param youngerThan only messages enqueued less than this long ago, or {@code null}
 * @param lastReplyCode only messages whose last attempt's reply had this code, or {@code null}
 * @param lastReplyLike an SQL LIKE pattern on the last reply's text, with {@code !} as the escape
 *     character (see {@link Builder#lastReplyContains}), or {@code null}
 * @param limit at most this many rows when listing: 1 to {@value #MAX_LIMIT}
 * @param offset rows to skip when listing (offset paging)
 * @param after list only ids after this one (keyset paging; list order is by id), or {@code null}
 */
public record MessageFilter(
    Set<MessageId> ids,
    Set<MessageState> states,
    @Nullable String tag,
    @Nullable String sender,
    @Nullable String recipientDomain,
    @Nullable Duration olderThan,
    @Nullable Duration youngerThan,
    @Nullable Integer lastReplyCode,
    @Nullable String lastReplyLike,
    int limit,
    long offset,
    @Nullable MessageId after) {
  /** Rows listed when no limit is set: 100. */
  public static final int DEFAULT_LIMIT = 100;

  /** Most rows one listing returns: 10,000. */
  public static final int MAX_LIMIT = 10_000;

  /** The escape character in {@link #lastReplyLike()} patterns. */
  public static final char LIKE_ESCAPE = '!';

  /**
   * Validates ranges and copies the sets.
   *
   * @param ids only these messages (empty: any)
   * @param states only messages in one of these states (empty: any)
   * @param tag only this tag, or {@code null}
   * @param sender only this envelope sender, or {@code null}
   * @param recipientDomain only messages with a recipient in this domain, or {@code null}
   * @param olderThan the least age, not negative, or {@code null}
   * @param youngerThan the age bound, not negative, or {@code null}
   * @param lastReplyCode the last reply's code, 200 to 599, or {@code null}
   * @param lastReplyLike the LIKE pattern on the last reply's text, or {@code null}
   * @param limit the most rows listed, 1 to {@value #MAX_LIMIT}
   * @param offset the rows skipped when listing, not negative
   * @param after the id listing starts after, or {@code null}
   * @throws IllegalArgumentException if {@code limit}, {@code offset}, an age or {@code
   *     lastReplyCode} is out of range
   */
  public MessageFilter {
    ids = Set.copyOf(ids);
    states = states.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(states));
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ": " + limit);
    }
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative: " + offset);
    }
    requireNotNegative(olderThan, "olderThan");
    requireNotNegative(youngerThan, "youngerThan");
    if (lastReplyCode != null && (lastReplyCode < 200 || lastReplyCode > 599)) {
      throw new IllegalArgumentException(
          "lastReplyCode must be an SMTP code 200..599: " + lastReplyCode);
    }
  }

  /** {@return every message (the first {@value #DEFAULT_LIMIT} when listing)} */
  public static MessageFilter all() {
    return builder().build();
  }

  /**
   * Exactly these messages.
   *
   * @param ids the messages' ids
   * @return a filter matching these messages only
   */
  public static MessageFilter ids(MessageId... ids) {
    return builder().ids(java.util.List.of(ids)).build();
  }

  /**
   * Messages in one of these states.
   *
   * @param first one of the states
   * @param more further states
   * @return a filter matching messages in one of these states
   */
  public static MessageFilter state(MessageState first, MessageState... more) {
    return builder().states(EnumSet.of(first, more)).build();
  }

  /** {@return a builder with no criteria} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return a builder starting from this filter's criteria} */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.ids.addAll(ids);
    b.states.addAll(states);
    b.tag = tag;
    b.sender = sender;
    b.recipientDomain = recipientDomain;
    b.olderThan = olderThan;
    b.youngerThan = youngerThan;
    b.lastReplyCode = lastReplyCode;
    b.lastReplyLike = lastReplyLike;
    b.limit = limit;
    b.offset = offset;
    b.after = after;
    return b;
  }

  /**
   * Escapes {@code %}, {@code _} and {@code !} so that {@code text} matches literally in a LIKE
   * pattern.
   *
   * @param text the literal text
   * @return {@code text} with {@code %}, {@code _} and {@code !} preceded by {@code !}
   */
  public static String likeLiteral(String text) {
    StringBuilder sb = new StringBuilder(text.length() + 4);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%' || c == '_' || c == LIKE_ESCAPE) {
        sb.append(LIKE_ESCAPE);
      }
      sb.append(c);
    }
    return sb.toString();
  }

  private static void requireNotNegative(Duration d, String name) {
    if (d != null && d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + d);
    }
  }

  /** Builds a {@link MessageFilter}. Not thread-safe. */
  public static final class Builder {
    private final Set<MessageId> ids = new LinkedHashSet<>();
    private final Set<MessageState> states = EnumSet.noneOf(MessageState.class);
    private String tag;
    private String sender;
    private String recipientDomain;
    private Duration olderThan;
    private Duration youngerThan;
    private Integer lastReplyCode;
    private String lastReplyLike;
    private int limit = DEFAULT_LIMIT;
    private long offset;
    private MessageId after;

    private Builder() {}

    /**
     * Adds messages by id. None by default (any id).
     *
     * @param ids the ids; none may be null
     * @return this builder
     */
    public Builder ids(Collection<MessageId> ids) {
      for (MessageId id : ids) {
        this.ids.add(Objects.requireNonNull(id, "id"));
      }
      return this;
    }

    /**
     * Adds states. None by default (any state).
     *
     * @param states the states added to those already set
     * @return this builder
     */
    public Builder states(Collection<MessageState> states) {
      this.states.addAll(states);
      return this;
    }

    /**
     * Adds a state.
     *
     * @param state the state, not {@code null}
     * @return this builder
     */
    public Builder state(MessageState state) {
      this.states.add(Objects.requireNonNull(state, "state"));
      return this;
    }

    /**
     * Only this tag. Any by default.
     *
     * @param tag the tag, or {@code null} for any
     * @return this builder
     */
    public Builder tag(String tag) {
      this.tag = tag;
      return this;
    }

    /**
     * Only this envelope sender, compared exactly. Any by default.
     *
     * @param sender the envelope sender's address, or {@code null} for any
     * @return this builder
     */
    public Builder sender(String sender) {
      this.sender = sender;
      return this;
    }

    /**
     * Only messages with a recipient in this domain; lower-cased. Any by default.
     *
     * @param domain the domain (A-label), or {@code null} for any
     * @return this builder
     */
    public Builder recipientDomain(String domain) {
      this.recipientDomain = domain == null ? null : domain.toLowerCase(java.util.Locale.ROOT);
      return this;
    }

    /**
     * Only messages at least this old. No bound by default.
     *
     * @param age the least age since enqueue, not negative, or {@code null} for no bound
     * @return this builder
     */
    public Builder olderThan(Duration age) {
      this.olderThan = age;
      return this;
    }

    /**
     * Only messages younger than this. No bound by default.
     *
     * @param age the age since enqueue that matching messages stay below, not negative, or {@code
     *     null} for no bound
     * @return this builder
     */
    public Builder youngerThan(Duration age) {
      this.youngerThan = age;
      return this;
    }

    /**
     * Only messages whose last reply had this code. Any by default.
     *
     * @param code an SMTP reply code 200 to 599, or {@code null} for any
     * @return this builder
     */
    public Builder lastReplyCode(Integer code) {
      this.lastReplyCode = code;
      return this;
    }

    /**
     * A raw LIKE pattern on the last reply text ({@code !} escapes). None by default.
     *
     * @param pattern the LIKE pattern, {@code %} and {@code _} as wildcards, or {@code null} for
     *     none
     * @return this builder
     */
    public Builder lastReplyLike(String pattern) {
      this.lastReplyLike = pattern;
      return this;
    }

    /**
     * Last reply text containing {@code text} literally (wildcards in it are escaped).
     *
     * @param text the text, or {@code null} for none; replaces any {@link #lastReplyLike} pattern
     * @return this builder
     */
    public Builder lastReplyContains(String text) {
      this.lastReplyLike = text == null ? null : "%" + likeLiteral(text) + "%";
      return this;
    }

    /**
     * At most this many rows when listing. Defaults to {@value MessageFilter#DEFAULT_LIMIT}.
     *
     * @param limit the most rows, 1 to {@value MessageFilter#MAX_LIMIT}; checked by {@link
     *     #build()}
     * @return this builder
     */
    public Builder limit(int limit) {
      this.limit = limit;
      return this;
    }

    /**
     * Rows to skip when listing. Defaults to 0.
     *
     * @param offset the rows skipped, not negative; checked by {@link #build()}
     * @return this builder
     */
    public Builder offset(long offset) {
      this.offset = offset;
      return this;
    }

    /**
     * Keyset paging: only ids after this one, e.g. the last id of the previous page. None by
     * default.
     *
     * @param id the last id already listed, or {@code null} for none
     * @return this builder
     */
    public Builder after(MessageId id) {
      this.after = id;
      return this;
    }

    /**
     * Builds the filter.
     *
     * @return the filter
     * @throws IllegalArgumentException if the limit, the offset, an age or the reply code is out of
     *     range
     */
    public MessageFilter build() {
      return new MessageFilter(
          ids,
          states,
          tag,
          sender,
          recipientDomain,
          olderThan,
          youngerThan,
          lastReplyCode,
          lastReplyLike,
          limit,
          offset,
          after);
    }
  }
}
