package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.jdbc.TestDatabases;
import java.sql.Connection;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class PostgresEndToEndTest extends EndToEndContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 10);
  }

  /**
   * NOTIFY is delivered at commit, so workers wake at once even with an hour-long poll interval.
   */
  @Test
  void commitOnAnotherConnectionWakesTheWorkersThroughListenNotify() throws Exception {
    MailQueue queue = startQueue(sink.port(), b -> b.pollInterval(Duration.ofHours(1)));
    // let the dispatcher settle into its (hour-long) wait and the listener connect
    await().atMost(Duration.ofSeconds(5)).until(() -> queue.stats() != null);
    MessageId id;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      id =
          queue.enqueue(
              c, Mail.builder().from("a@example.com").to("notify@example.org").text("t").build());
      c.commit();
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> queue.find(id).map(v -> v.state() == MessageState.DELIVERED).orElse(false));
    assertThat(sink.received()).hasSize(1);
  }
}
