package dev.mailqueue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Operating the queue like a postmaster: inspect ({@code postqueue -p}, {@code qshape}), hold,
 * release, requeue and delete ({@code postsuper -h/-H/-r/-d}), and keep a suppression list. Obtain
 * it from {@link MailQueue#admin()} or from the store (e.g. {@code JdbcMailStore.admin()}), which
 * works without a running queue, e.g. from a command line tool.
 *
 * <p>Every operation is applied in the database with the database clock and is safe while workers
 * of any number of nodes are delivering: a message being sent (state {@link MessageState#SENDING})
 * is never held, released, retried or expired; the operations that change state return how many
 * messages they changed. Bulk operations take a {@link MessageFilter} and ignore its paging.
 * Thread-safe.
 */
public interface MailQueueAdmin {

  /**
   * Messages matching {@code filter}, ordered by id (enqueue order), paged by the filter.
   *
   * @param filter which messages, and the page
   * @return the page of matching messages
   */
  List<MessageSummary> list(MessageFilter filter);

  /**
   * How many messages match {@code filter} (paging ignored).
   *
   * @param filter which messages
   * @return the number of matching messages
   */
  long count(MessageFilter filter);

  /**
   * One message with its recipients and its full attempt history, if present.
   *
   * @param id the message's id
   * @return the message, or empty if there is none with this id
   */
  Optional<MessageDetails> show(MessageId id);

  /**
   * The messages among {@code ids} that exist, with their Message-IDs and recipients, in the order
   * of {@code ids}: what a listing shows beside each {@link MessageSummary}. The default calls
   * {@link #show} per id; stores answer in one round trip.
   *
   * @param ids the messages' ids
   * @return the views of those that exist, in the order of {@code ids}
   */
  default List<MessageView> views(List<MessageId> ids) {
    List<MessageView> views = new ArrayList<>();
    for (MessageId id : ids) {
      show(id).ifPresent(d -> views.add(d.message()));
    }
    return views;
  }

  /**
   * The message as stored, in RFC 5322 form (CRLF line ends, Bcc already removed), like {@code
   * postcat -q}; empty when there is no such message, or when its body was dropped after delivery
   * (stores that do not retain bodies drop them when the message is finished). The default has no
   * access to bodies and is always empty.
   *
   * @param id the message's id
   * @return the stored message's bytes, or empty
   */
  default Optional<byte[]> content(MessageId id) {
    return Optional.empty();
  }

  /**
   * Holds matching QUEUED or DEFERRED messages: state {@link MessageState#HOLD}, never due, so no
   * worker claims them until released.
   *
   * @param filter which messages; paging ignored
   * @return how many messages were held
   */
  int hold(MessageFilter filter);

  /**
   * Releases matching held messages: back to QUEUED (never tried) or DEFERRED, due now.
   *
   * @param filter which messages; paging ignored
   * @return how many messages were released
   */
  int release(MessageFilter filter);

  /**
   * Makes matching QUEUED or DEFERRED messages due now instead of at their scheduled retry, like
   * {@code postqueue -f} / {@code postsuper -r}.
   *
   * @param filter which messages; paging ignored
   * @return how many messages were made due (messages already due are not counted)
   */
  int retryNow(MessageFilter filter);

  /**
   * Gives up on matching QUEUED, DEFERRED or HOLD messages: their pending recipients become {@link
   * RecipientStatus#EXPIRED} and the message {@link MessageState#EXPIRED}. No listener is told.
   *
   * @param filter which messages; paging ignored
   * @return how many messages were expired
   */
  int expire(MessageFilter filter);

  /**
   * Deletes matching messages with their recipients, body and attempts, in any state. A message
   * being sent right now may still reach its recipients; its outcome is then not recorded.
   *
   * @param filter which messages; paging ignored
   * @return how many messages were deleted
   */
  int delete(MessageFilter filter);

  /**
   * Holds one message.
   *
   * @param id the message's id
   * @return whether it was held: false if there is no such message or it is not QUEUED or DEFERRED
   */
  default boolean hold(MessageId id) {
    return hold(MessageFilter.ids(id)) == 1;
  }

  /**
   * Releases one held message.
   *
   * @param id the message's id
   * @return whether it was released: false if there is no such message or it is not held
   */
  default boolean release(MessageId id) {
    return release(MessageFilter.ids(id)) == 1;
  }

  /**
   * Makes one waiting message due now.
   *
   * @param id the message's id
   * @return whether it was made due: false if there is no such message, it is not QUEUED or
   *     DEFERRED, or it was due already
   */
  default boolean retryNow(MessageId id) {
    return retryNow(MessageFilter.ids(id)) == 1;
  }

  /**
   * Expires one unfinished message.
   *
   * @param id the message's id
   * @return whether it was expired: false if there is no such message or it is finished or being
   *     sent
   */
  default boolean expire(MessageId id) {
    return expire(MessageFilter.ids(id)) == 1;
  }

  /**
   * Deletes one message.
   *
   * @param id the message's id
   * @return whether it was deleted: false if there is no such message
   */
  default boolean delete(MessageId id) {
    return delete(MessageFilter.ids(id)) == 1;
  }

  /**
   * Unfinished messages in {@code states} per recipient domain and age, like {@code qshape}; at
   * most {@code maxDomains} domain rows (the largest), the total covering all.
   *
   * @param states the states counted
   * @param maxDomains the most domain rows returned
   * @return the counts per domain and age bucket
   */
  QueueShape shape(Set<MessageState> states, int maxDomains);

  /**
   * {@return the shape of every unfinished message (QUEUED, DEFERRED, SENDING, HOLD), top 50
   * domains}
   */
  default QueueShape shape() {
    return shape(
        EnumSet.of(
            MessageState.QUEUED, MessageState.DEFERRED, MessageState.SENDING, MessageState.HOLD),
        50);
  }

  /** {@return counts by state and the oldest unfinished message's age} */
  QueueStats stats();

  /**
   * Judges {@link #stats()} against {@code thresholds}.
   *
   * @param thresholds the limits beyond which the queue is degraded
   * @return the status and why
   */
  default QueueHealth health(HealthThresholds thresholds) {
    return QueueHealth.of(stats(), thresholds);
  }

  /**
   * Adds (or replaces) an address on the suppression list; from now on, mail enqueued to it is not
   * sent to it. Its pending recipients in mail already queued (queued, deferred or held) are
   * suppressed too, in the same transaction; a message being sent at that moment (state {@link
   * MessageState#SENDING}, under a worker's lease) is left to finish its attempt. A queued or
   * deferred message left with no pending recipient is made due at once, so that the queue records
   * it finished and tells its listener without waiting for its retry time.
   *
   * @param address the address (compared case-insensitively)
   * @param reason why, e.g. {@code "complaint"}; {@code null} records {@link Suppression#MANUAL}
   * @param ttl how long it applies, or {@code null} for ever
   */
  default void suppress(String address, @Nullable String reason, @Nullable Duration ttl) {
    suppress(address, null, reason, ttl);
  }

  /**
   * Adds (or replaces) the entry of an address for one scope: a {@linkplain Mail.Builder#tag tag}
   * suppresses only mail with that tag (mail already queued included, as {@link #suppress(String,
   * String, Duration)} describes), so that a customer who left the newsletter still gets receipts;
   * {@code null} (or {@link UnsubscribeTokens#ALL_MAIL}) suppresses all mail, like {@link
   * #suppress(String, String, Duration)}.
   *
   * @param address the address (compared case-insensitively)
   * @param scope the tag of the mail to suppress, or {@code null} for all mail
   * @param reason why, e.g. {@code "unsubscribed"}; {@code null} records {@link Suppression#MANUAL}
   * @param ttl how long it applies, or {@code null} for ever
   * @throws IllegalArgumentException if the scope is neither a tag nor all mail
   */
  void suppress(
      String address, @Nullable String scope, @Nullable String reason, @Nullable Duration ttl);

  /**
   * Removes an address from the suppression list, every scope of it; false if it was not on it.
   *
   * @param address the address (compared case-insensitively)
   * @return whether the address was on the list
   */
  boolean unsuppress(String address);

  /**
   * The entry of an address for all mail if it is on the list and not expired (entries for one tag
   * are not looked at: see {@link #suppression(String, String)}).
   *
   * @param address the address (compared case-insensitively)
   * @return the entry, or empty if the address is not on the list or its entry expired
   */
  Optional<Suppression> suppression(String address);

  /**
   * The entry of an address for one scope if it is on the list and not expired. The entry for all
   * mail does not answer for a tag: ask for both to know whether mail with that tag is suppressed.
   *
   * @param address the address (compared case-insensitively)
   * @param scope the tag, or {@code null} for the entry for all mail
   * @return the entry, or empty
   * @throws IllegalArgumentException if the scope is neither a tag nor all mail
   */
  Optional<Suppression> suppression(String address, @Nullable String scope);

  /**
   * Entries in effect (not expired), ordered by address then scope, of the addresses after {@code
   * afterAddress} (null: from the start). An address's entries for several scopes may be split
   * between pages: page with {@link #suppressionsAfter(Suppression, int)} to be sure to see them
   * all.
   *
   * @param afterAddress the last address of the previous page, or {@code null} for the first page
   * @param limit the most entries returned
   * @return the entries, ordered by address
   */
  List<Suppression> suppressions(@Nullable String afterAddress, int limit);

  /**
   * Entries in effect (not expired), ordered by address then scope, after the entry {@code after}
   * (the last of the previous page; null: from the start). Unlike {@link #suppressions(String,
   * int)}, a page may end between two entries of one address without losing the next.
   *
   * @param after the last entry of the previous page, or {@code null} for the first page
   * @param limit the most entries returned
   * @return the entries, ordered by address then scope
   */
  List<Suppression> suppressionsAfter(@Nullable Suppression after, int limit);

  /**
   * Erases every trace of one address, for a data subject's request (GDPR Art. 17): every message
   * addressed to it (among any recipients) or sent by it is deleted whatever its state, with its
   * body, recipients and attempt history, and its suppression list entry is removed. A pending
   * message to several recipients is deleted too, so the others do not get it either. A message
   * being sent at this moment is left alone and counted in the result: erase again after it
   * finished. Addresses are compared case-insensitively. Runs in one transaction; it scans the
   * recipients, so it is meant for occasional use, not for every request.
   *
   * @param address the address whose traces are erased
   * @return what was deleted, and how many messages were left because they were being sent
   * @throws InvalidMailException if {@code address} is not an address
   */
  Erasure erase(String address);
}
