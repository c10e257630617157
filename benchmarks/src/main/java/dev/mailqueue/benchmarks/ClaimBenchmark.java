package dev.mailqueue.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Claim-and-complete rate of the JDBC store on PostgreSQL with a large backlog: batches of 100
 * claimed with SKIP LOCKED and completed in one transaction, by 1 and 4 claimers, with 100,000 and
 * with 1,000,000 messages queued (rows inserted with generate_series); the six runs per backlog
 * take 60,000 messages, so the backlog stays large throughout. Prints medians of 3.
 */
public final class ClaimBenchmark {
  private static final String URL = BenchSetup.POSTGRESQL_URL;
  private static final int MEASURED = Integer.getInteger("bench.claimed", 10_000);
  private static final int BATCH = 100;
  private static final SmtpReply OK = SmtpReply.parse(250, "2.0.0 ok");

  private ClaimBenchmark() {}

  public static void main(String[] args) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(URL);
    config.setMaximumPoolSize(8);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      System.out.printf(
          "Claim + complete on PostgreSQL, batches of %d, %d messages measured per run, median of 3%n",
          BATCH, MEASURED);
      for (int backlog : new int[] {100_000, 1_000_000}) {
        String prefix = "cb" + (backlog / 1000) + "k_";
        JdbcMailStore store =
            JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
        store.start();
        long t0 = System.nanoTime();
        fill(ds, prefix, backlog);
        System.out.printf(
            "%n%,d queued (inserted in %.0f s)%n", backlog, (System.nanoTime() - t0) / 1e9);
        for (int claimers : new int[] {1, 4}) {
          double[] rates = new double[3];
          for (int run = 0; run < 3; run++) {
            rates[run] = run(store, claimers);
          }
          Arrays.sort(rates);
          System.out.printf(
              "  %d claimer(s): %,8.0f msg/s  [%,.0f-%,.0f]%n",
              claimers, rates[1], rates[0], rates[2]);
        }
        drop(ds, prefix);
      }
    }
    System.exit(0);
  }

  private static double run(JdbcMailStore store, int claimers) throws Exception {
    AtomicInteger remaining = new AtomicInteger(MEASURED);
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    long t0 = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>();
    for (int c = 0; c < claimers; c++) {
      String owner = "bench-" + c;
      futures.add(
          pool.submit(
              () -> {
                while (remaining.get() > 0) {
                  List<ClaimedMail> claimed = store.claim(owner, BATCH, Duration.ofMinutes(5));
                  if (claimed.isEmpty()) {
                    throw new IllegalStateException(
                        "backlog exhausted: measure fewer messages per run");
                  }
                  List<Completion> done = new ArrayList<>(claimed.size());
                  for (ClaimedMail m : claimed) {
                    List<Completion.RecipientUpdate> updates = new ArrayList<>();
                    for (ClaimedMail.PendingRecipient p : m.recipients()) {
                      updates.add(
                          new Completion.RecipientUpdate(p.index(), RecipientStatus.DELIVERED, OK));
                    }
                    done.add(
                        new Completion(
                            MessageState.DELIVERED,
                            null,
                            true,
                            false,
                            updates,
                            "sink",
                            Duration.ofMillis(1),
                            OK));
                  }
                  store.completeAll(claimed, done);
                  remaining.addAndGet(-claimed.size());
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    return MEASURED / ((System.nanoTime() - t0) / 1e9);
  }

  private static void fill(HikariDataSource ds, String p, int n) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + p
              + "message (id, state, priority, due_at, created_at, updated_at, expires_at, "
              + "envelope_from, message_id_header, size_bytes) SELECT md5(i::text)::uuid, 'QUEUED', 9, i, 0, 0, "
              + "9000000000000, 'bench@example.com', '<' || i || '@example.com>', 2048 FROM generate_series(1, "
              + n
              + ") i");
      s.execute(
          "INSERT INTO "
              + p
              + "body (message_id, mime, envelope_from, created_at) SELECT md5(i::text)::uuid, "
              + "convert_to(repeat('x', 2048), 'UTF8'), 'bench@example.com', 0 FROM generate_series(1, "
              + n
              + ") i");
      s.execute(
          "INSERT INTO "
              + p
              + "recipient (message_id, idx, address, domain, status) SELECT md5(i::text)::uuid, 0, "
              + "'r' || i || '@example.org', 'example.org', 'PENDING' FROM generate_series(1, "
              + n
              + ") i");
      s.execute("ANALYZE " + p + "message");
      s.execute("ANALYZE " + p + "recipient");
    }
  }

  private static void drop(HikariDataSource ds, String prefix) throws Exception {
    BenchTables.drop(ds, prefix);
  }
}
