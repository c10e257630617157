package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.MessageId;
import dev.mailqueue.jdbc.JdbcMailStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabase;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;
import org.springframework.transaction.support.TransactionTemplate;

class TransactionalMailQueueTest {
  private EmbeddedDatabase queueDatabase;
  private EmbeddedDatabase otherDatabase;
  private MailQueue queue;
  private TransactionalMailQueue transactional;

  @BeforeEach
  void setUp() {
    queueDatabase = h2();
    otherDatabase = h2();
    JdbcMailStore store = JdbcMailStore.builder(queueDatabase).createSchema(true).build();
    store.start();
    // never started: these tests look at what is written, not at delivery
    queue =
        MailQueue.builder()
            .store(store)
            .transport(
                mail -> {
                  throw new AssertionError("no delivery in this test");
                })
            .build();
    transactional = new TransactionalMailQueue(queue, queueDatabase);
  }

  @AfterEach
  void tearDown() {
    queue.close();
    queueDatabase.shutdown();
    otherDatabase.shutdown();
  }

  @Test
  void aTransactionOnTheQueuesDatabaseCarriesTheMail() {
    TransactionTemplate tx =
        new TransactionTemplate(new DataSourceTransactionManager(queueDatabase));
    MessageId id = tx.execute(status -> transactional.enqueue(mail()));
    assertThat(queue.find(id)).isPresent();

    tx.executeWithoutResult(
        status -> {
          transactional.enqueue(mail());
          status.setRollbackOnly();
        });
    assertThat(messages()).isEqualTo(1);
  }

  @Test
  void aTransactionOnAnotherDatabaseIsRefusedNotSilentlyDecoupled() {
    TransactionTemplate other =
        new TransactionTemplate(new DataSourceTransactionManager(otherDatabase));
    assertThatThrownBy(() -> other.executeWithoutResult(status -> transactional.enqueue(mail())))
        .isInstanceOf(MailQueueException.class)
        .hasMessageContaining("not on the mail queue's DataSource");
    assertThat(messages()).isZero();
  }

  @Test
  void withoutATransactionTheMailIsCommittedOnItsOwn() {
    MessageId id = transactional.enqueue(mail());
    assertThat(queue.find(id)).isPresent();
    assertThat(messages()).isEqualTo(1);
  }

  private int messages() {
    return new JdbcTemplate(queueDatabase)
        .queryForObject("SELECT COUNT(*) FROM mq_message", Integer.class);
  }

  private static Mail mail() {
    return Mail.builder()
        .from("shop@example.com")
        .to("bob@example.org")
        .subject("s")
        .text("t")
        .build();
  }

  private static EmbeddedDatabase h2() {
    return new EmbeddedDatabaseBuilder()
        .generateUniqueName(true)
        .setType(EmbeddedDatabaseType.H2)
        .build();
  }
}
