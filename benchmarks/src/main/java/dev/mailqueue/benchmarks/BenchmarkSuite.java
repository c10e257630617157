package dev.mailqueue.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.examples.SmtpSink;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every promise measured in one run, each beside its baseline measured in the same run: prints a
 * table and writes {@code benchmarks/target/benchmark-results.json}. Sizes are system properties
 * ({@code bench.*}); defaults keep a run near ten minutes on two cores.
 */
public final class BenchmarkSuite {
  private static final String PG_URL = BenchSetup.POSTGRESQL_URL;
  private static final int RUNS = Integer.getInteger("bench.runs", 3);

  /** Seconds each enqueue variant is measured for, per run. */
  private static final int ENQUEUE_WINDOW_SECONDS = Integer.getInteger("bench.enqueueSeconds", 1);

  /**
   * Runs of each enqueue variant, interleaved. Many short windows rather than three long ones: on
   * H2 (tables in the JVM's heap) a single collector pause or a noisy neighbour could take most of
   * a window, and with three windows one such window moved the median by a third.
   */
  private static final int ENQUEUE_RUNS = Integer.getInteger("bench.enqueueRuns", 15);

  /** Seconds of untimed enqueue on each database before the first run. */
  private static final int ENQUEUE_WARMUP_SECONDS =
      Integer.getInteger("bench.enqueueWarmupSeconds", 30);

  private static final int DRAIN = Integer.getInteger("bench.drain", 20_000);

  /** Least seconds of untimed draining (queue and bare Angus) before the end-to-end runs. */
  private static final int DRAIN_WARMUP_SECONDS =
      Integer.getInteger("bench.drainWarmupSeconds", 30);

  /** Most seconds of it: it ends earlier once the JIT has settled ({@link WarmUp}). */
  private static final int MAX_DRAIN_WARMUP_SECONDS =
      Integer.getInteger("bench.maxDrainWarmupSeconds", 180);

  private static final int LATENCY = Integer.getInteger("bench.latency", 300);
  private static final int BIG_BACKLOG = Integer.getInteger("bench.backlog", 1_000_000);
  private static final int MEMORY = Integer.getInteger("bench.memory", 100_000);
  private static final int CONNECTIONS = 4;
  private static final String BODY = BenchSetup.BODY;
  private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID: (<[^>]+>)");

  /** One line of the table. */
  record Figure(
      String scenario,
      String measure,
      double median,
      double min,
      double max,
      String unit,
      String baseline,
      double baselineMedian,
      String target) {
    String ratio() {
      return baselineMedian > 0
          ? String.format(Locale.ROOT, "%.0f %%", 100 * median / baselineMedian)
          : "";
    }
  }

  static final List<Figure> FIGURES = new ArrayList<>();

  private BenchmarkSuite() {}

  public static void main(String[] args) throws Exception {
    System.out.printf(
        "mailqueue benchmark suite: %d cores, %s, PostgreSQL %s, %d runs per figure "
            + "(enqueue: %d windows of %d s)%n%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        PG_URL,
        RUNS,
        ENQUEUE_RUNS,
        ENQUEUE_WINDOW_SECONDS);
    try (HikariDataSource pg = pool(PG_URL, 12);
        HikariDataSource h2 = pool("jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1", 12)) {
      String only = System.getProperty("bench.only", "");
      if (only.isEmpty() || only.contains("enqueue")) {
        String on = System.getProperty("bench.enqueueOn", "PostgreSQL,H2");
        if (on.contains("PostgreSQL")) {
          enqueue("PostgreSQL", pg);
        }
        if (on.contains("H2")) {
          enqueue("H2", h2);
        }
      }
      if (only.isEmpty() || only.contains("drain")) {
        drain(pg);
      }
      if (only.isEmpty() || only.contains("latency")) {
        latency(pg);
      }
      if (only.isEmpty() || only.contains("backlog")) {
        backlog(pg);
      }
      if (only.isEmpty() || only.contains("fastlane")) {
        fastLane();
      }
      if (only.isEmpty() || only.contains("memory")) {
        memory(pg);
      }
      if (only.isEmpty() || only.contains("peers")) {
        PeerBenchmark.peers();
      }
      if (only.isEmpty() || only.contains("producers")) {
        PeerBenchmark.producers();
      }
      if (only.isEmpty() || only.contains("dbcost")) {
        PeerBenchmark.databaseCost();
      }
      if (only.isEmpty() || only.contains("coldstart")) {
        PeerBenchmark.coldStart();
      }
      if (only.isEmpty() || only.contains("nodes")) {
        PeerBenchmark.nodes();
      }
    }
    print();
    System.exit(0);
  }

