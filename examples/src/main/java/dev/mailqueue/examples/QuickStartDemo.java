package dev.mailqueue.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageState;
import dev.mailqueue.Priority;
import dev.mailqueue.QueueStats;
import dev.mailqueue.ReplyCount;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The README's first command: an H2 database file, an in-process SMTP sink that rejects a few
 * recipients with 550 and greylists a few with 451, about 1,000 mails, live progress, then a
 * summary of what happened and why. Exits 0 when every mail reached a final state.
 */
public final class QuickStartDemo {
  private static final int MAILS = 1_000;
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final PrintStream out = System.out;

  private QuickStartDemo() {}

  public static void main(String[] args) throws Exception {
    System.exit(run());
  }

  static int run() throws Exception {
    Path dir = Path.of("target", "mailqueue-demo").toAbsolutePath();
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve("queue.mv.db"));

    // Like a real server: unknown users bounce, some domains greylist the first attempt.
    Map<String, AtomicInteger> greylisted = new ConcurrentHashMap<>();
    SmtpSink sink =
        new SmtpSink(
            rcpt -> {
              if (rcpt.startsWith("nobody")) {
                return "550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown";
              }
              if (rcpt.endsWith("@greylist.example")
                  && greylisted.computeIfAbsent(rcpt, k -> new AtomicInteger()).incrementAndGet()
                      == 1) {
                return "451 4.7.1 <"
                    + rcpt
                    + ">: Recipient address rejected: Greylisted, try again later";
              }
              return "250 2.1.5 Ok";
            },
            false);

    HikariConfig config = new HikariConfig();
    // WRITE_DELAY=0: H2 writes each commit before it returns (by default it waits up to 500 ms, and
    // a crash in that time would lose acknowledged mail; JdbcMailStore refuses to start then).
    config.setJdbcUrl(
        "jdbc:h2:file:" + dir.resolve("queue") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
    config.setMaximumPoolSize(10);
    HikariDataSource dataSource = new HikariDataSource(config);

    Counts counts = new Counts();
    MailQueue queue =
        MailQueue.builder()
            .store(JdbcMailStore.builder(dataSource).createSchema(true).build())
            .transport(
                SmtpTransport.relay("127.0.0.1", sink.port()).security(Security.NONE).build())
            .listener(counts)
            // Demo only: retry after 2 s rather than Postfix's 5 minutes, so you see the retries.
            .retryPolicy(RetryPolicy.builder().initialDelay(Duration.ofSeconds(2)).build())
            .pollInterval(Duration.ofMillis(250))
            .build();

    out.printf(
        "mailqueue demo: H2 database %s, SMTP sink on 127.0.0.1:%d%n",
        dir.resolve("queue.mv.db"), sink.port());
    long start = System.nanoTime();
    try {
      queue.start();
      for (int i = 0; i < MAILS; i++) {
        queue.enqueue(mail(i));
      }
      out.printf(
          "enqueued %d mails in %d ms; delivering...%n",
          MAILS, (System.nanoTime() - start) / 1_000_000);

      long deadline = System.nanoTime() + DEADLINE.toNanos();
      boolean terminal = System.console() != null;
      QueueStats stats = queue.stats();
      while (stats.backlog() > 0 && System.nanoTime() < deadline) {
        if (terminal) {
          out.print("\r" + counts.line(stats) + "   ");
          out.flush();
        } else {
          out.println(counts.line(stats));
        }
        Thread.sleep(terminal ? 200 : 1000);
        stats = queue.stats();
      }
      out.println((terminal ? "\r" : "") + counts.line(stats) + "   ");
      out.printf("done in %.1f s%n%n", (System.nanoTime() - start) / 1e9);
      printSummary(queue, stats, sink, counts);
      return stats.backlog() == 0 ? 0 : 1;
    } finally {
      queue.close();
      dataSource.close();
      sink.close();
    }
  }

