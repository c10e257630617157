package dev.mailqueue.jdbc;

import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.Suppression;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import dev.mailqueue.spi.Completion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Update;

/**
 * Completions: the dialect's fenced write of a group, and in the same transaction the hard bounces
 * put on the suppression list and the bodies of delivered mail emptied.
 */
final class Completer {
  private final Jdbi jdbi;
  private final Dialect dialect;
  private final WriteTransactions transactions;
  private final Set<String> suppressOnBounce;

  /** How long a hard bounce suppresses its address, or null for ever. */
  private final Duration bounceSuppressionTtl;

  private final boolean retainBodies;

  /** Followed by the id list. Parameters: empty bytes, ids. */
  private final String eraseBodiesHead;

  private final String countAttempts;

  Completer(
      Jdbi jdbi,
      Dialect dialect,
      WriteTransactions transactions,
      Set<String> suppressOnBounce,
      Duration bounceSuppressionTtl,
      boolean retainBodies) {
    this.jdbi = jdbi;
    this.dialect = dialect;
    this.transactions = transactions;
    this.suppressOnBounce = Set.copyOf(suppressOnBounce);
    this.bounceSuppressionTtl = bounceSuppressionTtl;
    this.retainBodies = retainBodies;
    this.eraseBodiesHead = dialect.fill("UPDATE {p}body SET mime = ? WHERE ");
    this.countAttempts =
        dialect.fill("SELECT COUNT(*) FROM {p}attempt WHERE message_id = ? AND lease_token = ?");
  }

  /** One transaction for the whole group: one commit instead of one per message. */
  List<Boolean> completeAll(List<ClaimedMail> mails, List<Completion> completions) {
    if (mails.size() != completions.size()) {
      throw new IllegalArgumentException("one completion per mail");
    }
    if (mails.isEmpty()) {
      return List.of();
    }
    return transactions.run(
        h -> {
          List<Boolean> recorded = dialect.complete(h, mails, completions);
          suppressHardBounces(h, mails, completions, recorded);
          if (!retainBodies) {
            eraseDeliveredBodies(h, mails, completions, recorded);
          }
          return recorded;
        });
  }

  /**
   * Puts recipients that bounced with one of the configured enhanced codes on the suppression list,
   * in the completion's transaction; addresses sorted so concurrent completers lock in order.
   */
  private void suppressHardBounces(
      Handle h, List<ClaimedMail> mails, List<Completion> completions, List<Boolean> recorded) {
    if (suppressOnBounce.isEmpty()) {
      return;
    }
    TreeMap<String, SmtpReply> hard = new TreeMap<>();
    for (int i = 0; i < mails.size(); i++) {
      if (!recorded.get(i)) {
        continue;
      }
      for (Completion.RecipientUpdate r : completions.get(i).recipients()) {
        if (r.status() == RecipientStatus.BOUNCED
            // a block against the sender says nothing about the address (issue 20: Postal
            // suppressed good addresses after "550 5.7.1" reputation blocks)
            && r.block() == null
            && r.reply() != null
            && r.reply().isPermanent()
            // a 5xx without an enhanced code (plain "550 No such user") suppresses nothing:
            // Set.of(...) would
            // throw on contains(null), and the outcome could never be recorded
            && r.reply().enhancedStatus() != null
            && suppressOnBounce.contains(r.reply().enhancedStatus())) {
          for (PendingRecipient p : mails.get(i).recipients()) {
            if (p.index() == r.index()) {
              hard.put(Enqueuer.suppressionKey(p.address().address()), r.reply());
            }
          }
        }
      }
    }
    if (hard.isEmpty()) {
      return;
    }
    PreparedBatch upsert = h.prepareBatch(dialect.upsertSuppression());
    Long ttl = bounceSuppressionTtl == null ? null : bounceSuppressionTtl.toMillis();
    for (Map.Entry<String, SmtpReply> e : hard.entrySet()) {
      upsert
          .bind(0, e.getKey())
          .bind(1, Enqueuer.ALL_SCOPES) // the address does not exist: no mail reaches it
          .bind(2, Suppression.HARD_BOUNCE)
          .bind(3, e.getValue().code())
          .bindByType(4, e.getValue().enhancedStatus(), String.class)
          .bindByType(5, e.getValue().text(), String.class)
          .bindByType(6, ttl, Long.class)
          .add();
    }
    upsert.execute();
  }

  /**
   * Empties the body of every message recorded as DELIVERED, in the completion's transaction: a
   * password-reset link must not outlive its delivery in the database. The body row stays (its
   * sender, tag and time count for send quotas and filters) with zero bytes of MIME.
   */
  private void eraseDeliveredBodies(
      Handle h, List<ClaimedMail> mails, List<Completion> completions, List<Boolean> recorded) {
    List<UUID> delivered = new ArrayList<>();
    for (int i = 0; i < mails.size(); i++) {
      if (recorded.get(i) && completions.get(i).newState() == MessageState.DELIVERED) {
        delivered.add(mails.get(i).id().value());
      }
    }
    if (delivered.isEmpty()) {
      return;
    }
    // One array parameter on PostgreSQL: the same statement whatever the group size, prepared once
    // per connection.
    Update erase = h.createUpdate(eraseBodiesHead + dialect.idIn("message_id", delivered.size()));
    erase.bind(0, new byte[0]);
    dialect.bindIds(erase, 1, delivered);
    erase.execute();
  }

  /**
   * Every recorded attempt has its row in the attempt table, keyed by message id and lease token.
   */
  boolean isCompleted(ClaimedMail mail) {
    return jdbi.withHandle(
            h ->
                h.createQuery(countAttempts)
                    .bind(0, dialect.id(mail.id().value()))
                    .bind(1, mail.leaseToken())
                    .mapTo(Integer.class)
                    .one())
        > 0;
  }
}
