package dev.mailqueue.spring;

import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.MessageId;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * Enqueues mail in the current Spring transaction: the mail is stored on the transaction's own
 * connection (obtained with {@link DataSourceUtils#getConnection(DataSource)}), so it is sent if
 * and only if that transaction commits, and the queue's workers are woken right after the commit.
 * Never commits, rolls back or closes the caller's connection.
 *
 * <pre>{@code
 * @Transactional
 * public void register(User user) {
 *   users.insert(user);
 *   mail.enqueue(Mail.builder().from("shop@example.com").to(user.email())
 *       .subject("Welcome").text("Hello!").tag("welcome").build());
 * }
 * }</pre>
 *
 * <p>Outside a transaction, {@link #enqueue(Mail)} stores the mail in a transaction of its own,
 * committed before it returns. The transaction must be one on the queue's {@link DataSource} (a
 * {@code DataSourceTransactionManager}, {@code JdbcTransactionManager} or {@code
 * JpaTransactionManager} over it); a transaction of another resource is refused rather than
 * silently decoupled from the mail. The starter's {@link MailQueue} bean joins the transaction in
 * the same way, so injecting either is safe. Thread-safe.
 */
public final class TransactionalMailQueue {
  private final MailQueue queue;
  private final MailQueue joining;

  /**
   * A queue enqueueing on the connections of {@code dataSource}, the one its store writes to.
   *
   * @param queue the queue whose store writes to {@code dataSource}; not null
   * @param dataSource the DataSource whose transactions the mail joins; not null
   */
  public TransactionalMailQueue(MailQueue queue, DataSource dataSource) {
    this.queue = Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(dataSource, "dataSource");
    this.joining =
        TransactionAwareMailQueue.joins(queue, dataSource)
            ? queue
            : new TransactionAwareMailQueue(queue, dataSource);
  }

  /**
   * Stores {@code mail} in the current transaction and wakes the workers after it commits; with no
   * transaction active, stores it in a transaction of its own and wakes the workers at once.
   *
   * @param mail the mail to store; not null
   * @return the new message's id, or the existing one's if its idempotency key was used before
   * @throws InvalidMailException if the mail is invalid or too large; nothing is written
   * @throws MailQueueException if the active transaction is not on the queue's DataSource
   */
  public MessageId enqueue(Mail mail) {
    return joining.enqueue(mail);
  }

  /**
   * The underlying queue, for administration ({@code stats}, {@code find}) and wake-ups.
   *
   * @return the queue given to the constructor, never null
   */
  public MailQueue queue() {
    return queue;
  }
}
