package dev.mailqueue.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.Priority;
import dev.mailqueue.examples.SmtpSink;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.DestinationLimits;
import dev.mailqueue.smtp.DestinationLimits.Limit;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.ShapingTransport;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fast lane under load, on PostgreSQL (URL from MAILQUEUE_POSTGRESQL_URL, default
 * 127.0.0.1:5432/test): a backlog of BULK messages to a slow destination (a sink that takes {@code
 * bench.rcptDelayMs} per RCPT), and a steady trickle of HIGH messages to another, fast destination.
 * Prints p50/p99/max of the HIGH mail's latency from enqueue to accepted (the delivered event,
 * after the outcome is committed):
 *
 * <ol>
 *   <li>baseline: the trickle alone, no backlog;
 *   <li>the backlog, no shaping: HIGH mail is claimed first and jumps the worker queue, but waits
 *       for a worker held by the slow destination;
 *   <li>the same backlog with shaping: the slow destination may use at most half the workers
 *       ({@link Limit#maxConcurrentSessions()}), the rest are deferred without counting.
 * </ol>
 *
 * Properties: {@code bench.bulk} (100,000), {@code bench.seconds} of trickle per scenario (15),
 * {@code bench.highPerSecond} (20), {@code bench.workers} (8), {@code bench.rcptDelayMs} (20).
 */
public final class FastLaneBenchmark {
  private static final String URL = BenchSetup.POSTGRESQL_URL;
  private static final int BULK = Integer.getInteger("bench.bulk", 100_000);
  private static final int SECONDS = Integer.getInteger("bench.seconds", 15);
  private static final int HIGH_PER_SECOND = Integer.getInteger("bench.highPerSecond", 20);
  private static final int WORKERS = Integer.getInteger("bench.workers", 8);
  private static final int RCPT_DELAY_MS = Integer.getInteger("bench.rcptDelayMs", 20);
  private static final String BODY = BenchSetup.BODY;
  private static final String BULK_DOMAIN = "bulk.example";

  private FastLaneBenchmark() {}

  public static void main(String[] args) throws Exception {
    run();
    System.exit(0);
  }

  /** p50 and p99 (ms) of the HIGH messages per scenario, in scenario order, as printed. */
  static final List<double[]> RESULTS = new ArrayList<>();

  /** Runs the three scenarios; their percentiles are left in {@link #RESULTS}. */
  static void run() throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(URL);
    config.setMaximumPoolSize(12);
    try (HikariDataSource ds = new HikariDataSource(config);
        SmtpSink slow = new SmtpSink(FastLaneBenchmark::slowRcpt, false);
        SmtpSink fast = SmtpSink.acceptingAll(false)) {
      System.out.printf(
          "fast-lane benchmark: PostgreSQL %s, %d cores, %d workers, slow destination %d ms per RCPT, "
              + "HIGH trickle %d/s for %d s per scenario%n%n",
          URL,
          Runtime.getRuntime().availableProcessors(),
          WORKERS,
          RCPT_DELAY_MS,
          HIGH_PER_SECOND,
          SECONDS);

      String empty = "fl_idle_";
      drop(ds, empty);
      store(ds, empty).start();
      scenario("1. baseline, no backlog", ds, empty, slow, fast, false);
      drop(ds, empty);

      String backlog = "fl_bulk_";
      drop(ds, backlog);
      long t0 = System.nanoTime();
      insertBulk(ds, backlog);
      System.out.printf(
          "inserted %,d BULK messages in %.1f s%n%n", BULK, (System.nanoTime() - t0) / 1e9);
      scenario(
          "2. " + String.format("%,d", BULK) + " BULK queued to the slow destination, no shaping",
          ds,
          backlog,
          slow,
          fast,
          false);
      scenario(
          "3. the same backlog, slow destination shaped to " + WORKERS / 2 + " concurrent sessions",
          ds,
          backlog,
          slow,
          fast,
          true);
      drop(ds, backlog);
    }
  }

  private static String slowRcpt(String rcpt) {
    if (rcpt.endsWith("@" + BULK_DOMAIN)) {
      try {
        Thread.sleep(RCPT_DELAY_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return "250 2.1.5 Ok";
  }

  private static JdbcMailStore store(HikariDataSource ds, String prefix) {
    return JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
  }

  private static void insertBulk(HikariDataSource ds, String prefix) throws Exception {
    JdbcMailStore store = store(ds, prefix);
    store.start();
    MailQueue producer =
        MailQueue.builder()
            .store(store)
            .transport(
                mail -> {
                  throw new IllegalStateException("this queue only enqueues");
                })
            .build();
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      for (int i = 0; i < BULK; i++) {
        producer.enqueue(
            c,
            Mail.builder()
                .from("news@example.com")
                .to("r" + i + "@" + BULK_DOMAIN)
                .subject("newsletter " + i)
                .text(BODY)
                .priority(Priority.BULK)
                .build());
        if (i % 1000 == 999) {
          c.commit();
        }
      }
      c.commit();
    }
  }

  private static void scenario(
      String title,
      HikariDataSource ds,
      String prefix,
      SmtpSink slow,
      SmtpSink fast,
      boolean shaping)
      throws Exception {
    Latencies latencies = new Latencies();
    SmtpTransport slowRelay =
        SmtpTransport.relay("127.0.0.1", slow.port())
            .security(Security.NONE)
            .maxConnectionsPerServer(WORKERS)
            .build();
    MailTransport bulkTransport =
        !shaping
            ? slowRelay
            : ShapingTransport.builder(slowRelay)
                .limits(
                    DestinationLimits.custom()
                        .defaults(Limit.ofDefaults().withMaxConcurrentSessions(WORKERS / 2))
                        .build())
                .build();
    SmtpTransport fastRelay =
        SmtpTransport.relay("127.0.0.1", fast.port())
            .security(Security.NONE)
            .maxConnectionsPerServer(WORKERS)
            .build();
    MailTransport routing =
        new MailTransport() {
          @Override
          public DeliveryResult deliver(OutboundMail mail) {
            return mail.recipients().get(0).domain().equals(BULK_DOMAIN)
                ? bulkTransport.deliver(mail)
                : fastRelay.deliver(mail);
          }

          @Override
          public void close() {
            bulkTransport.close();
            fastRelay.close();
          }
        };
    AtomicLong bulkDelivered = new AtomicLong();
    MailQueue queue =
        MailQueue.builder()
            .store(JdbcMailStore.builder(ds).tablePrefix(prefix).build())
            .transport(routing)
            .workers(WORKERS)
            .listener(
                new DeliveryListener() {
                  @Override
                  public void delivered(DeliveryEvent event) {
                    String rcpt = event.recipients().get(0).recipient().address();
                    if (rcpt.endsWith("@" + BULK_DOMAIN)) {
                      bulkDelivered.addAndGet(event.recipients().size());
                    } else {
                      latencies.accepted(rcpt);
                    }
                  }
                })
            .build();
    queue.start();
    Thread.sleep(2000); // let the backlog fill every worker before the trickle starts

    int total = HIGH_PER_SECOND * SECONDS;
    AtomicInteger n = new AtomicInteger();
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    long bulkBefore = bulkDelivered.get();
    long t0 = System.nanoTime();
    trickle.scheduleAtFixedRate(
        () -> {
          int i = n.getAndIncrement();
          if (i >= total) {
            return;
          }
          String rcpt = "user" + i + "@app.example";
          latencies.enqueued(rcpt);
          queue.enqueue(
              Mail.builder()
                  .from("app@example.com")
                  .to(rcpt)
                  .subject("login code " + i)
                  .text("your code is " + i)
                  .priority(Priority.HIGH)
                  .build());
        },
        0,
        1_000_000 / HIGH_PER_SECOND,
        TimeUnit.MICROSECONDS);
    boolean all = latencies.await(total, Duration.ofSeconds(SECONDS + 120L));
    double seconds = (System.nanoTime() - t0) / 1e9;
    trickle.shutdownNow();
    long bulkDuring = bulkDelivered.get() - bulkBefore;
    queue.close();

    RESULTS.add(latencies.percentiles());
    System.out.println(title);
    System.out.printf(
        "   HIGH enqueue-to-accepted: %s (%d of %d accepted)%n",
        latencies.summary(), latencies.count(), total);
    System.out.printf(
        "   BULK delivered meanwhile: %,d (%.0f msg/s)%s%n%n",
        bulkDuring,
        bulkDuring / seconds,
        all ? "" : " -- not every HIGH message was accepted in time");
  }

  /** Enqueue and acceptance times of the HIGH messages, by recipient. */
  private static final class Latencies {
    private final Map<String, Long> enqueuedAt = new ConcurrentHashMap<>();
    private final List<Long> micros = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger accepted = new AtomicInteger();
    private final Object lock = new Object();

    void enqueued(String rcpt) {
      enqueuedAt.put(rcpt, System.nanoTime());
    }

    void accepted(String rcpt) {
      Long t = enqueuedAt.get(rcpt);
      if (t != null) {
        micros.add((System.nanoTime() - t) / 1000);
        accepted.incrementAndGet();
        synchronized (lock) {
          lock.notifyAll();
        }
      }
    }

    boolean await(int expected, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lock) {
        while (accepted.get() < expected) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
      }
      return true;
    }

    int count() {
      return accepted.get();
    }

    double[] percentiles() {
      List<Long> sorted;
      synchronized (micros) {
        sorted = new ArrayList<>(micros);
      }
      if (sorted.isEmpty()) {
        return new double[] {Double.NaN, Double.NaN};
      }
      Collections.sort(sorted);
      return new double[] {
        sorted.get(sorted.size() / 2) / 1000.0,
        sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1000.0
      };
    }

    String summary() {
      List<Long> sorted;
      synchronized (micros) {
        sorted = new ArrayList<>(micros);
      }
      if (sorted.isEmpty()) {
        return "none accepted";
      }
      Collections.sort(sorted);
      return String.format(
          "p50 %.1f ms, p99 %.1f ms, max %.1f ms",
          sorted.get(sorted.size() / 2) / 1000.0,
          sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1))
              / 1000.0,
          sorted.get(sorted.size() - 1) / 1000.0);
    }
  }

  private static void drop(HikariDataSource ds, String prefix) throws Exception {
    BenchTables.drop(ds, prefix);
  }
}
