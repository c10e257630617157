package dev.mailqueue.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.examples.SmtpSink;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The queue against what a user would run instead, on the same machine, with real SMTP peers (issue
 * 21): Postfix's C {@code smtp-sink} in its own process as the next hop, a private Postfix relaying
 * to it fed by {@code smtp-source}, bare Angus Mail to the same sink; concurrent producers; the
 * cold start of a fresh JVM; the PostgreSQL CPU per message by backend; one to three dispatcher
 * JVMs on one database. Stages of {@link BenchmarkSuite} ({@code bench.only=peers, producers,
 * dbcost, coldstart, nodes}); the Postfix ones are skipped with a message where Postfix is not
 * installed, and the smtp-sink ones fall back to the in-process sink.
 *
 * <p>CPU per message is read from /proc: the JVM's own threads, the PostgreSQL backends of the pool
 * under test (by {@code ApplicationName}; the server's background writers are not counted),
 * Postfix's processes. On a shared machine CPU per message moves far less than rates do.
 */
final class PeerBenchmark {
  private static final String PG_URL = BenchSetup.POSTGRESQL_URL;
  private static final int RUNS = Integer.getInteger("bench.runs", 3);
  private static final int CONNECTIONS = 4;
  private static final int WORKERS = 8;

  /** Messages per peer run (queue, bare Angus, Postfix). */
  private static final int PEER_MAILS = Integer.getInteger("bench.peerMails", 10_000);

  private static final int WARMUP_SECONDS = Integer.getInteger("bench.peerWarmupSeconds", 30);
  private static final int MAX_WARMUP_SECONDS =
      Integer.getInteger("bench.peerMaxWarmupSeconds", 120);
  private static final int PRODUCERS = Integer.getInteger("bench.producers", 4);
  private static final int PRODUCER_MAILS = Integer.getInteger("bench.producerMails", 10_000);

  /**
   * The paced producers' offered rate as a share of the flat-out runs' end-to-end rate: latency is
   * only meaningful below what the machine sustains (flat out, the producers outrun the drain on
   * two shared cores and the backlog, hence the latency, grows through the run).
   */
  /**
   * Seconds between two VACUUMs of the queue tables while producers and dispatcher run at once,
   * standing in for autovacuum, which a production server runs and this machine's server has off; 0
   * for none. Without it every claim walks the due index over the entries of all the mail claimed
   * since the run began (measured: the dispatcher's backends 1,500 instead of 400 us per message,
   * end to end 557 instead of 877 msg/s).
   */
  private static final int VACUUM_SECONDS = Integer.getInteger("bench.vacuumSeconds", 1);

  private static final double PACED_SHARE =
      Double.parseDouble(System.getProperty("bench.producerPacedShare", "0.5"));

  /**
   * Whether the producers' enqueues NOTIFY (the store's default). PostgreSQL serialises the commits
   * of notifying transactions, so {@code -Dbench.notifyOnEnqueue=false} shows what that costs
   * concurrent producers; the dispatcher then finds their mail by polling.
   */
  private static final boolean NOTIFY_ON_ENQUEUE =
      Boolean.parseBoolean(System.getProperty("bench.notifyOnEnqueue", "true"));

  private static final int COLD_MAILS = Integer.getInteger("bench.coldMails", 60_000);

  /** The cold start's first window, and the size of the steady window at the end. */
  private static final int COLD_FIRST = Integer.getInteger("bench.coldFirst", 20_000);

  private static final int NODE_MAILS = Integer.getInteger("bench.nodeMails", 30_000);
  private static final int NODE_WARMUP_SECONDS = Integer.getInteger("bench.nodeWarmupSeconds", 20);
  private static final int MAX_NODES = Integer.getInteger("bench.maxNodes", 3);

  /** ApplicationName of the pool whose backends claim and complete. */
  private static final String DISPATCHER = "mq-bench-dispatcher";

  /** Postfix's end-to-end rate measured by {@link #peers}, for the producers' ratio; 0 if none. */
  private static double postfixRate;

  private PeerBenchmark() {}

  /** A drain's rate and CPU microseconds per message: this JVM, the dispatcher's backends. */
  private record Drain(double rate, double jvmMicros, double pgMicros, String threads) {}

  // ------------------------------------------------------------------ 7. real peers

  static void peers() throws Exception {
    if (ExternalSink.unavailable().isPresent()) {
      System.out.println("  skipped 7. real peers: " + ExternalSink.unavailable().get());
      return;
    }
    String prefix = "bp_";
    try (HikariDataSource ds = pool(DISPATCHER);
        ExternalSink external = ExternalSink.start();
        SmtpSink inProcess = SmtpSink.acceptingAll(false)) {
      WarmUp.until(
          "queue and bare Angus to smtp-sink and to the in-process sink",
          WARMUP_SECONDS,
          MAX_WARMUP_SECONDS,
          () -> {
            BenchmarkSuite.fillWithSql(ds, prefix, PEER_MAILS / 2);
            queueDrain(ds, prefix, smtp(external.port()), PEER_MAILS / 2);
            bareAngus(external.port(), PEER_MAILS / 2);
            BenchmarkSuite.fillWithSql(ds, prefix, PEER_MAILS / 2);
            queueDrain(ds, prefix, smtp(inProcess.port()), PEER_MAILS / 2);
            bareAngus(inProcess.port(), PEER_MAILS / 2);
          });
      Drain[] queueExternal = new Drain[RUNS];
      Drain[] angusExternal = new Drain[RUNS];
      Drain[] queueInProcess = new Drain[RUNS];
      Drain[] angusInProcess = new Drain[RUNS];
      double[] postfix = new double[RUNS];
      double[] postfixCpu = new double[RUNS];
      String postfixSkipped = PostfixRelay.unavailable().orElse(null);
      PostfixRelay relay =
          postfixSkipped == null ? PostfixRelay.start(external.port(), CONNECTIONS) : null;
      try {
        for (int run = 0; run < RUNS; run++) {
          BenchmarkSuite.fillWithSql(ds, prefix, PEER_MAILS);
          queueExternal[run] = queueDrain(ds, prefix, smtp(external.port()), PEER_MAILS);
          angusExternal[run] = bareAngus(external.port(), PEER_MAILS);
          BenchmarkSuite.fillWithSql(ds, prefix, PEER_MAILS);
          queueInProcess[run] = queueDrain(ds, prefix, smtp(inProcess.port()), PEER_MAILS);
          angusInProcess[run] = bareAngus(inProcess.port(), PEER_MAILS);
          if (relay != null) {
            long before = external.messages();
            long cpu0 = relay.cpuNanos();
            long t0 = System.nanoTime();
            relay.source(PEER_MAILS, 2_300, CONNECTIONS);
            if (!external.awaitMessages(before + PEER_MAILS, 20, TimeUnit.MINUTES)) {
              throw new IllegalStateException("Postfix did not relay within 20 minutes");
            }
            postfix[run] = PEER_MAILS / ((System.nanoTime() - t0) / 1e9);
            postfixCpu[run] = (relay.cpuNanos() - cpu0) / 1e3 / PEER_MAILS;
          }
          System.out.printf(
              Locale.ROOT,
              "  run %d (%s): queue -> smtp-sink %,.0f msg/s (JVM %.0f us, PostgreSQL %.0f us per"
                  + " message), bare Angus -> smtp-sink %,.0f (JVM %.0f us); in-process sink: queue"
                  + " %,.0f, bare Angus %,.0f; Postfix %,.0f msg/s (%.0f us of Postfix CPU per"
                  + " message)%n      queue -> smtp-sink, JVM CPU us/msg by thread: %s%n",
              run + 1,
              load(),
              queueExternal[run].rate,
              queueExternal[run].jvmMicros,
              queueExternal[run].pgMicros,
              angusExternal[run].rate,
              angusExternal[run].jvmMicros,
              queueInProcess[run].rate,
              angusInProcess[run].rate,
              postfix[run],
              postfixCpu[run],
              queueExternal[run].threads);
        }
      } finally {
        BenchTables.drop(ds, prefix);
        if (relay != null) {
          relay.close();
        }
      }
      String size = String.format(Locale.ROOT, "%,d x 2 KB", PEER_MAILS);
      add(
          "7. real peers",
          "queue drain -> smtp-sink (own process), " + size + ", " + CONNECTIONS + " connections",
          rates(queueExternal),
          "msg/s",
          "bare Angus Mail -> the same smtp-sink, same connections",
          rates(angusExternal),
          ">= 90 %");
      add(
          "7. real peers",
          "CPU per message of that drain: dispatcher JVM (PostgreSQL backends: "
              + String.format(Locale.ROOT, "%.0f us", median(pg(queueExternal)))
              + ")",
          jvm(queueExternal),
          "us",
          "bare Angus Mail's JVM",
          jvm(angusExternal),
          "");
      add(
          "7. real peers",
          "queue drain -> in-process sink (the earlier stage 2 setup)",
          rates(queueInProcess),
          "msg/s",
          "bare Angus Mail -> in-process sink",
          rates(angusInProcess),
          "(retired)");
      if (relay != null) {
        postfixRate = median(postfix);
        add(
            "7. real peers",
            "Postfix end to end: smtp-source -> private Postfix -> smtp-sink, "
                + size
                + String.format(Locale.ROOT, " (%.0f us Postfix CPU/msg)", median(postfixCpu)),
            postfix,
            "msg/s",
            "",
            new double[] {0},
            "");
      } else {
        System.out.println("  skipped the Postfix stage: " + postfixSkipped);
      }
    }
  }

  // ------------------------------------------------------------------ 8. producers

  /**
   * N producer threads each enqueue one mail per PostgreSQL transaction (the application's own
   * connection) while the same queue's dispatcher drains to the sink; latency is from the start of
   * the enqueue to the delivery event (after the sink's 250 and the completion's commit).
   */
  static void producers() throws Exception {
    boolean external = ExternalSink.unavailable().isEmpty();
    String prefix = "bq_";
    try (HikariDataSource dispatcher = pool(DISPATCHER);
        HikariDataSource app = pool("mq-bench-producer");
        AutoCloseable sink = external ? ExternalSink.start() : SmtpSink.acceptingAll(false)) {
      int port = sink instanceof ExternalSink e ? e.port() : ((SmtpSink) sink).port();
      WarmUp.until(
          "producers and dispatcher",
          10,
          MAX_WARMUP_SECONDS,
          () -> produce(dispatcher, app, prefix, port, PRODUCER_MAILS / 2, 0));
      double[] rate = new double[RUNS];
      double[] p50 = new double[RUNS];
      double[] p99 = new double[RUNS];
      double[] cpu = new double[RUNS];
      for (int run = 0; run < RUNS; run++) {
        double[] r = produce(dispatcher, app, prefix, port, PRODUCER_MAILS, 0);
        rate[run] = r[0];
        p50[run] = r[1];
        p99[run] = r[2];
        cpu[run] = r[3];
        System.out.printf(
            Locale.ROOT,
            "  run %d (%s): %d producers flat out, %,.0f msg/s sustained (enqueued at %,.0f msg/s),"
                + " enqueue -> accepted p50 %.1f ms, p99 %.1f ms; machine CPU %.0f us/msg%n",
            run + 1,
            load(),
            PRODUCERS,
            r[0],
            r[4],
            r[1],
            r[2],
            r[3]);
      }
      double offered = PACED_SHARE * BenchmarkSuite.median(rate);
      double[] pacedP50 = new double[RUNS];
      double[] pacedP99 = new double[RUNS];
      double[] pacedRate = new double[RUNS];
      for (int run = 0; run < RUNS; run++) {
        double[] r = produce(dispatcher, app, prefix, port, PRODUCER_MAILS / 2, offered);
        pacedRate[run] = r[0];
        pacedP50[run] = r[1];
        pacedP99[run] = r[2];
        System.out.printf(
            Locale.ROOT,
            "  paced run %d (%s): %d producers offering %,.0f msg/s, %,.0f msg/s sustained,"
                + " enqueue -> accepted p50 %.1f ms, p99 %.1f ms; machine CPU %.0f us/msg%n",
            run + 1,
            load(),
            PRODUCERS,
            offered,
            r[0],
            r[1],
            r[2],
            r[3]);
      }
      BenchTables.drop(dispatcher, prefix);
      String to = external ? "smtp-sink" : "in-process sink (no smtp-sink here)";
      add(
          "8. producers",
          PRODUCERS
              + " producers, one mail per transaction"
              + (NOTIFY_ON_ENQUEUE ? "" : " (no NOTIFY)")
              + ", while draining -> "
              + to
              + String.format(Locale.ROOT, ", %,d mails", PRODUCER_MAILS),
          rate,
          "msg/s",
          postfixRate > 0 ? "Postfix end to end (stage 7), times 10" : "(no Postfix figure)",
          new double[] {postfixRate * 10},
          ">= 100 % (10x Postfix)");
      add(
          "8. producers",
          "flat out: enqueue -> accepted, p50",
          p50,
          "ms",
          "",
          new double[] {0},
          "");
      add(
          "8. producers",
          "flat out: enqueue -> accepted, p99",
          p99,
          "ms",
          "",
          new double[] {0},
          "< 100 ms");
      add(
          "8. producers",
          "flat out: machine CPU per message (all processes, 2 cores)",
          cpu,
          "us",
          "",
          new double[] {0},
          "");
      String paced =
          String.format(
              Locale.ROOT,
              "paced at %,.0f msg/s (%.0f %% of flat out), %,d mails: ",
              offered,
              PACED_SHARE * 100,
              PRODUCER_MAILS / 2);
      add("8. producers", paced + "sustained", pacedRate, "msg/s", "", new double[] {0}, "");
      add(
          "8. producers",
          paced + "enqueue -> accepted, p50",
          pacedP50,
          "ms",
          "",
          new double[] {0},
          "");
      add(
          "8. producers",
          paced + "enqueue -> accepted, p99",
          pacedP99,
          "ms",
          "",
          new double[] {0},
          "< 100 ms");
    }
  }

  /**
   * One producers run, flat out ({@code offered} 0) or paced at {@code offered} msg/s in all (each
   * mail's latency then counts from its scheduled start, so that a producer falling behind its
   * schedule shows); returns {msg/s end to end, p50 ms, p99 ms, machine CPU us per message, msg/s
   * enqueued}.
   */
  private static double[] produce(
      HikariDataSource dispatcher,
      HikariDataSource app,
      String prefix,
      int port,
      int count,
      double offered)
      throws Exception {
    BenchTables.drop(dispatcher, prefix);
    JdbcMailStore.builder(dispatcher).tablePrefix(prefix).createSchema(true).build().start();
    BenchTables.analyze(dispatcher, prefix);
    // by message: the start of its enqueue and its number; its latency lands at that number
    Map<MessageId, long[]> started = new ConcurrentHashMap<>();
    double[] millis = new double[count];
    AtomicInteger done = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(count);
    MailQueue queue =
        MailQueue.builder()
            .store(
                JdbcMailStore.builder(dispatcher)
                    .tablePrefix(prefix)
                    .notifyOnEnqueue(NOTIFY_ON_ENQUEUE)
                    .build())
            .transport(smtp(port))
            .workers(WORKERS)
            .messageIdDomain("example.com")
            .listener(
                new DeliveryListener() {
                  @Override
                  public void delivered(DeliveryEvent event) {
                    long now = System.nanoTime();
                    long[] t0 = started.get(event.messageId());
                    if (t0 != null) {
                      millis[(int) t0[1]] = (now - t0[0]) / 1e6;
                      done.incrementAndGet();
                    }
                    all.countDown();
                  }
                })
            .build();
    queue.start();
    AtomicInteger next = new AtomicInteger();
    List<Thread> producers = new ArrayList<>();
    List<Exception> failures = new ArrayList<>();
    Thread vacuum =
        new Thread(
            () -> {
              while (VACUUM_SECONDS > 0 && !Thread.currentThread().isInterrupted()) {
                try {
                  Thread.sleep(VACUUM_SECONDS * 1000L);
                  // its own connection: its CPU counts in "the rest", not in either pool's backends
                  try (Connection c = DriverManager.getConnection(PG_URL);
                      Statement st = c.createStatement()) {
                    st.execute("VACUUM " + prefix + "message, " + prefix + "recipient");
                  }
                } catch (InterruptedException e) {
                  return;
                } catch (SQLException e) {
                  System.out.println("      VACUUM failed: " + e.getMessage());
                }
              }
            },
            "vacuum");
    vacuum.setDaemon(true);
    long cpu0 = ProcCpu.machine();
    long jvm0 = ProcCpu.process(ProcessHandle.current().pid());
    Map<Long, Long> producerBackends0 = ProcCpu.backends(PG_URL, "mq-bench-producer");
    Map<Long, Long> dispatcherBackends0 = ProcCpu.backends(PG_URL, DISPATCHER);
    long t0 = System.nanoTime();
    vacuum.start();
    for (int p = 0; p < PRODUCERS; p++) {
      Thread t =
          new Thread(
              () -> {
                int i;
                while ((i = next.getAndIncrement()) < count) {
                  long start;
                  if (offered > 0) {
                    start = t0 + (long) (i * 1e9 / offered);
                    long wait = start - System.nanoTime();
                    if (wait > 0) {
                      LockSupport.parkNanos(wait);
                    }
                  } else {
                    start = System.nanoTime();
                  }
                  try (Connection c = app.getConnection()) {
                    c.setAutoCommit(false);
                    MessageId id = queue.enqueue(c, mail(i));
                    started.put(id, new long[] {start, i}); // before the commit: before delivery
                    c.commit();
                  } catch (Exception e) {
                    synchronized (failures) {
                      failures.add(e);
                    }
                    return;
                  }
                }
              },
              "producer-" + p);
      t.start();
      producers.add(t);
    }
    for (Thread t : producers) {
      t.join();
    }
    double enqueueRate = count / ((System.nanoTime() - t0) / 1e9);
    if (!failures.isEmpty()) {
      queue.close();
      throw failures.get(0);
    }
    boolean drained;
    try {
      drained = all.await(20, TimeUnit.MINUTES);
    } finally {
      vacuum.interrupt();
      vacuum.join();
    }
    if (!drained) {
      throw new IllegalStateException("not delivered within 20 minutes");
    }
    double rate = count / ((System.nanoTime() - t0) / 1e9);
    double cpuMicros = (ProcCpu.machine() - cpu0) / 1e3 / count;
    System.out.printf(
        Locale.ROOT,
        "      CPU us/msg: machine %.0f = this JVM %.0f + producers' backends %.0f + dispatcher's"
            + " backends %.0f + the rest (smtp-sink, WAL writer, kernel, other services)%n",
        cpuMicros,
        (ProcCpu.process(ProcessHandle.current().pid()) - jvm0) / 1e3 / count,
        ProcCpu.used(producerBackends0, ProcCpu.backends(PG_URL, "mq-bench-producer"))
            / 1e3
            / count,
        ProcCpu.used(dispatcherBackends0, ProcCpu.backends(PG_URL, DISPATCHER)) / 1e3 / count);
    queue.close();
    if (done.get() != count) {
      throw new IllegalStateException(done.get() + " of " + count + " deliveries were timed");
    }
    // Latency by tenth of the run, in enqueue order: growing when the dispatcher falls behind
    // the producers, flat with spikes when something stalls now and then.
    StringBuilder tenths = new StringBuilder("      p50/max by tenth of the run (ms):");
    for (int t = 0; t < 10; t++) {
      double[] part = Arrays.copyOfRange(millis, t * count / 10, (t + 1) * count / 10);
      Arrays.sort(part);
      tenths.append(
          String.format(Locale.ROOT, " %.0f/%.0f", part[part.length / 2], part[part.length - 1]));
    }
    System.out.println(tenths);
    double[] sorted = millis.clone();
    Arrays.sort(sorted);
    return new double[] {
      rate,
      sorted[sorted.length / 2],
      sorted[(int) Math.ceil(sorted.length * 0.99) - 1],
      cpuMicros,
      enqueueRate
    };
  }

  // ------------------------------------------------------------------ 9. database cost

  /**
   * The queue alone (a transport that accepts at once) draining a backlog: the CPU its PostgreSQL
   * backends spend per message on claim and completion, read per backend from /proc.
   */
  static void databaseCost() throws Exception {
    String prefix = "bc_";
    int count = PEER_MAILS * 2;
    try (HikariDataSource ds = pool(DISPATCHER)) {
      WarmUp.until(
          "the queue alone",
          15,
          MAX_WARMUP_SECONDS,
          () -> {
            BenchmarkSuite.fillWithSql(ds, prefix, count / 4);
            queueDrain(ds, prefix, new AcceptAll(), count / 4);
          });
      Drain[] drains = new Drain[RUNS];
      for (int run = 0; run < RUNS; run++) {
        BenchmarkSuite.fillWithSql(ds, prefix, count);
        drains[run] = queueDrain(ds, prefix, new AcceptAll(), count);
        System.out.printf(
            Locale.ROOT,
            "  run %d (%s): queue alone %,.0f msg/s, JVM %.0f us, PostgreSQL backends %.0f us per"
                + " message%n      JVM CPU us/msg by thread: %s%n",
            run + 1,
            load(),
            drains[run].rate,
            drains[run].jvmMicros,
            drains[run].pgMicros,
            drains[run].threads);
      }
      BenchTables.drop(ds, prefix);
      add(
          "9. database cost",
          String.format(
              Locale.ROOT,
              "PostgreSQL backend CPU per message, claim + completion (queue alone, %,.0f msg/s)",
              median(rates(drains))),
          pg(drains),
          "us",
          "dispatcher JVM CPU per message",
          jvm(drains),
          "< 50 us");
    }
  }

  // ------------------------------------------------------------------ 10. cold start

  /**
   * A fresh JVM drains a backlog ({@code bench.coldMails}); the rate of its first {@code
   * bench.coldFirst} (default 20,000), timed from the JVM's start, against that of its last as
   * many.
   */
  static void coldStart() throws Exception {
    String prefix = "bk_";
    try (HikariDataSource ds = pool("mq-bench-parent");
        AutoCloseable sink =
            ExternalSink.unavailable().isEmpty()
                ? ExternalSink.start()
                : SmtpSink.acceptingAll(false)) {
      int port = sink instanceof ExternalSink e ? e.port() : ((SmtpSink) sink).port();
      double[] first = new double[RUNS];
      double[] steady = new double[RUNS];
      for (int run = 0; run < RUNS; run++) {
        BenchmarkSuite.fillWithSql(ds, prefix, COLD_MAILS);
        Process child =
            new ProcessBuilder(
                    DispatcherNode.command(
                        "cold",
                        prefix,
                        Integer.toString(port),
                        Integer.toString(COLD_MAILS),
                        Integer.toString(WORKERS),
                        Integer.toString(CONNECTIONS),
                        Integer.toString(COLD_FIRST)))
                .redirectErrorStream(true)
                .start();
        long[] at = new long[COLD_MAILS / 1_000 + 1];
        StringBuilder rest = new StringBuilder();
        try (BufferedReader out =
            new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) {
            if (line.startsWith("AT ")) {
              String[] f = line.split(" ");
              at[Integer.parseInt(f[1]) / 1_000] = Long.parseLong(f[2]);
            } else if (line.startsWith("FIRST ")
                || line.startsWith("REST ")
                || line.startsWith("JIT ")
                || line.startsWith("START ")) {
              rest.append("      ").append(line).append('\n');
            }
          }
        }
        int k0 = COLD_FIRST / 1_000;
        if (child.waitFor() != 0 || at[k0] == 0) {
          throw new IllegalStateException("the cold-start JVM failed: exit " + child.exitValue());
        }
        int last = COLD_MAILS / 1_000;
        first[run] = COLD_FIRST / (at[k0] / 1e3);
        steady[run] = COLD_FIRST / ((at[last] - at[last - k0]) / 1e3);
        StringBuilder timeline = new StringBuilder();
        for (int k = 5; k <= last; k += 5) {
          timeline.append(String.format(Locale.ROOT, " %dk@%.1fs", k, at[k] / 1e3));
        }
        System.out.printf(
            Locale.ROOT,
            "  run %d (%s): first %,d from JVM start %,.0f msg/s, last %,d %,.0f msg/s;"
                + " delivered by time:%s%n  CPU us/msg by thread in the child:%n%s",
            run + 1,
            load(),
            COLD_FIRST,
            first[run],
            COLD_FIRST,
            steady[run],
            timeline,
            rest);
      }
      BenchTables.drop(ds, prefix);
      add(
          "10. cold start",
          String.format(
              Locale.ROOT,
              "first %,d from JVM start (fresh JVM, %,d queued, no JVM flags)",
              COLD_FIRST,
              COLD_MAILS),
          first,
          "msg/s",
          String.format(Locale.ROOT, "the same JVM's last %,d", COLD_FIRST),
          steady,
          ">= 60 %");
    }
  }

  // ------------------------------------------------------------------ 11. dispatcher nodes

  /** One to {@code bench.maxNodes} warmed dispatcher JVMs draining one backlog together. */
  static void nodes() throws Exception {
    String prefix = "bn_";
    double oneNode = 0;
    try (HikariDataSource ds = pool("mq-bench-parent");
        AutoCloseable sink =
            ExternalSink.unavailable().isEmpty()
                ? ExternalSink.start()
                : SmtpSink.acceptingAll(false)) {
      int port = sink instanceof ExternalSink e ? e.port() : ((SmtpSink) sink).port();
      for (int k = 1; k <= MAX_NODES; k++) {
        BenchmarkSuite.fillWithSql(ds, prefix, NODE_MAILS);
        List<Process> children = new ArrayList<>();
        List<BufferedReader> outs = new ArrayList<>();
        try {
          for (int i = 0; i < k; i++) {
            Process p =
                new ProcessBuilder(
                        DispatcherNode.command(
                            "node",
                            prefix,
                            Integer.toString(port),
                            Integer.toString(NODE_WARMUP_SECONDS),
                            Integer.toString(WORKERS),
                            Integer.toString(CONNECTIONS)))
                    .redirectErrorStream(true)
                    .start();
            children.add(p);
            outs.add(
                new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
          }
          for (BufferedReader out : outs) {
            expect(out, "READY");
          }
          Map<Long, Long> pg0 = ProcCpu.backends(PG_URL, DispatcherNode.APPLICATION);
          long t0 = System.nanoTime();
          for (Process p : children) {
            send(p, "GO");
          }
          long deadline = t0 + TimeUnit.MINUTES.toNanos(20);
          while (delivered(ds, prefix) < NODE_MAILS) {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException("the dispatcher JVMs did not drain in 20 minutes");
            }
            Thread.sleep(100); // polling the database: the children are other processes
          }
          double rate = NODE_MAILS / ((System.nanoTime() - t0) / 1e9);
          long pgNanos = ProcCpu.used(pg0, ProcCpu.backends(PG_URL, DispatcherNode.APPLICATION));
          long jvmNanos = 0;
          StringBuilder detail = new StringBuilder();
          for (int i = 0; i < k; i++) {
            send(children.get(i), "STOP");
            String done = expect(outs.get(i), "DONE");
            String[] f = done.split(" ", 4);
            jvmNanos += Long.parseLong(f[2]);
            detail.append(
                String.format(
                    Locale.ROOT,
                    "      node %d: %s messages, %s%n",
                    i + 1,
                    f[1],
                    f.length > 3 ? f[3] : ""));
          }
          if (k == 1) {
            oneNode = rate;
          }
          double jvmUs = jvmNanos / 1e3 / NODE_MAILS;
          double pgUs = pgNanos / 1e3 / NODE_MAILS;
          System.out.printf(
              Locale.ROOT,
              "  %d dispatcher JVM(s) (%s): %,.0f msg/s; CPU per message: JVMs %.0f us,"
                  + " PostgreSQL backends %.0f us%n%s",
              k,
              load(),
              rate,
              jvmUs,
              pgUs,
              detail);
          add(
              "11. dispatcher nodes",
              String.format(
                  Locale.ROOT,
                  "%d JVM(s) draining %,d -> sink (CPU/msg: JVMs %.0f us, PostgreSQL %.0f us)",
                  k,
                  NODE_MAILS,
                  jvmUs,
                  pgUs),
              new double[] {rate},
              "msg/s",
              k == 1 ? "" : "one JVM",
              new double[] {k == 1 ? 0 : oneNode},
              "");
        } finally {
          for (Process p : children) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
              p.destroyForcibly();
            }
          }
        }
      }
      BenchTables.drop(ds, prefix);
    }
  }

  private static String expect(BufferedReader out, String word) throws Exception {
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(word)) {
        return line;
      }
      System.out.println("      (node) " + line);
    }
    throw new IllegalStateException("a dispatcher JVM ended before " + word);
  }

  private static void send(Process p, String line) {
    PrintWriter in =
        new PrintWriter(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8), true);
    in.println(line);
  }

  private static long delivered(HikariDataSource ds, String prefix) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT count(*) FROM " + prefix + "message WHERE state = 'DELIVERED'")) {
      r.next();
      return r.getLong(1);
    }
  }

  // ------------------------------------------------------------------ shared

  private static Drain queueDrain(
      HikariDataSource ds, String prefix, MailTransport transport, int count) throws Exception {
    CountDownLatch delivered = new CountDownLatch(count);
    MailQueue queue =
        MailQueue.builder()
            .store(
                JdbcMailStore.builder(ds)
                    .tablePrefix(prefix)
                    .retainBodies(Boolean.getBoolean("bench.retainBodies"))
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
    long pid = ProcessHandle.current().pid();
    Map<Long, Long> pg0 = ProcCpu.backends(PG_URL, DISPATCHER);
    Map<String, Long> threads0 = ProcCpu.threadsByName(pid);
    long jvm0 = ProcCpu.process(pid);
    long t0 = System.nanoTime();
    queue.start();
    if (!delivered.await(20, TimeUnit.MINUTES)) {
      throw new IllegalStateException("not drained within 20 minutes");
    }
    double rate = count / ((System.nanoTime() - t0) / 1e9);
    long jvm = ProcCpu.process(pid) - jvm0;
    long pg = ProcCpu.used(pg0, ProcCpu.backends(PG_URL, DISPATCHER));
    String threads = ProcCpu.breakdown(threads0, ProcCpu.threadsByName(pid), count);
    queue.close();
    return new Drain(rate, jvm / 1e3 / count, pg / 1e3 / count, threads);
  }

  private static Drain bareAngus(int port, int count) throws Exception {
    BareAngus angus = new BareAngus(port, CONNECTIONS, count, BenchSetup.BODY);
    long pid = ProcessHandle.current().pid();
    long jvm0 = ProcCpu.process(pid);
    long t0 = System.nanoTime();
    angus.send();
    double rate = count / ((System.nanoTime() - t0) / 1e9);
    return new Drain(rate, (ProcCpu.process(pid) - jvm0) / 1e3 / count, 0, "");
  }

  private static MailTransport smtp(int port) {
    return SmtpTransport.relay("127.0.0.1", port)
        .security(Security.NONE)
        .maxConnectionsPerServer(CONNECTIONS)
        .build();
  }

  private static Mail mail(int i) {
    return Mail.builder()
        .from("bench@example.com")
        .to("r" + i + "@example.org")
        .subject("bench " + i)
        .text(BenchSetup.BODY)
        .build();
  }

  /** A pool whose connections carry {@code application} as their ApplicationName. */
  private static HikariDataSource pool(String application) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(PG_URL);
    config.setMaximumPoolSize(12);
    config.addDataSourceProperty("ApplicationName", application);
    return new HikariDataSource(config);
  }

  /** The 1-minute load average, for the figures of a shared machine. */
  static String load() {
    try {
      return "load "
          + java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "load n/a";
    }
  }

  private static double[] rates(Drain[] d) {
    return Arrays.stream(d).mapToDouble(Drain::rate).toArray();
  }

  private static double[] jvm(Drain[] d) {
    return Arrays.stream(d).mapToDouble(Drain::jvmMicros).toArray();
  }

  private static double[] pg(Drain[] d) {
    return Arrays.stream(d).mapToDouble(Drain::pgMicros).toArray();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static void add(
      String scenario,
      String measure,
      double[] values,
      String unit,
      String baseline,
      double[] baselineValues,
      String target) {
    double[] s = values.clone();
    Arrays.sort(s);
    BenchmarkSuite.FIGURES.add(
        new BenchmarkSuite.Figure(
            scenario,
            measure + " (" + load() + ")",
            median(values),
            s[0],
            s[s.length - 1],
            unit,
            baseline,
            median(baselineValues),
            target));
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
