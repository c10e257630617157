package dev.mailqueue.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.examples.SmtpSink;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures the queue next to baselines in the same run, on PostgreSQL (URL from
 * MAILQUEUE_POSTGRESQL_URL, default 127.0.0.1:5432/test): enqueue rate against a plain INSERT of
 * a row of the same size, and end-to-end drain rate through the SMTP transport against bare
 * Angus Mail over the same number of reused connections. Prints medians of 3 runs and ratios.
 */
public final class QueueBenchmark {
  private static final String URL = System.getenv().getOrDefault("MAILQUEUE_POSTGRESQL_URL",
      "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
  private static final int RUNS = 3;
  private static final int ENQUEUES = Integer.getInteger("bench.enqueues", 3_000);
  private static final int DRAIN = Integer.getInteger("bench.drain", 20_000);
  private static final int CONNECTIONS = 4;
  private static final String BODY = "x".repeat(1900);

  private QueueBenchmark() {}

  public static void main(String[] args) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(URL);
    config.setMaximumPoolSize(12);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      System.out.printf("mailqueue benchmark: PostgreSQL %s, %d cores, %d runs each (median [min-max])%n%n", URL,
          Runtime.getRuntime().availableProcessors(), RUNS);
      String only = System.getProperty("bench.only", "");
      if (only.isEmpty() || only.equals("enqueue")) {
        enqueue(ds);
      }
      if (only.isEmpty() || only.equals("drain")) {
        drain(ds);
      }
      if (only.isEmpty() || only.equals("pipeline")) {
        pipeline(ds);
      }
    }
    System.exit(0);
  }

  private static Mail mail(int i) {
    return Mail.builder().from("bench@example.com").to("r" + i + "@example.org").subject("bench " + i).text(BODY).build();
  }

  private static void enqueue(HikariDataSource ds) throws Exception {
    double[] queueRates = new double[RUNS];
    double[] insertRates = new double[RUNS];
    double[] sameRowsRates = new double[RUNS];
    for (int run = 0; run < RUNS; run++) {
      String prefix = "b" + run + "e_";
      JdbcMailStore store = JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true)
          .notifyOnEnqueue(Boolean.parseBoolean(System.getProperty("bench.notify", "true"))).build();
      store.start();
      MailQueue queue = MailQueue.builder().store(store).transport(idle()).build();
      long t0 = System.nanoTime();
      for (int i = 0; i < ENQUEUES; i++) {
        queue.enqueue(mail(i));
      }
      queueRates[run] = ENQUEUES / ((System.nanoTime() - t0) / 1e9);
      sameRowsRates[run] = plainInsertsOfTheSameRows(ds, prefix);
      drop(ds, prefix);

      try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS bench_plain");
        s.execute("CREATE TABLE bench_plain (id uuid PRIMARY KEY, state varchar(16), due_at bigint, recipient varchar(320), body bytea)");
        byte[] body = new byte[2300];
        t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO bench_plain VALUES (?, 'QUEUED', 0, ?, ?)")) {
          for (int i = 0; i < ENQUEUES; i++) {
            ps.setObject(1, UUID.randomUUID());
            ps.setString(2, "r" + i + "@example.org");
            ps.setBytes(3, body);
            ps.executeUpdate(); // auto-commit: one transaction per row, like enqueue(mail)
          }
        }
        insertRates[run] = ENQUEUES / ((System.nanoTime() - t0) / 1e9);
        s.execute("DROP TABLE bench_plain");
      }
    }
    System.out.println("1. Enqueue, one message per transaction (" + ENQUEUES + " messages of ~2 KB)");
    row("mailqueue enqueue(mail)", queueRates, "msg/s");
    row("plain INSERTs, same rows+tables", sameRowsRates, "msg/s");
    row("plain INSERT, one 2 KB row", insertRates, "rows/s");
    System.out.printf("   ratio: %.0f %% of plain INSERTs of the same rows; %.0f %% of one plain row%n%n",
        100 * median(queueRates) / median(sameRowsRates), 100 * median(queueRates) / median(insertRates));
  }

  /** Raw JDBC writing what enqueue writes (message, body, recipient rows into the same tables), one transaction each. */
  private static double plainInsertsOfTheSameRows(HikariDataSource ds, String prefix) throws Exception {
    byte[] mime = new byte[2300];
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement m = c.prepareStatement("INSERT INTO " + prefix + "message (id, state, priority, due_at, "
              + "created_at, updated_at, expires_at, tag, envelope_from, message_id_header, idempotency_key, size_bytes) "
              + "VALUES (?, 'QUEUED', 5, ?, ?, ?, ?, NULL, 'bench@example.com', ?, NULL, 2300)");
           PreparedStatement b = c.prepareStatement("INSERT INTO " + prefix + "body (message_id, mime) VALUES (?, ?)");
           PreparedStatement r = c.prepareStatement("INSERT INTO " + prefix + "recipient (message_id, idx, address, "
               + "domain, status) VALUES (?, 0, ?, 'example.org', 'PENDING')")) {
        long t0 = System.nanoTime();
        for (int i = 0; i < ENQUEUES; i++) {
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
          b.executeUpdate();
          r.setObject(1, id);
          r.setString(2, "r" + i + "@example.org");
          r.executeUpdate();
          c.commit();
        }
        return ENQUEUES / ((System.nanoTime() - t0) / 1e9);
      }
    }
  }

  private static void drain(HikariDataSource ds) throws Exception {
    double[] queueRates = new double[RUNS];
    double[] angusRates = new double[RUNS];
    for (int run = 0; run < RUNS; run++) {
      try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
        String prefix = "b" + run + "d_";
        JdbcMailStore store = JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
        store.start();
        MailQueue producer = MailQueue.builder().store(store).transport(idle()).build();
        try (Connection c = ds.getConnection()) {
          c.setAutoCommit(false);
          for (int i = 0; i < DRAIN; i++) {
            producer.enqueue(c, mail(i));
            if (i % 1000 == 999) {
              c.commit();
            }
          }
          c.commit();
        }
        Finished finished = new Finished(DRAIN);
        MailQueue queue = MailQueue.builder()
            .store(JdbcMailStore.builder(ds).tablePrefix(prefix).build())
            .transport(SmtpTransport.relay("127.0.0.1", sink.port()).security(Security.NONE)
                .maxConnectionsPerRelay(CONNECTIONS).build())
            .workers(CONNECTIONS * 2)
            .listener(finished)
            .build();
        long t0 = System.nanoTime();
        queue.start();
        finished.await();
        queueRates[run] = DRAIN / ((System.nanoTime() - t0) / 1e9);
        queue.close();
        drop(ds, prefix);
      }
      angusRates[run] = bareAngus();
    }
    System.out.println("2. End to end: " + DRAIN + " queued messages of ~2 KB on PostgreSQL, drained through a relay to a local sink over "
        + CONNECTIONS + " reused connections");
    row("mailqueue drain", queueRates, "msg/s");
    row("bare Angus Mail, same messages", angusRates, "msg/s");
    System.out.printf("   ratio: %.0f %% of bare Angus Mail%n", 100 * median(queueRates) / median(angusRates));
  }

  /** The database side alone: claim, read body, record, with a transport that accepts instantly. */
  private static void pipeline(HikariDataSource ds) throws Exception {
    double[] rates = new double[RUNS];
    for (int run = 0; run < RUNS; run++) {
      String prefix = "b" + run + "p_";
      JdbcMailStore store = JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
      store.start();
      MailQueue producer = MailQueue.builder().store(store).transport(idle()).build();
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        for (int i = 0; i < DRAIN; i++) {
          producer.enqueue(c, mail(i));
          if (i % 1000 == 999) {
            c.commit();
          }
        }
        c.commit();
      }
      java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
      MailTransport instant = mail -> {
        sent.incrementAndGet();
        return DeliveryResult.all(mail.recipients(), dev.mailqueue.RecipientStatus.DELIVERED,
            dev.mailqueue.SmtpReply.parse(250, "2.0.0 ok"), "instant");
      };
      Finished finished = new Finished(DRAIN);
      MailQueue queue = MailQueue.builder().store(JdbcMailStore.builder(ds).tablePrefix(prefix).build())
          .transport(instant).workers(CONNECTIONS * 2).listener(finished).build();
      long t0 = System.nanoTime();
      queue.start();
      finished.await();
      rates[run] = DRAIN / ((System.nanoTime() - t0) / 1e9);
      queue.close();
      drop(ds, prefix);
    }
    System.out.println();
    System.out.println("3. Database pipeline alone (claim, read body, group-commit the outcome; instant transport), "
        + DRAIN + " messages");
    row("claim + body + complete", rates, "msg/s");
  }

  /** Angus Mail alone: CONNECTIONS threads, each with one connected Transport, sending pre-built messages. */
  private static double bareAngus() throws Exception {
    try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
      Properties p = new Properties();
      p.setProperty("mail.smtp.host", "127.0.0.1");
      p.setProperty("mail.smtp.port", Integer.toString(sink.port()));
      Session session = Session.getInstance(p);
      List<byte[]> messages = new ArrayList<>();
      for (int i = 0; i < DRAIN; i++) {
        MimeMessage m = new MimeMessage(session);
        m.setFrom("bench@example.com");
        m.setRecipients(MimeMessage.RecipientType.TO, "r" + i + "@example.org");
        m.setSubject("bench " + i);
        m.setText(BODY);
        m.saveChanges();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        m.writeTo(out);
        messages.add(out.toByteArray());
      }
      ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < CONNECTIONS; t++) {
        int first = t;
        done.add(pool.submit(() -> {
          try (Transport transport = session.getTransport("smtp")) {
            transport.connect();
            for (int i = first; i < DRAIN; i += CONNECTIONS) {
              MimeMessage m = new MimeMessage(session, new ByteArrayInputStream(messages.get(i)));
              transport.sendMessage(m, new InternetAddress[] {new InternetAddress("r" + i + "@example.org")});
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      double rate = DRAIN / ((System.nanoTime() - t0) / 1e9);
      pool.shutdown();
      return rate;
    }
  }

  /** Counts delivered recipients (committed outcomes) until all are in. */
  private static final class Finished implements dev.mailqueue.DeliveryListener {
    private final java.util.concurrent.CountDownLatch latch;

    Finished(int expected) {
      latch = new java.util.concurrent.CountDownLatch(expected);
    }

    @Override
    public void delivered(dev.mailqueue.DeliveryEvent event) {
      for (int i = 0; i < event.recipients().size(); i++) {
        latch.countDown();
      }
    }

    void await() throws InterruptedException {
      if (!latch.await(10, java.util.concurrent.TimeUnit.MINUTES)) {
        throw new IllegalStateException("not drained within 10 minutes");
      }
    }
  }

  private static MailTransport idle() {
    return new MailTransport() {
      @Override
      public DeliveryResult deliver(OutboundMail mail) {
        throw new IllegalStateException("this queue only enqueues");
      }
    };
  }

  private static void drop(HikariDataSource ds, String prefix) throws Exception {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String t : new String[] {"attempt", "recipient", "body", "message", "schema_version"}) {
        s.execute("DROP TABLE IF EXISTS " + prefix + t);
      }
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  private static void row(String name, double[] values, String unit) {
    double[] v = values.clone();
    Arrays.sort(v);
    System.out.printf("   %-32s %8.0f %s  [%.0f-%.0f]%n", name, median(values), unit, v[0], v[v.length - 1]);
  }
}
