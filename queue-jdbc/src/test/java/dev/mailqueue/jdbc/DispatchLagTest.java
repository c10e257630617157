package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link JdbcMailStore#dispatchLag()} on every database: zero until a message is due and unclaimed.
 */
class DispatchLagTest {

  static Stream<Arguments> databases() {
    return Stream.of(
        Arguments.of("h2", (Supplier<DataSource>) TestDatabases::h2),
        Arguments.of("postgresql", (Supplier<DataSource>) TestDatabases::postgresql),
        Arguments.of("mariadb", (Supplier<DataSource>) TestDatabases::mariadb));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void theLagIsHowLongTheMostOverdueDueMessageWaitsToBeClaimed(
      String name, Supplier<DataSource> database) throws Exception {
    DataSource ds = database.get();
    String prefix = TestDatabases.randomPrefix();
    JdbcMailStore store = JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
    store.start();
    // never started: nothing claims but the test
    MailQueue queue =
        MailQueue.builder()
            .store(store)
            .transport(
                mail -> {
                  throw new AssertionError("no delivery in this test");
                })
            .build();
    try {
      assertThat(store.dispatchLag()).as("empty").isZero();
      queue.enqueue(
          Mail.builder()
              .from("shop@example.com")
              .to("bob@example.org")
              .subject("s")
              .text("t")
              .notBefore(Instant.now().plus(Duration.ofHours(1)))
              .build());
      assertThat(store.dispatchLag()).as("not due yet").isZero();

      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.executeUpdate(
            "UPDATE " + prefix + "message SET due_at = due_at - 3720000"); // now due 2 minutes ago
      }
      assertThat(store.dispatchLag()).isBetween(Duration.ofMinutes(2), Duration.ofMinutes(30));

      assertThat(store.claim("test-worker", 10, Duration.ofMinutes(5))).hasSize(1);
      assertThat(store.dispatchLag()).as("claimed").isZero();
    } finally {
      queue.close();
      TestDatabases.drop(ds, prefix);
    }
  }
}
