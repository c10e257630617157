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
      enqueue(ds);
      drain(ds);
    }
    System.exit(0);
  }

  private static Mail mail(int i) {
    return Mail.builder().from("bench@example.com").to("r" + i + "@example.org").subject("bench " + i).text(BODY).build();
  }

  private static void enqueue(HikariDataSource ds) throws Exception {
    double[] queueRates = new double[RUNS];
    double[] insertRates = new double[RUNS];
    for (int run = 0; run < RUNS; run++) {
      String prefix = "b" + run + "e_";
      JdbcMailStore store = JdbcMailStore.builder(ds).tablePrefix(prefix).createSchema(true).build();
      store.start();
      MailQueue queue = MailQueue.builder().store(store).transport(idle()).build();
      long t0 = System.nanoTime();
      for (int i = 0; i < ENQUEUES; i++) {
        queue.enqueue(mail(i));
      }
      queueRates[run] = ENQUEUES / ((System.nanoTime() - t0) / 1e9);
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
    row("plain JDBC INSERT, same size", insertRates, "rows/s");
    System.out.printf("   ratio: %.0f %% of the plain INSERT rate%n%n", 100 * median(queueRates) / median(insertRates));
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
        MailQueue queue = MailQueue.builder()
            .store(JdbcMailStore.builder(ds).tablePrefix(prefix).build())
            .transport(SmtpTransport.relay("127.0.0.1", sink.port()).security(Security.NONE)
                .maxConnectionsPerRelay(CONNECTIONS).build())
            .workers(CONNECTIONS * 2)
            .build();
        long t0 = System.nanoTime();
        queue.start();
        while (sink.acceptedCount() < DRAIN || queue.stats().backlog() > 0) {
          Thread.sleep(20);
        }
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