  private static Mail mail(int i) {
    String to;
    if (i % 67 == 13) {
      to = "nobody" + i + "@example.net";
    } else if (i % 29 == 5) {
      to = "user" + i + "@greylist.example";
    } else {
      to = "user" + i + "@example.org";
    }
    boolean reset = i % 10 == 0;
    return Mail.builder()
        .from("Demo Shop <noreply@shop.example>")
        .to(to)
        .subject(reset ? "Reset your password" : "Your receipt #" + i)
        .text(
            reset
                ? "Click the link to reset your password."
                : "Thank you for your order " + i + ".")
        .tag(reset ? "password-reset" : "receipt")
        .priority(reset ? Priority.HIGH : Priority.NORMAL)
        .lifetime(reset ? Duration.ofMinutes(30) : null)
        .build();
  }

  private static void printSummary(
      MailQueue queue, QueueStats stats, SmtpSink sink, Counts counts) {
    out.println("Messages by state");
    for (MessageState s : MessageState.values()) {
      if (stats.count(s) > 0) {
        out.printf("  %-10s %6d%n", s.name().toLowerCase(Locale.ROOT), stats.count(s));
      }
    }
    out.println();
    out.println(
        "Recipients by final outcome and the SMTP reply that decided it (one example text each)");
    Map<String, long[]> groups = new java.util.LinkedHashMap<>();
    Map<String, String> examples = new java.util.HashMap<>();
    for (ReplyCount rc : queue.replyCounts(10_000)) {
      String key =
          String.format(
              "%-10s %s",
              rc.status().name().toLowerCase(Locale.ROOT),
              rc.reply() == null ? "-" : rc.reply().code() + " " + rc.reply().enhancedStatus());
      groups.computeIfAbsent(key, k -> new long[1])[0] += rc.recipients();
      examples.putIfAbsent(key, rc.reply() == null ? "" : rc.reply().text());
    }
    groups.forEach(
        (key, n) -> out.printf("  %s  %6d  e.g. \"%s\"%n", key, n[0], examples.get(key)));
    out.println();
    out.println("Deferrals on the way (retried, then delivered)");
    counts.deferrals.forEach((reply, n) -> out.printf("  deferred   %6d  %s%n", n.sum(), reply));
    out.println();
    out.printf(
        "The sink accepted %d messages over %d SMTP sessions.%n",
        sink.acceptedCount(), sink.sessionCount());
    out.println();
    out.println("Where to look next:");
    out.println(
        "  README.md                      the 20-line plain-Java example and the test command");
    out.println(
        "  target/mailqueue-demo/queue.mv.db   the queue's tables (mq_message, mq_recipient, mq_attempt)");
    out.println("  examples/src/main/java/dev/mailqueue/examples/QuickStartDemo.java   this demo");
  }

  /** Counts listener events for the progress line. */
  private static final class Counts implements DeliveryListener {
    final LongAdder delivered = new LongAdder();
    final LongAdder deferred = new LongAdder();
    final LongAdder bounced = new LongAdder();
    final LongAdder expired = new LongAdder();
    final Map<String, LongAdder> deferrals = new ConcurrentHashMap<>();

    @Override
    public void delivered(DeliveryEvent e) {
      delivered.add(e.recipients().size());
    }

    @Override
    public void deferred(DeliveryEvent e) {
      deferred.add(e.recipients().size());
      for (var r : e.recipients()) {
        String reply =
            r.reply().code()
                + " "
                + r.reply().enhancedStatus()
                + " "
                + r.reply().text().replaceAll("<[^>]*>: ", "");
        deferrals.computeIfAbsent(reply, k -> new LongAdder()).increment();
      }
    }

    @Override
    public void bounced(DeliveryEvent e) {
      bounced.add(e.recipients().size());
    }

    @Override
    public void expired(DeliveryEvent e) {
      expired.add(e.recipients().size());
    }

    String line(QueueStats s) {
      return String.format(
          "delivered %5d | deferred (events) %4d | bounced %4d | expired %d | waiting %5d",
          delivered.sum(), deferred.sum(), bounced.sum(), expired.sum(), s.backlog());
    }
  }
}