  // ------------------------------------------------------------------ 1. enqueue

  private static void enqueue(String db, HikariDataSource ds) throws Exception {
    double[] single = new double[ENQUEUE_RUNS];
    double[] singlePlain = new double[ENQUEUE_RUNS];
    double[] batched = new double[ENQUEUE_RUNS];
    double[] batchedPlain = new double[ENQUEUE_RUNS];
    warmUpEnqueue(ds);
    // Every window starts on empty tables, so neither side writes into a larger table (and, on H2,
    // a larger heap) than the other.
    String prefix = "be_";
    for (int run = 0; run < ENQUEUE_RUNS; run++) {
      MailQueue queue = producer(ds, prefix, true);
      single[run] = timed(n -> queue.enqueue(mail(n)), 1);
      producer(ds, prefix, true);
      singlePlain[run] = plainInserts(ds, prefix, 1);
      MailQueue forBatches = producer(ds, prefix, true);
      batched[run] = timed(n -> forBatches.enqueueAll(mails(n, 100)), 100);
      producer(ds, prefix, true);
      batchedPlain[run] = plainInserts(ds, prefix, 100);
    }
    drop(ds, prefix);
    add(
        "1. enqueue " + db,
        "one per transaction",
        single,
        "msg/s",
        "plain JDBC INSERTs of the same rows",
        singlePlain,
        ">= 85 %");
    add(
        "1. enqueue " + db,
        "enqueueAll, 100 per transaction",
        batched,
        "msg/s",
        "plain JDBC INSERTs of the same rows, 100 per transaction",
        batchedPlain,
        ">= 85 %");
  }

  /**
   * Runs all four variants in turn, untimed, for {@link #ENQUEUE_WARMUP_SECONDS}, so that the
   * figures describe code the JIT has compiled on both sides. A count would not do: the queue
   * (validation, Angus rendering, Jdbi) has far more code to compile than four plain INSERTs, and
   * on H2, where a message costs ~100 us, it took ~60,000 enqueues to reach its steady rate.
   */
  private static void warmUpEnqueue(HikariDataSource ds) throws Exception {
    String prefix = "bw_";
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(ENQUEUE_WARMUP_SECONDS);
    while (System.nanoTime() < end) {
      MailQueue queue =
          producer(ds, prefix, true); // a fresh table now and then: H2 keeps it in memory
      for (int i = 0; i < 5; i++) {
        for (int n = 0; n < 1_000; n++) {
          queue.enqueue(mail(n));
        }
        for (int n = 0; n < 1_000; n += 100) {
          queue.enqueueAll(mails(n, 100));
        }
        insertPlain(ds, prefix, 1_000, 1, Long.MAX_VALUE);
        insertPlain(ds, prefix, 1_000, 100, Long.MAX_VALUE);
      }
    }
    drop(ds, prefix);
  }

  /** One step of a timed loop; {@code n} is the number of the first message it writes. */
  private interface Step {
    void run(int n) throws Exception;
  }

  /** Repeats {@code step} (writing {@code perStep} messages) for one window and returns msg/s. */
  private static double timed(Step step, int perStep) throws Exception {
    long t0 = System.nanoTime();
    long end = t0 + TimeUnit.SECONDS.toNanos(ENQUEUE_WINDOW_SECONDS);
    int n = 0;
    while (System.nanoTime() < end) {
      step.run(n);
      n += perStep;
    }
    return rate(n, t0);
  }

  private static List<Mail> mails(int first, int count) {
    List<Mail> batch = new ArrayList<>(count);
    for (int i = first; i < first + count; i++) {
      batch.add(mail(i));
    }
    return batch;
  }

