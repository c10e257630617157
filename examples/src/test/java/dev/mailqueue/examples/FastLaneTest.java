package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.Priority;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fast lane, end to end on H2: claimed mail waiting for a worker is taken by priority, so a
 * HIGH message claimed after BULK ones is sent before them.
 */
@Timeout(60)
class FastLaneTest {
  private HikariDataSource dataSource;
  private SmtpSink sink;
  private MailQueue queue;

  /** RCPT addresses in the order the sink saw them. */
  private final List<String> arrivals = new CopyOnWriteArrayList<>();

  private final AtomicInteger bulkSeen = new AtomicInteger();
  private final CountDownLatch releaseFirst = new CountDownLatch(1);
  private final CountDownLatch releaseSecond = new CountDownLatch(1);

  @BeforeEach
  void setUp() throws Exception {
    // not TestDatabases: its container support needs Testcontainers, which this module does not
    // have
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:fastlane" + System.nanoTime()); // dropped when the pool closes
    config.setMaximumPoolSize(10);
    dataSource = new HikariDataSource(config);
    sink = new SmtpSink(this::policy, true);
  }

  /**
   * The first two BULK recipients hold their worker until released; everything else is accepted at
   * once.
   */
  private String policy(String rcpt) {
    arrivals.add(rcpt);
    if (rcpt.startsWith("bulk")) {
      int n = bulkSeen.incrementAndGet();
      CountDownLatch hold = n == 1 ? releaseFirst : n == 2 ? releaseSecond : null;
      if (hold != null) {
        try {
          hold.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    return "250 2.1.5 Ok";
  }

  @AfterEach
  void tearDown() {
    releaseFirst.countDown();
    releaseSecond.countDown();
    if (queue != null) {
      queue.close();
    }
    sink.close();
    dataSource.close();
  }

  @Test
  void highPriorityMailClaimedAfterBulkMailRunsFirst() {
    queue =
        MailQueue.builder()
            .store(JdbcMailStore.builder(dataSource).createSchema(true).build())
            .transport(
                SmtpTransport.relay("127.0.0.1", sink.port()).security(Security.NONE).build())
            .workers(
                2) // room for 16 claimed messages (eight per worker): 2 sending, the rest waiting
            .pollInterval(Duration.ofMillis(50))
            .build();
    queue.start();

    List<MessageId> bulk =
        queue.enqueueAll(
            List.of(
                mail("bulk-a@example.org", Priority.BULK),
                mail("bulk-b@example.org", Priority.BULK),
                mail("bulk-c@example.org", Priority.BULK)));
    // both workers held by a BULK message, the third BULK one claimed and waiting for a worker
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                bulkSeen.get() == 2
                    && bulk.stream()
                        .allMatch(
                            id -> queue.find(id).orElseThrow().state() == MessageState.SENDING));

    MessageId high = queue.enqueue(mail("high@example.org", Priority.HIGH));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> queue.find(high).orElseThrow().state() == MessageState.SENDING);

    releaseFirst.countDown(); // one worker frees up and takes the head of the wait queue
    await().atMost(Duration.ofSeconds(10)).until(() -> arrivals.size() >= 3);
    releaseSecond.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.acceptedCount() == 4);

    assertThat(arrivals.get(2))
        .as("the first message taken by the freed worker")
        .isEqualTo("high@example.org");
    assertThat(arrivals).hasSize(4);
  }

  private static Mail mail(String to, Priority priority) {
    return Mail.builder()
        .from("shop@example.com")
        .to(to)
        .subject("s")
        .text("t")
        .priority(priority)
        .build();
  }
}
