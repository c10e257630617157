package dev.mailqueue.spi;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueStats;
import dev.mailqueue.ReplyCount;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where messages live between enqueue and their final state. The engine is the only caller; every
 * method is thread-safe. All times are taken from the store's own clock (the database), never from
 * the JVM, so that nodes with skewed clocks agree.
 */
public interface MailStore extends AutoCloseable {
  /** Prepares the store (schema check or creation); called once before any other method. */
  void start();

  /**
   * Inserts in the caller's transaction on {@code connection}; never commits, rolls back, closes or
   * changes auto-commit. With an idempotency key already present, inserts nothing and returns the
   * existing message's id.
   *
   * @param connection the caller's connection, inside the caller's transaction
   * @param mail the rendered mail
   * @return the new message's id, or the existing one's for a known idempotency key
   */
  MessageId insert(Connection connection, QueuedMail mail);

  /**
   * Inserts in a transaction of the store's own, committed before returning. Same idempotency as
   * above.
   *
   * @param mail the rendered mail
   * @return the new message's id, or the existing one's for a known idempotency key
   */
  MessageId insert(QueuedMail mail);

  /**
   * Inserts several in the caller's transaction, in order; ids as for {@link #insert(Connection,
   * QueuedMail)}.
   *
   * @param connection the caller's connection, inside the caller's transaction
   * @param mails the rendered mails
   * @return the ids in the order of {@code mails}
   */
  default List<MessageId> insertAll(Connection connection, List<QueuedMail> mails) {
    List<MessageId> ids = new java.util.ArrayList<>(mails.size());
    for (QueuedMail m : mails) {
      ids.add(insert(connection, m));
    }
    return ids;
  }

  /**
   * Inserts several in one transaction of the store's own: all or none.
   *
   * @param mails the rendered mails
   * @return the ids in the order of {@code mails}, as for {@link #insert(QueuedMail)}
   */
  List<MessageId> insertAll(List<QueuedMail> mails);

  /**
   * Leases up to {@code limit} due messages to {@code owner} for {@code lease}, highest priority
   * first, then oldest due time; a message is leased to one owner at a time. A message whose lease
   * expired is due again. A store may read small bodies with the claim ({@link
   * ClaimedMail#preloadedMime()}); the engine calls {@link #loadMime} for the others.
   *
   * @param owner the worker id recorded in the lease
   * @param limit the most messages leased
   * @param lease how long the lease lasts, from the store's clock
   * @return the leased messages, possibly none
   */
  List<ClaimedMail> claim(String owner, int limit, Duration lease);

  /**
   * Reads the MIME bytes of a message.
   *
   * @param id the message's id
   * @return the MIME bytes as stored at enqueue
   */
  byte[] loadMime(MessageId id);

  /**
   * Extends a lease to {@code lease} from now; false if the lease was lost (the message was claimed
   * again).
   *
   * @param mail the claim whose lease is extended
   * @param lease the new lease, from the store's clock
   * @return whether the lease is still this claim's
   */
  boolean renewLease(ClaimedMail mail, Duration lease);

  /**
   * Records the result of an attempt, atomically; false, with nothing written, if the lease was
   * lost (fencing: a stale worker can neither complete nor overwrite the message) or this claim was
   * already completed (a retried completion after an unanswered commit counts once).
   *
   * @param mail the claim the attempt was made under
   * @param completion what the attempt did
   * @return whether the attempt was recorded
   */
  boolean complete(ClaimedMail mail, Completion completion);

  /**
   * Whether the attempt of this claim is recorded. After {@link #completeAll} failed with an error
   * that may have come after its commit (a connection lost while the reply to COMMIT was on its
   * way), a repeated {@link #complete} returns false either way; this tells "recorded by the first
   * try" from "lease lost". Defaults to false: unknown.
   *
   * @param mail the claim
   * @return whether its attempt is recorded; false when it is not or when the store cannot tell
   */
  default boolean isCompleted(ClaimedMail mail) {
    return false;
  }

  /**
   * Records several attempts in one transaction (group commit), each fenced like {@link #complete};
   * the result says, per attempt in order, whether it was recorded. A store that cannot batch may
   * record them one by one (the default).
   *
   * @param mails the claims
   * @param completions what each attempt did, one per claim in the same order
   * @return per claim in order, whether its attempt was recorded
   * @throws IllegalArgumentException if the two lists differ in size
   */
  default List<Boolean> completeAll(List<ClaimedMail> mails, List<Completion> completions) {
    if (mails.size() != completions.size()) {
      throw new IllegalArgumentException("one completion per mail");
    }
    List<Boolean> recorded = new java.util.ArrayList<>(mails.size());
    for (int i = 0; i < mails.size(); i++) {
      recorded.add(complete(mails.get(i), completions.get(i)));
    }
    return recorded;
  }

  /**
   * Gives leased messages back unchanged (due now, attempt not counted), e.g. on shutdown.
   *
   * @param mails the claims given back
   */
  void release(List<ClaimedMail> mails);

  /** {@return counts by state and the oldest unfinished message's age} */
  QueueStats stats();

  /**
   * Recipient counts grouped by status and last reply, most frequent first, at most {@code limit}
   * rows.
   *
   * @param limit the most rows
   * @return the groups, most frequent first
   */
  List<ReplyCount> replyCounts(int limit);

  /**
   * One message with its recipients, if present.
   *
   * @param id the message's id
   * @return the message, or empty if there is none with this id
   */
  Optional<MessageView> find(MessageId id);

  /**
   * Registers a callback the store runs when another process enqueued a message (for example
   * through PostgreSQL LISTEN/NOTIFY). Stores without such a channel ignore it; the engine polls.
   *
   * @param wakeUp the callback; fast and non-blocking, may run on a thread of the store
   */
  default void onRemoteEnqueue(Runnable wakeUp) {}

  /**
   * Deletes finished messages older than {@code age}, at most {@code batch} per call; returns how
   * many.
   *
   * @param age how long after finishing a message is kept
   * @param batch the most messages deleted in this call
   * @return how many messages were deleted
   */
  int purgeFinished(Duration age, int batch);

  /**
   * The administrative view of this store (inspection, hold/release, suppression list). Stores
   * without one throw {@link UnsupportedOperationException} (the default).
   *
   * @return the administrative view
   * @throws UnsupportedOperationException if the store has none
   */
  default MailQueueAdmin admin() {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " has no administrative interface");
  }

  /**
   * Releases resources the store created itself (a pool it opened); a DataSource it was given stays
   * open.
   */
  @Override
  void close();
}