  /** Plain JDBC inserts for one window; returns msg/s. */
  private static double plainInserts(HikariDataSource ds, String prefix, int perTransaction)
      throws Exception {
    long t0 = System.nanoTime();
    int n =
        insertPlain(
            ds,
            prefix,
            Integer.MAX_VALUE,
            perTransaction,
            t0 + TimeUnit.SECONDS.toNanos(ENQUEUE_WINDOW_SECONDS));
    return rate(n, t0);
  }

  /**
   * Raw JDBC writing the rows enqueue writes (message, body, recipient) into the same tables, on
   * one held connection with statements prepared once: up to {@code max} messages or until {@code
   * deadline} (nanoTime). Returns the number written.
   */
  private static int insertPlain(
      HikariDataSource ds, String prefix, int max, int perTransaction, long deadline)
      throws Exception {
    byte[] mime = new byte[2300];
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement m =
              c.prepareStatement(
                  "INSERT INTO "
                      + prefix
                      + "message (id, state, priority, due_at, "
                      + "created_at, updated_at, expires_at, tag, envelope_from, message_id_header, idempotency_key, size_bytes) "
                      + "VALUES (?, 'QUEUED', 5, ?, ?, ?, ?, NULL, 'bench@example.com', ?, NULL, 2300)");
          PreparedStatement b =
              c.prepareStatement(
                  "INSERT INTO "
                      + prefix
                      + "body (message_id, mime, envelope_from, "
                      + "tag, created_at) VALUES (?, ?, 'bench@example.com', NULL, ?)");
          PreparedStatement r =
              c.prepareStatement(
                  "INSERT INTO "
                      + prefix
                      + "recipient (message_id, idx, address, "
                      + "domain, status) VALUES (?, 0, ?, 'example.org', 'PENDING')")) {
        int i = 0;
        while (i < max && (i % perTransaction != 0 || System.nanoTime() < deadline)) {
          UUID id = UUID.randomUUID();
          long now = System.currentTimeMillis();
          m.setObject(1, id);
          m.setLong(2, now);
          m.setLong(3, now);
          m.setLong(4, now);
          m.setLong(5, now + 432_000_000L);
          m.setString(6, "<" + id + "@example.com>");
          m.executeUpdate();
          b.setObject(1, id);
          b.setBytes(2, mime);
          b.setLong(3, now);
          b.executeUpdate();
          r.setObject(1, id);
          r.setString(2, "r" + i + "@example.org");
          r.executeUpdate();
          i++;
          if (i % perTransaction == 0) {
            c.commit();
          }
        }
        c.commit();
        return i;
      }
    }
  }

  // ------------------------------------------------------------------ 2. end to end

  private static void drain(HikariDataSource ds) throws Exception {
    double[] queued = new double[RUNS];
    double[] angus = new double[RUNS];
    // Untimed passes first, as for enqueue: the queue has far more code for the JIT to compile.
    WarmUp.until(
        "end to end",
        DRAIN_WARMUP_SECONDS,
        MAX_DRAIN_WARMUP_SECONDS,
        () -> {
          fillWithQueue(ds, "bdw_", DRAIN / 4);
          drainRate(ds, "bdw_", DRAIN / 4);
          drop(ds, "bdw_");
          bareAngus(DRAIN / 4);
        });
    for (int run = 0; run < RUNS; run++) {
      String prefix = "bd" + run + "_";
      fillWithQueue(ds, prefix, DRAIN);
      queued[run] = drainRate(ds, prefix, DRAIN);
      drop(ds, prefix);
      angus[run] = bareAngus(DRAIN);
    }
    add(
        "2. end to end",
        DRAIN + " x 2 KB, PostgreSQL -> relay -> sink, " + CONNECTIONS + " connections",
        queued,
        "msg/s",
        "bare Angus Mail, same messages and connections",
        angus,
        ">= 70 % and >= 1,500 msg/s");
    add(
        "2. end to end",
        "time to drain the " + DRAIN + " (lower is better)",
        secondsFor(DRAIN, queued),
        "s",
        "bare Angus Mail, same messages and connections",
        secondsFor(DRAIN, angus),
        "");
  }

  /** The time {@code count} messages take at each of these rates. */
  private static double[] secondsFor(int count, double[] rates) {
    return Arrays.stream(rates).map(r -> count / r).toArray();
  }

  /**
   * Starts a queue on an existing backlog and returns its delivery rate until {@code count} are
   * delivered.
   */
  private static double drainRate(HikariDataSource ds, String prefix, int count) throws Exception {
    try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
      Delivered delivered = new Delivered(count);
      MailQueue queue =
          MailQueue.builder()
              .store(JdbcMailStore.builder(ds).tablePrefix(prefix).build())
              .transport(
                  SmtpTransport.relay("127.0.0.1", sink.port())
                      .security(Security.NONE)
                      .maxConnectionsPerServer(CONNECTIONS)
                      .build())
              .workers(CONNECTIONS * 2)
              .listener(delivered)
              .build();
      long t0 = System.nanoTime();
      queue.start();
      delivered.await();
      double r = rate(count, t0);
      queue.close();
      return r;
    }
  }

  private static double bareAngus(int n) throws Exception {
    try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
      BareAngus angus = new BareAngus(sink.port(), CONNECTIONS, n, BODY);
      long t0 = System.nanoTime();
      angus.send();
      return rate(n, t0);
    }
  }

  // ------------------------------------------------------------------ 3. idle latency

  private static void latency(HikariDataSource ds) throws Exception {
    String prefix = "bl_";
    try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
      Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
      Map<String, CountDownLatch> waiting = new ConcurrentHashMap<>();
      sink.onAccept(
          r -> {
            Matcher m = MESSAGE_ID.matcher(r.text());
            if (m.find()) {
              acceptedAt.put(m.group(1), System.nanoTime());
              CountDownLatch l = waiting.get(m.group(1));
              if (l != null) {
                l.countDown();
              }
            }
          });
      drop(ds, prefix);
      JdbcMailStore store =
          JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
      MailQueue queue =
          MailQueue.builder()
              .store(store)
              .transport(
                  SmtpTransport.relay("127.0.0.1", sink.port()).security(Security.NONE).build())
              .build();
      queue.start();
      double[] millis = new double[LATENCY];
      for (int i = 0; i < LATENCY + 20; i++) {
        long t0 = System.nanoTime();
        MessageId id = queue.enqueue(mail(i));
        String header = "<" + id + "@example.com>";
        CountDownLatch latch = waiting.computeIfAbsent(header, k -> new CountDownLatch(1));
        if (!acceptedAt.containsKey(header) && !latch.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("message not accepted within 10 s");
        }
        if (i >= 20) { // the first 20 warm up the JIT and the connections
          millis[i - 20] = (acceptedAt.get(header) - t0) / 1e6;
        }
      }
      queue.close();
      Arrays.sort(millis);
      double p50 = millis[millis.length / 2];
      double p99 = millis[(int) Math.ceil(millis.length * 0.99) - 1];
      FIGURES.add(
          new Figure(
              "3. idle latency",
              "enqueue -> accepted by sink, p50 (PostgreSQL, " + LATENCY + " single)",
              p50,
              millis[0],
              millis[millis.length - 1],
              "ms",
              "Postfix idle delay on such a machine (REFERENCE.md)",
              10,
              "< 10 ms"));
      FIGURES.add(
          new Figure(
              "3. idle latency",
              "enqueue -> accepted by sink, p99",
              p99,
              millis[0],
              millis[millis.length - 1],
              "ms",
              "",
              0,
              "< 50 ms"));
    } finally {
      drop(ds, prefix);
    }
  }

  // ------------------------------------------------------------------ 4. backlog

  private static void backlog(HikariDataSource ds) throws Exception {
    int measured = 10_000;
    double[] small = new double[RUNS];
    double[] big = new double[RUNS];
    fillWithSql(ds, "bs_", measured * (RUNS + 1));
    fillWithSql(ds, "bb_", BIG_BACKLOG);
    for (int run = 0; run < RUNS; run++) {
      small[run] = drainRate(ds, "bs_", measured);
      big[run] = drainRate(ds, "bb_", measured);
    }
    drop(ds, "bs_");
    drop(ds, "bb_");
    add(
        "4. backlog",
        "delivery rate with " + String.format(Locale.ROOT, "%,d", BIG_BACKLOG) + " queued",
        big,
        "msg/s",
        "same with ~" + String.format(Locale.ROOT, "%,d", measured * (RUNS + 1)) + " queued",
        small,
        ">= 80 %");
  }

  // ------------------------------------------------------------------ 5. fast lane

  private static void fastLane() throws Exception {
    FastLaneBenchmark.RESULTS.clear();
    FastLaneBenchmark.run();
    double[] idle = FastLaneBenchmark.RESULTS.get(0);
    double[] backlog = FastLaneBenchmark.RESULTS.get(1);
    double[] shaped = FastLaneBenchmark.RESULTS.get(2);
    FIGURES.add(
        new Figure(
            "5. fast lane",
            "HIGH enqueue -> accepted p99, 100,000 BULK queued to a slow destination",
            backlog[1],
            backlog[0],
            backlog[1],
            "ms (p50-p99)",
            "same trickle, no backlog",
            idle[1],
            "p99 < 1 s"));
    FIGURES.add(
        new Figure(
            "5. fast lane",
            "same, bulk destination shaped to 4 sessions",
            shaped[1],
            shaped[0],
            shaped[1],
            "ms (p50-p99)",
            "",
            0,
            "p99 < 1 s"));
  }

  // ------------------------------------------------------------------ 6. memory

  private static void memory(HikariDataSource ds) throws Exception {
    String prefix = "bm_";
    fillWithSql(ds, prefix, MEMORY);
    System.gc();
    long heapBefore = usedHeap();
    // VmHWM is the peak since the process started; earlier stages (H2 keeps its tables in this
    // heap) would otherwise count as this drain's growth.
    boolean peakReset = resetPeakRss();
    long rssBefore = rss("VmRSS");
    long[] peakHeap = {heapBefore};
    Thread sampler =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                peakHeap[0] = Math.max(peakHeap[0], usedHeap());
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    sampler.setDaemon(true);
    sampler.start();
    double r = drainRate(ds, prefix, MEMORY);
    sampler.interrupt();
    long rssPeak = rss("VmHWM");
    drop(ds, prefix);
    FIGURES.add(
        new Figure(
            "6. memory",
            "peak heap growth while draining "
                + String.format(Locale.ROOT, "%,d", MEMORY)
                + " ("
                + Math.round(r)
                + " msg/s)",
            (peakHeap[0] - heapBefore) / 1e6,
            0,
            0,
            "MB",
            "",
            0,
            "< 256 MB"));
    FIGURES.add(
        new Figure(
            "6. memory",
            "RSS high-water mark growth over the start of the drain"
                + (rssPeak == 0
                    ? " (n/a: no /proc here)"
                    : peakReset ? "" : " (peak not resettable here: includes earlier stages)"),
            (rssPeak - rssBefore) / 1e3,
            0,
            0,
            "MB",
            "",
            0,
            "< 256 MB"));
  }

  private static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Resets VmHWM to the current RSS (Linux 4.0+); false where that is not possible. */
  private static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** A /proc/self/status value in kB (Linux); 0 elsewhere. */
  private static long rss(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      return 0;
    }
    return 0;
  }

  // ------------------------------------------------------------------ shared

  private static Mail mail(int i) {
    return Mail.builder()
        .from("bench@example.com")
        .to("r" + i + "@example.org")
        .subject("bench " + i)
        .text(BODY)
        .build();
  }

  private static MailQueue producer(HikariDataSource ds, String prefix, boolean create)
      throws Exception {
    if (create) {
      drop(ds, prefix); // left over from an interrupted run
    }
    JdbcMailStore store =
        JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(create).build();
    store.start();
    return MailQueue.builder()
        .store(store)
        .transport(
            new MailTransport() {
              @Override
              public DeliveryResult deliver(OutboundMail mail) {
                throw new IllegalStateException("this queue only enqueues");
              }
            })
        .messageIdDomain("example.com")
        .build();
  }

  private static void fillWithQueue(HikariDataSource ds, String prefix, int n) throws Exception {
    MailQueue producer = producer(ds, prefix, true);
    List<Mail> batch = new ArrayList<>(500);
    for (int i = 0; i < n; i++) {
      batch.add(mail(i));
      if (batch.size() == 500) {
        producer.enqueueAll(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      producer.enqueueAll(batch);
    }
    BenchTables.analyze(ds, prefix);
  }

  /** A large backlog inserted by SQL (generate_series), with real ~2 KB MIME bodies. */
  static void fillWithSql(HikariDataSource ds, String p, int n) throws Exception {
    producer(ds, p, true);
    String mime =
        "From: bench@example.com\r\nTo: r@example.org\r\nSubject: bench\r\nMessage-ID: <' || i || '@bench>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            + BODY.replace("\n", "\r\n");
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + p
              + "message (id, state, priority, due_at, created_at, updated_at, expires_at, "
              + "envelope_from, message_id_header, size_bytes) SELECT md5(i::text)::uuid, 'QUEUED', 9, i, 0, 0, "
              + "9000000000000, 'bench@example.com', '<' || i || '@bench>', 2048 FROM generate_series(1, "
              + n
              + ") i");
      s.execute(
          "INSERT INTO "
              + p
              + "body (message_id, mime, envelope_from, created_at) SELECT md5(i::text)::uuid, "
              + "convert_to('"
              + mime
              + "', 'UTF8'), 'bench@example.com', 0 FROM generate_series(1, "
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

  private static HikariDataSource pool(String url, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    return new HikariDataSource(config);
  }

  private static double rate(int n, long t0) {
    return n / ((System.nanoTime() - t0) / 1e9);
  }

  static double median(double[] v) {
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
    FIGURES.add(
        new Figure(
            scenario,
            measure,
            median(values),
            s[0],
            s[s.length - 1],
            unit,
            baseline,
            median(baselineValues),
            target));
    System.out.printf(
        "  done: %s / %s: %,.1f %s (baseline %,.1f)%n",
        scenario, measure, median(values), unit, median(baselineValues));
  }

  private static void print() throws Exception {
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "%n| %s | %s | %s | %s | %s | %s | %s |%n",
            "scenario",
            "measure",
            "median [min-max]",
            "baseline (same run)",
            "baseline median",
            "ratio",
            "target"));
    table.append("|---|---|---|---|---|---|---|\n");
    StringBuilder json = new StringBuilder("[\n");
    for (int i = 0; i < FIGURES.size(); i++) {
      Figure f = FIGURES.get(i);
      table.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %,.1f %s [%,.1f-%,.1f] | %s | %s | %s | %s |%n",
              f.scenario(),
              f.measure(),
              f.median(),
              f.unit(),
              f.min(),
              f.max(),
              f.baseline(),
              f.baselineMedian() > 0 ? String.format(Locale.ROOT, "%,.1f", f.baselineMedian()) : "",
              f.ratio(),
              f.target()));
      json.append(
          String.format(
              Locale.ROOT,
              "  {\"scenario\": \"%s\", \"measure\": \"%s\", \"median\": %.3f, "
                  + "\"min\": %.3f, \"max\": %.3f, \"unit\": \"%s\", \"baseline\": \"%s\", \"baselineMedian\": %.3f, "
                  + "\"target\": \"%s\"}%s%n",
              f.scenario(),
              f.measure(),
              f.median(),
              f.min(),
              f.max(),
              f.unit(),
              f.baseline(),
              f.baselineMedian(),
              f.target(),
              i < FIGURES.size() - 1 ? "," : ""));
    }
    json.append("]\n");
    System.out.print(table);
    Path out = Path.of("target", "benchmark-results.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, json);
    System.out.println("\nJSON: " + out.toAbsolutePath());
  }

  /** Counts delivered recipients until all are in. */
  private static final class Delivered implements DeliveryListener {
    private final CountDownLatch latch;

    Delivered(int expected) {
      latch = new CountDownLatch(expected);
    }

    @Override
    public void delivered(DeliveryEvent event) {
      for (int i = 0; i < event.recipients().size(); i++) {
        latch.countDown();
      }
    }

    void await() throws InterruptedException {
      if (!latch.await(20, TimeUnit.MINUTES)) {
        throw new IllegalStateException("not delivered within 20 minutes");
      }
    }
  }
}
