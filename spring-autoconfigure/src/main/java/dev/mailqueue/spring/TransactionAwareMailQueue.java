package dev.mailqueue.spring;

import dev.mailqueue.DeliveryMode;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueStats;
import dev.mailqueue.ReplyCount;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The {@link MailQueue} bean of the starter: {@link #enqueue(Mail)} and {@link
 * #enqueueAll(Collection)} join the current Spring transaction, as {@link TransactionalMailQueue}
 * does, so that injecting {@code MailQueue} instead of {@code TransactionalMailQueue} in a
 * {@code @Transactional} method cannot send mail of a transaction that rolls back. Outside a
 * transaction they store in a transaction of their own. Every other method is the wrapped queue's.
 * Thread-safe.
 */
final class TransactionAwareMailQueue implements MailQueue {
  private static final MailQueueObserver NO_OBSERVER = MailQueueObserver.of(List.of());

  private final MailQueue queue;
  private final DataSource dataSource;
  private final MailQueueObserver observer;

  TransactionAwareMailQueue(MailQueue queue, DataSource dataSource) {
    this(queue, dataSource, NO_OBSERVER);
  }

  /**
   * Reports stored mail to {@code observer}: at commit in a transaction, at once on an explicit
   * connection.
   */
  TransactionAwareMailQueue(MailQueue queue, DataSource dataSource, MailQueueObserver observer) {
    this.queue = Objects.requireNonNull(queue, "queue");
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /** Whether {@code queue} already joins transactions on {@code dataSource}. */
  static boolean joins(MailQueue queue, DataSource dataSource) {
    return queue instanceof TransactionAwareMailQueue aware && aware.dataSource == dataSource;
  }

  /**
   * Stores in the current transaction and wakes the workers after it commits; with no transaction,
   * stores in one of its own.
   *
   * @throws MailQueueException if the active transaction is not on the queue's DataSource
   */
  @Override
  public MessageId enqueue(Mail mail) {
    Objects.requireNonNull(mail, "mail");
    return inCurrentTransaction(
        c -> queue.enqueue(c, mail), () -> queue.enqueue(mail), tags(List.of(mail)));
  }

  /** As {@link #enqueue(Mail)}, all or none. */
  @Override
  public List<MessageId> enqueueAll(Collection<Mail> mails) {
    Objects.requireNonNull(mails, "mails");
    return inCurrentTransaction(
        c -> queue.enqueueAll(c, mails), () -> queue.enqueueAll(mails), tags(mails));
  }

  private <T> T inCurrentTransaction(
      Function<Connection, T> inTransaction, Supplier<T> alone, List<String> tags) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()
        || !TransactionSynchronizationManager.isSynchronizationActive()) {
      T result = alone.get();
      observer.enqueued(tags);
      return result;
    }
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      requireTransactional(connection);
      T result = inTransaction.apply(connection);
      TransactionSynchronizationManager.registerSynchronization(
          new AfterCommit(queue, observer, tags));
      return result;
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }

  private static void requireTransactional(Connection connection) {
    boolean autoCommit;
    try {
      autoCommit = connection.getAutoCommit();
    } catch (SQLException e) {
      throw new MailQueueException(
          "cannot read the transaction's connection state: " + e.getMessage(), e);
    }
    if (autoCommit) {
      throw new MailQueueException(
          "a transaction is active, but not on the mail queue's DataSource (its "
              + "connection is in auto-commit mode): run the transaction with a transaction manager over that "
              + "DataSource, or enqueue outside the transaction");
    }
  }

  /** The wrapped queue's; counted as enqueued at once, as the commit is the caller's to make. */
  @Override
  public MessageId enqueue(Connection connection, Mail mail) {
    MessageId id = queue.enqueue(connection, mail);
    observer.enqueued(tags(List.of(mail)));
    return id;
  }

  /** The wrapped queue's; counted as enqueued at once, as the commit is the caller's to make. */
  @Override
  public List<MessageId> enqueueAll(Connection connection, Collection<Mail> mails) {
    List<MessageId> ids = queue.enqueueAll(connection, mails);
    observer.enqueued(tags(mails));
    return ids;
  }

  private static List<String> tags(Collection<Mail> mails) {
    List<String> tags = new ArrayList<>(mails.size());
    for (Mail mail : mails) {
      tags.add(mail.tag());
    }
    return tags;
  }

  @Override
  public void wakeUp() {
    queue.wakeUp();
  }

  @Override
  public void start() {
    queue.start();
  }

  @Override
  public boolean isRunning() {
    return queue.isRunning();
  }

  @Override
  public List<String> problems() {
    return queue.problems();
  }

  @Override
  public DeliveryMode mode() {
    return queue.mode();
  }

  @Override
  public QueueStats stats() {
    return queue.stats();
  }

  @Override
  public Optional<MessageView> find(MessageId id) {
    return queue.find(id);
  }

  @Override
  public List<ReplyCount> replyCounts(int limit) {
    return queue.replyCounts(limit);
  }

  @Override
  public MailQueueAdmin admin() {
    return queue.admin();
  }

  @Override
  public void close() {
    queue.close();
  }

  @Override
  public String toString() {
    return queue.toString();
  }

  /**
   * Wakes the workers and counts the mail once the transaction has committed; nothing happens on
   * rollback.
   */
  private record AfterCommit(MailQueue queue, MailQueueObserver observer, List<String> tags)
      implements TransactionSynchronization {
    @Override
    public void afterCommit() {
      queue.wakeUp();
      observer.enqueued(tags);
    }
  }
}
