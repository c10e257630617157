package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A producer node that only enqueues (issue 17, point 20), and enqueueing before {@code start()},
 * which used to fail with the database's "table not found".
 */
class EnqueueOnlyTest {
  private final HikariDataSource dataSource =
      TestDatabases.pooled("jdbc:h2:mem:enqueueonly" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", 4);

  @AfterEach
  void closePool() {
    dataSource.close();
  }

  private JdbcMailStore store() {
    return JdbcMailStore.builder(dataSource).tablePrefix("eo_").createSchema(true).build();
  }

  private static Mail mail() {
    return Mail.builder()
        .from("shop@example.com")
        .to("bob@example.org")
        .subject("hi")
        .text("x")
        .build();
  }

  @Test
  void anEnqueueOnlyQueueStoresMailWithoutATransportAndNeverDelivers() throws Exception {
    try (MailQueue producer = MailQueue.builder().store(store()).enqueueOnly().build()) {
      MessageId beforeStart = producer.enqueue(mail());
      producer.start();
      assertThat(producer.isRunning()).isTrue();
      MessageId afterStart;
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(false);
        afterStart = producer.enqueue(c, mail());
        c.commit();
      }
      producer.wakeUp();

      assertThat(producer.find(beforeStart))
          .get()
          .extracting(v -> v.state())
          .isEqualTo(MessageState.QUEUED);
      assertThat(producer.find(afterStart))
          .get()
          .extracting(v -> v.state())
          .isEqualTo(MessageState.QUEUED);
      assertThat(producer.stats().countsByState().get(MessageState.QUEUED)).isEqualTo(2L);
    }
  }

  @Test
  void aQueueWithATransportAcceptsMailBeforeStartAndSendsItOnceStarted() throws Exception {
    AtomicInteger delivered = new AtomicInteger();
    MailTransport counting =
        mail -> {
          delivered.incrementAndGet();
          return DeliveryResult.all(
              mail.recipients(),
              RecipientStatus.DELIVERED,
              new SmtpReply(250, "2.0.0", "ok"),
              "test");
        };
    try (MailQueue queue = MailQueue.builder().store(store()).transport(counting).build()) {
      MessageId id = queue.enqueue(mail()); // no start() yet: the store is prepared by this enqueue
      assertThat(queue.find(id)).get().extracting(v -> v.state()).isEqualTo(MessageState.QUEUED);
      assertThat(delivered).hasValue(0);

      queue.start();
      await()
          .untilAsserted(
              () ->
                  assertThat(queue.find(id))
                      .get()
                      .extracting(v -> v.state())
                      .isEqualTo(MessageState.DELIVERED));
    }
  }

  @Test
  void aTransportIsRequiredUnlessTheQueueIsEnqueueOnly() {
    assertThatThrownBy(() -> MailQueue.builder().store(store()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("enqueueOnly()");
    assertThatThrownBy(
            () -> MailQueue.builder().store(store()).enqueueOnly().transport(mail -> null).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("takes no transport");
  }
}
