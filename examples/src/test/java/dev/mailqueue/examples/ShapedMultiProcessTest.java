package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageState;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two JVM processes deliver from one PostgreSQL database through a relay shaped to 10 messages per
 * second: through the node registry each learns that the other is alive and takes half the rate, so
 * together they send about 10 per second, not 20.
 */
@Timeout(120)
class ShapedMultiProcessTest {
  private static final int MESSAGES = 60;
  private static final int RATE = 10;

  /** Arrivals before this one are the start-up, not the steady part. */
  private static final int STEADY_FROM = 10;

  private HikariDataSource dataSource;
  private String prefix;
  private ArrivalClock clock;
  private SmtpSink sink;
  private final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    dataSource = TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 4);
    prefix = TestDatabases.randomPrefix();
    clock = new ArrivalClock();
    sink = new SmtpSink(clock, false);
    JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true).build().start();
  }

  @AfterEach
  void tearDown() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    sink.close();
    TestDatabases.drop(dataSource, prefix);
    dataSource.close();
  }

  private Path log(String workerId) {
    return Path.of("target", prefix + workerId + ".log");
  }

  private void launch(String workerId) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            ShapedDispatcherProcess.class.getName(),
            TestDatabases.serverUrl("postgresql"),
            prefix,
            Integer.toString(sink.port()),
            workerId,
            Integer.toString(RATE),
            "500");
    pb.redirectErrorStream(true);
    pb.redirectOutput(new File(log(workerId).toString()));
    processes.add(pb.start());
  }

  private boolean logged(String workerId, String line) throws IOException {
    Path p = log(workerId);
    return Files.exists(p) && Files.readAllLines(p, StandardCharsets.UTF_8).contains(line);
  }

  private void enqueue(int count) throws Exception {
    JdbcMailStore store = JdbcMailStore.builder(dataSource).tablePrefix(prefix).build();
    // An enqueue-only queue: never started, so it delivers nothing and is no node.
    MailQueue producer =
        MailQueue.builder()
            .store(store)
            .transport(
                new MailTransport() {
                  @Override
                  public DeliveryResult deliver(OutboundMail mail) {
                    throw new IllegalStateException("the producer never delivers");
                  }
                })
            .build();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      for (int i = 0; i < count; i++) {
        producer.enqueue(
            c,
            Mail.builder()
                .from("a@example.com")
                .to("r" + i + "@example.org")
                .subject("m" + i)
                .text("message " + i)
                .build());
      }
      c.commit();
    }
  }

  private int nodeRows() throws Exception {
    try (Connection c = dataSource.getConnection();
        ResultSet rs =
            c.createStatement().executeQuery("SELECT COUNT(*) FROM " + prefix + "node")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void twoProcessesTogetherKeepTheRateOfOne() throws Exception {
    launch("p1");
    launch("p2");
    // Both must know of each other before the mail is there: a process alone may send at the full
    // rate.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> logged("p1", "live nodes: 2") && logged("p2", "live nodes: 2"));

    enqueue(MESSAGES);
    await()
        .atMost(Duration.ofSeconds(40))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> sink.acceptedCount() >= MESSAGES);

    for (Process p : processes) {
      p.getOutputStream().close(); // asks the process to stop
    }
    for (Process p : processes) {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("process finished").isTrue();
      assertThat(p.exitValue()).isZero();
    }
    List<Long> arrivals = new ArrayList<>(clock.arrivals());
    arrivals.sort(null);
    assertThat(arrivals).hasSize(MESSAGES);
    assertThat(sink.acceptedCount()).isEqualTo(MESSAGES);
    assertThat(
            JdbcMailStore.builder(dataSource)
                .tablePrefix(prefix)
                .build()
                .stats()
                .count(MessageState.DELIVERED))
        .isEqualTo(MESSAGES);
    assertThat(nodeRows()).as("both left the registry").isZero();

    long first = arrivals.get(STEADY_FROM);
    long last = arrivals.get(MESSAGES - 1);
    double rate = (MESSAGES - 1 - STEADY_FROM) / ((last - first) / 1e9);
    System.out.printf(
        "two shaped processes, configured %d/s: %.1f/s at the sink in the steady part (messages %d "
            + "to %d)%n",
        RATE, rate, STEADY_FROM + 1, MESSAGES);

    // Each process may take RATE / 2 permits per period of its limiter. Counted against the
    // process's own send times, not against wall-clock windows at the sink: a process that was
    // not scheduled for a while sends its permits late, which makes a burst at the sink but never
    // more permits. n sends spanning s seconds touch at most floor(s) + 2 periods.
    int share = RATE / 2;
    int total = 0;
    for (String worker : List.of("p1", "p2")) {
      List<long[]> sends = sends(worker);
      total += sends.size();
      if (sends.isEmpty()) {
        continue;
      }
      long start = sends.stream().mapToLong(t -> t[0]).min().orElseThrow();
      long end = sends.stream().mapToLong(t -> t[1]).max().orElseThrow();
      long periods = TimeUnit.NANOSECONDS.toSeconds(end - start) + 2;
      System.out.printf(
          "%s sent %d in %.2f s: at most %d allowed at %d per second%n",
          worker, sends.size(), (end - start) / 1e9, periods * share, share);
      assertThat(sends.size())
          .as("%s: sends within its share of the rate", worker)
          .isLessThanOrEqualTo((int) (periods * share));
    }
    assertThat(total).as("both processes reported every send").isEqualTo(MESSAGES);
  }

  /** The {@code sent <before> <after>} lines a process printed. */
  private List<long[]> sends(String workerId) throws IOException {
    List<long[]> sends = new ArrayList<>();
    for (String line : Files.readAllLines(log(workerId), StandardCharsets.UTF_8)) {
      if (line.startsWith("sent ")) {
        String[] f = line.split(" ");
        sends.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
      }
    }
    return sends;
  }
}
