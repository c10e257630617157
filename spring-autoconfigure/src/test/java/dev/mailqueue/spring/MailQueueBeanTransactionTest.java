package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.MessageId;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabase;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The starter's {@code MailQueue} bean joins the current Spring transaction as {@link
 * TransactionalMailQueue} does: injecting the "wrong" one cannot send the mail of a transaction
 * that rolled back.
 */
class MailQueueBeanTransactionTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class, MailQueueAutoConfiguration.class))
          // a relay that is never contacted; the workers never poll within the test
          .withPropertyValues(
              "mailqueue.smtp.host=127.0.0.1",
              "mailqueue.smtp.port=1",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.poll-interval=1h",
              "mailqueue.shutdown-timeout=1s");

  @Test
  void aRolledBackTransactionStoresNothingThroughTheMailQueueBean() {
    runner.run(
        context -> {
          MailQueue queue = context.getBean(MailQueue.class);
          DataSource dataSource = context.getBean(DataSource.class);
          TransactionTemplate tx =
              new TransactionTemplate(new DataSourceTransactionManager(dataSource));

          tx.executeWithoutResult(
              status -> {
                queue.enqueue(mail("rolled-back@example.org"));
                queue.enqueueAll(List.of(mail("rolled-back-too@example.org")));
                assertThat(messages(dataSource)).as("visible inside the transaction").isEqualTo(2);
                status.setRollbackOnly();
              });
          assertThat(messages(dataSource)).as("gone with the rollback").isZero();

          MessageId committed = tx.execute(status -> queue.enqueue(mail("committed@example.org")));
          assertThat(queue.find(committed)).isPresent();
          assertThat(messages(dataSource)).isEqualTo(1);
        });
  }

  @Test
  void withoutATransactionTheMailQueueBeanCommitsOnItsOwn() {
    runner.run(
        context -> {
          MailQueue queue = context.getBean(MailQueue.class);
          queue.enqueue(mail("alone@example.org"));
          assertThat(messages(context.getBean(DataSource.class))).isEqualTo(1);
          assertThat(context.getBean(TransactionalMailQueue.class).queue()).isSameAs(queue);
        });
  }

  @Test
  void aTransactionOnAnotherDatabaseIsRefused() {
    EmbeddedDatabase other =
        new EmbeddedDatabaseBuilder()
            .generateUniqueName(true)
            .setType(EmbeddedDatabaseType.H2)
            .build();
    try {
      runner.run(
          context -> {
            MailQueue queue = context.getBean(MailQueue.class);
            TransactionTemplate tx =
                new TransactionTemplate(new DataSourceTransactionManager(other));
            assertThatThrownBy(
                    () -> tx.executeWithoutResult(status -> queue.enqueue(mail("x@example.org"))))
                .isInstanceOf(MailQueueException.class)
                .hasMessageContaining("not on the mail queue's DataSource");
            assertThat(messages(context.getBean(DataSource.class))).isZero();
          });
    } finally {
      other.shutdown();
    }
  }

  private static int messages(DataSource dataSource) {
    return new JdbcTemplate(dataSource)
        .queryForObject("SELECT COUNT(*) FROM mq_message", Integer.class);
  }

  private static Mail mail(String to) {
    return Mail.builder().from("shop@example.com").to(to).subject("s").text("t").build();
  }
}
