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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

  /**
   * Concurrent producers: at most one of their transactions carries its own NOTIFY, the others are
   * announced by the store after they commit, so every mail is delivered with an hour-long poll.
   */
  @Test
  void concurrentProducersAreAllDeliveredWithoutPolling() throws Exception {
    MailQueue queue = startQueue(sink.port(), b -> b.pollInterval(Duration.ofHours(1)));
    await().atMost(Duration.ofSeconds(5)).until(() -> queue.stats() != null);
    int producers = 6;
    int each = 15;
    ExecutorService pool = Executors.newFixedThreadPool(producers);
    List<Future<List<MessageId>>> results = new ArrayList<>();
    try {
      for (int p = 0; p < producers; p++) {
        int producer = p;
        results.add(
            pool.submit(
                () -> {
                  List<MessageId> ids = new ArrayList<>();
                  for (int i = 0; i < each; i++) {
                    try (Connection c = dataSource.getConnection()) {
                      c.setAutoCommit(false);
                      ids.add(
                          queue.enqueue(
                              c,
                              Mail.builder()
                                  .from("a@example.com")
                                  .to("p" + producer + "-" + i + "@example.org")
                                  .text("t")
                                  .build()));
                      c.commit();
                    }
                  }
                  return ids;
                }));
      }
      List<MessageId> all = new ArrayList<>();
      for (Future<List<MessageId>> f : results) {
        all.addAll(f.get());
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  all.stream()
                      .allMatch(
                          id ->
                              queue
                                  .find(id)
                                  .map(v -> v.state() == MessageState.DELIVERED)
                                  .orElse(false)));
      assertThat(sink.received()).hasSize(producers * each);
    } finally {
      pool.shutdownNow();
    }
  }
}
