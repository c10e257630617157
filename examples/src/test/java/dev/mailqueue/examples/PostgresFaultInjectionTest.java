package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.Mail;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL rejects NUL in text columns, so the hostile-reply cases matter most here; plus a real
 * outage.
 */
class PostgresFaultInjectionTest extends FaultInjectionContract {
  static final Duration OUTAGE = Duration.ofSeconds(20);

  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 10);
  }

  /**
   * The database goes away for 20 s while the sink is accepting mail: every outcome decided in that
   * time is kept and recorded when the database is back, nothing is sent twice. The lease (60 s)
   * outlasts the outage, as the default (5 minutes) does a restart.
   */
  @Test
  void outcomesDecidedDuringA20SecondDatabaseOutageAreRecordedAfterItAndNothingIsSentTwice()
      throws Exception {
    outage(Duration.ofSeconds(60), OUTAGE, 5);
  }

  /**
   * An outage longer than the lease: when the database is back this node claims its own messages
   * again (their leases ran out) and records the outcomes it kept instead of sending them again.
   */
  @Test
  void aMessageClaimedAgainAfterAnOutageLongerThanItsLeaseIsRecordedNotSentAgain()
      throws Exception {
    outage(Duration.ofSeconds(3), Duration.ofSeconds(10), 2);
  }

  private void outage(Duration lease, Duration outage, int messages) throws Exception {
    URI server = URI.create(TestDatabases.serverUrl("postgresql").substring("jdbc:".length()));
    try (TcpProxy proxy = new TcpProxy(server.getHost(), server.getPort())) {
      String throughProxy =
          TestDatabases.serverUrl("postgresql")
              .replace(server.getHost() + ":" + server.getPort(), "127.0.0.1:" + proxy.port());
      DataSource outageProne =
          new TestDatabases.UrlDataSource(
              throughProxy
                  + (throughProxy.contains("?") ? "&" : "?")
                  + "connectTimeout=2&socketTimeout=10");
      CountDownLatch sending = new CountDownLatch(messages);
      CountDownLatch databaseDown = new CountDownLatch(1);
      sink.onAccept(
          r -> { // holds the 250 after the data until the database is gone
            sending.countDown();
            try {
              databaseDown.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      JdbcMailStore store =
          JdbcMailStore.builder(outageProne).tablePrefix(prefix).createSchema(true).build();
      start(
          b ->
              b.store(store)
                  .workers(5)
                  .lease(lease)
                  .transport(
                      SmtpTransport.relay("127.0.0.1", sink.port())
                          .security(Security.NONE)
                          .maxConnectionsPerServer(5)
                          .build()));
      List<MessageId> ids = new ArrayList<>();
      for (int i = 0; i < messages; i++) {
        ids.add(
            queue.enqueue(
                Mail.builder()
                    .from("a@example.com")
                    .to("outage" + i + "@example.org")
                    .text("x")
                    .build()));
      }
      assertThat(sending.await(20, TimeUnit.SECONDS)).isTrue();

      proxy.cut();
      databaseDown.countDown();
      // While the database is away, the five sends are done and nothing can be recorded.
      await()
          .pollDelay(outage)
          .atMost(outage.plusSeconds(5))
          .until(() -> sink.acceptedCount() == messages);
      assertThat(events.delivered).isEmpty();
      proxy.restore();

      for (MessageId id : ids) {
        assertThat(awaitFinal(id, Duration.ofSeconds(30)).state())
            .isEqualTo(MessageState.DELIVERED);
        assertThat(queue.find(id).orElseThrow().attempts()).isEqualTo(1);
      }
      for (int i = 0; i < messages; i++) {
        assertThat(copiesFor("outage" + i + "@example.org"))
            .as("copies of mail %d", i)
            .isEqualTo(1);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> events.delivered.size() == messages);
      queue.close(); // before the proxy goes: the store's connections run through it
      queue = null;
    }
  }
}
