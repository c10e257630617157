package dev.mailqueue.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.examples.SmtpSink;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Where the end-to-end time goes: drains the same PostgreSQL backlog of ~2 KB messages under
 * several configurations, interleaved run by run so that drift on a shared machine hits them alike,
 * and prints the median rate of each. "queue alone" replaces SMTP by a transport that accepts every
 * message at once, which is the queue's own ceiling (claim, body, group-committed completion) on
 * this database; "SMTP" sends through a relay to the in-process sink. Beside each rate it prints
 * the CPU time per message of this JVM and of the PostgreSQL server processes (read from /proc
 * where the server runs on this machine): on a shared machine CPU per message moves far less than
 * the rate does.
 *
 * <p>Properties: {@code bench.drain} (messages per run, default 20,000), {@code bench.runs}
 * (default 3), {@code bench.workers} (default 8), {@code bench.warmupSeconds} and {@code
 * bench.maxWarmupSeconds} (untimed passes over all variants first, until the JIT has settled: at
 * least 30 s, at most 240 s; see {@link WarmUp}), {@code bench.only} (runs the variants whose name
 * contains it), {@code bench.threads} (prints each drain's CPU per message by thread name).
 */
public final class DrainBenchmark {
  private static final String PG_URL = BenchSetup.POSTGRESQL_URL;
  private static final int COUNT = Integer.getInteger("bench.drain", 20_000);
  private static final int RUNS = Integer.getInteger("bench.runs", 3);
  private static final int WORKERS = Integer.getInteger("bench.workers", 8);
  private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmupSeconds", 30);
  private static final int MAX_WARMUP_SECONDS = Integer.getInteger("bench.maxWarmupSeconds", 240);
  private static final boolean THREAD_BREAKDOWN = Boolean.getBoolean("bench.threads");
  private static final String BODY = BenchSetup.BODY;

  /**
   * The baseline: the same messages sent by bare Angus Mail over 4 reused connections, no queue.
   */
  private static final String BARE_ANGUS = "bare Angus Mail, 4 connections, no queue";

  private DrainBenchmark() {}

  /** One configuration under test. */
  private record Variant(String name, boolean smtp, int preloadBodyBytes) {}

  /**
   * One drain: its rate and the CPU microseconds per message spent by this JVM and by PostgreSQL.
   */
  private record Result(double rate, double jvmMicros, double pgMicros) {}

  public static void main(String[] args) throws Exception {
    List<Variant> variants =
        List.of(
                new Variant(
                    "queue alone, bodies read with the claim",
                    false,
                    JdbcMailStore.DEFAULT_PRELOAD_BODY_BYTES),
                new Variant("queue alone, one body read per message", false, 0),
                new Variant(
                    "SMTP, bodies read with the claim",
                    true,
                    JdbcMailStore.DEFAULT_PRELOAD_BODY_BYTES),
                new Variant("SMTP, one body read per message", true, 0),
                new Variant(BARE_ANGUS, true, 0))
            .stream()
            .filter(v -> v.name.contains(System.getProperty("bench.only", "")))
            .toList();
    Map<Variant, Result[]> results = new LinkedHashMap<>();
    for (Variant v : variants) {
      results.put(v, new Result[RUNS]);
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(PG_URL);
    config.setMaximumPoolSize(12);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      // JIT compilation would otherwise count against the first runs, and against the queue (far
      // more code) more than against bare Angus.
      WarmUp.until(
          "all variants",
          WARMUP_SECONDS,
          MAX_WARMUP_SECONDS,
          () -> {
            for (Variant v : variants) {
              fill(ds, "bdr_", COUNT / 4);
              drain(ds, "bdr_", v, COUNT / 4);
            }
          });
      for (int run = 0; run < RUNS; run++) {
        for (Variant v : variants) {
          String prefix = "bdr_";
          fill(ds, prefix, COUNT);
          Result r = drain(ds, prefix, v, COUNT);
          results.get(v)[run] = r;
          BenchTables.drop(ds, prefix);
          System.out.printf(
              Locale.ROOT,
              "  run %d %-45s %,8.0f msg/s, CPU per message: JVM %.0f us, PostgreSQL %.0f us%n",
              run + 1,
              v.name,
              r.rate,
              r.jvmMicros,
              r.pgMicros);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%n| drain of %,d x 2 KB on PostgreSQL, %d workers | median msg/s [min-max] "
            + "| JVM CPU us/msg | PostgreSQL CPU us/msg |%n",
        COUNT,
        WORKERS);
    System.out.println("|---|---|---|---|");
    for (Map.Entry<Variant, Result[]> e : results.entrySet()) {
      double[] rate = Arrays.stream(e.getValue()).mapToDouble(Result::rate).sorted().toArray();
      double[] jvm = Arrays.stream(e.getValue()).mapToDouble(Result::jvmMicros).sorted().toArray();
      double[] pg = Arrays.stream(e.getValue()).mapToDouble(Result::pgMicros).sorted().toArray();
      System.out.printf(
          Locale.ROOT,
          "| %s | %,.0f [%,.0f-%,.0f] | %.0f | %.0f |%n",
          e.getKey().name,
          rate[rate.length / 2],
          rate[0],
          rate[rate.length - 1],
          jvm[jvm.length / 2],
          pg[pg.length / 2]);
    }
  }

  private static void fill(HikariDataSource ds, String prefix, int count) throws Exception {
    BenchTables.drop(ds, prefix);
    JdbcMailStore store = JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
    store.start();
    MailQueue producer =
        MailQueue.builder()
            .store(store)
            .transport(
                mail -> {
                  throw new IllegalStateException("this queue only enqueues");
                })
            .messageIdDomain("example.com")
            .build();
    List<Mail> batch = new ArrayList<>(500);
    for (int i = 0; i < count; i++) {
      batch.add(
          Mail.builder()
              .from("bench@example.com")
              .to("r" + i + "@example.org")
              .subject("bench " + i)
              .text(BODY)
              .build());
      if (batch.size() == 500 || i == count - 1) {
        producer.enqueueAll(batch);
        batch.clear();
      }
    }
    BenchTables.analyze(ds, prefix);
  }

  private static Result drain(HikariDataSource ds, String prefix, Variant v, int count)
      throws Exception {
    if (v.name.equals(BARE_ANGUS)) {
      return bareAngus(count);
    }
    try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
      CountDownLatch delivered = new CountDownLatch(count);
      MailTransport transport =
          v.smtp
              ? SmtpTransport.relay("127.0.0.1", sink.port())
                  .security(Security.NONE)
                  .maxConnectionsPerServer(4)
                  .build()
              : new AcceptAll();
      MailQueue queue =
          MailQueue.builder()
              .store(
                  JdbcMailStore.builder(ds)
                      .tablePrefix(prefix)
                      .preloadBodyBytes(v.preloadBodyBytes)
                      .build())
              .transport(transport)
              .workers(WORKERS)
              .listener(
                  new DeliveryListener() {
                    @Override
                    public void delivered(DeliveryEvent event) {
                      event.recipients().forEach(r -> delivered.countDown());
                    }
                  })
              .build();
      Map<String, Long> threads0 = threadCpuByName();
      long jvm0 = jvmCpuNanos();
      long pg0 = postgresCpuNanos();
      long t0 = System.nanoTime();
      queue.start();
      if (!delivered.await(20, TimeUnit.MINUTES)) {
        throw new IllegalStateException("not drained within 20 minutes");
      }
      double rate = count / ((System.nanoTime() - t0) / 1e9);
      long jvmNanos = jvmCpuNanos() - jvm0;
      double jvm = jvmNanos / 1e3 / count;
      double pg = (postgresCpuNanos() - pg0) / 1e3 / count;
      if (THREAD_BREAKDOWN) {
        printThreadBreakdown(threads0, threadCpuByName(), jvmNanos, count);
        if (v.smtp) {
          System.out.printf(
              Locale.ROOT,
              "      SMTP sessions: %d (%.0f messages each)%n",
              sink.sessionCount(),
              (double) count / Math.max(1, sink.sessionCount()));
        }
      }
      queue.close();
      return new Result(rate, jvm, pg);
    }
  }

  private static Result bareAngus(int count) throws Exception {
    try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
      BareAngus angus = new BareAngus(sink.port(), 4, count, BODY);
      long jvm0 = jvmCpuNanos();
      long pg0 = postgresCpuNanos();
      long t0 = System.nanoTime();
      angus.send();
      double rate = count / ((System.nanoTime() - t0) / 1e9);
      return new Result(
          rate, (jvmCpuNanos() - jvm0) / 1e3 / count, (postgresCpuNanos() - pg0) / 1e3 / count);
    }
  }

  /**
   * CPU nanoseconds of this process's threads, Java and native (GC, JIT), from /proc/self/task,
   * summed per thread name (as the kernel keeps it: 15 characters) with the numbers taken out.
   * Empty where there is no /proc; threads that ended since the last read are not counted.
   */
  private static Map<String, Long> threadCpuByName() {
    Map<String, Long> byName = new TreeMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : tasks) {
        try {
          String name = Files.readString(t.resolve("comm")).strip().replaceAll("\\d+", "N");
          byName.merge(
              name, cpuTicks(Files.readString(t.resolve("stat"))) * 10_000_000L, Long::sum);
        } catch (IOException | RuntimeException e) {
          // the thread ended while being read
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return byName;
  }

  /** Microseconds per message by thread name, for the names with 1 % of the JVM's CPU or more. */
  private static void printThreadBreakdown(
      Map<String, Long> before, Map<String, Long> after, long jvmNanos, int count) {
    StringBuilder line = new StringBuilder("      CPU us/msg by thread:");
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (used * 100 >= jvmNanos) {
        line.append(String.format(Locale.ROOT, " [%s] %.0f", e.getKey(), used / 1e3 / count));
      }
    }
    System.out.println(line);
  }

  private static long jvmCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * User plus system time of every local process named postgres, from /proc; 0 where there is none.
   */
  private static long postgresCpuNanos() {
    long ticks = 0;
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        try {
          if (!Files.readString(p.resolve("comm")).strip().equals("postgres")) {
            continue;
          }
          ticks += cpuTicks(Files.readString(p.resolve("stat")));
        } catch (IOException | RuntimeException e) {
          // the process ended while being read
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return ticks * 10_000_000L; // USER_HZ is 100 on Linux
  }

  /** utime + stime (fields 14 and 15) of a /proc stat line, in clock ticks. */
  private static long cpuTicks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** Accepts every recipient at once: the queue's pipeline without any network. */
  private static final class AcceptAll implements MailTransport {
    private static final SmtpReply OK = new SmtpReply(250, "2.0.0", "accepted");

    @Override
    public DeliveryResult deliver(OutboundMail mail) {
      return DeliveryResult.all(mail.recipients(), RecipientStatus.DELIVERED, OK, "null");
    }
  }
}
