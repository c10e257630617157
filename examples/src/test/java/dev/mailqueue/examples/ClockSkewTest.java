package dev.mailqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A dispatcher whose JVM clock is 10 minutes off (libfaketime) behaves exactly like one with a
 * correct clock, because every time the queue compares comes from the database: mail due now is
 * sent now, and mail with a 5-minute lifetime does not expire early.
 */
class ClockSkewTest {
  private static final Path FAKETIME = Path.of("/usr/bin/faketime");

  private HikariDataSource dataSource;
  private String prefix;
  private SmtpSink sink;
  private MailQueue producer;

  @BeforeEach
  void setUp() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    if (ci) {
      assertThat(Files.isExecutable(FAKETIME)).as("faketime is installed by .ci/run").isTrue();
    }
    assumeTrue(
        Files.isExecutable(FAKETIME), "libfaketime not installed (apt-get install faketime)");
    dataSource = TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 4);
    prefix = TestDatabases.randomPrefix();
    JdbcMailStore store =
        JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true).build();
    store.start();
    producer =
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
  }

  @AfterEach
  void tearDown() {
    if (sink != null) {
      sink.close();
    }
    if (dataSource != null) {
      TestDatabases.drop(dataSource, prefix);
      dataSource.close();
    }
  }

  @ParameterizedTest(name = "JVM clock {0}")
  @ValueSource(strings = {"+10m", "-10m"})
  void skewedJvmClockChangesNothing(String offset) throws Exception {
    sink = SmtpSink.acceptingAll(true);
    List<MessageId> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(
          producer.enqueue(
              Mail.builder()
                  .from("a@example.com")
                  .to("r" + i + "@example.org")
                  .text("t")
                  .lifetime(Duration.ofMinutes(5))
                  .build()));
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            FAKETIME.toString(),
            "-f",
            offset,
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            DispatcherProcess.class.getName(),
            TestDatabases.serverUrl("postgresql"),
            prefix,
            Integer.toString(sink.port()),
            "skewed" + offset,
            "60000");
    pb.environment().put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    pb.redirectErrorStream(true);
    pb.redirectOutput(new File("target/" + prefix + "skew.log"));
    Process p = pb.start();
    try {
      await()
          .atMost(Duration.ofMinutes(2))
          .until(
              () ->
                  ids.stream()
                      .allMatch(
                          id -> producer.find(id).map(v -> v.state().isTerminal()).orElse(false)));
      p.getOutputStream().close();
      assertThat(p.waitFor(1, TimeUnit.MINUTES)).as("dispatcher stopped").isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(Files.readString(Path.of("target/" + prefix + "skew.log")))
        .as("the child really ran skewed")
        .contains("started skewed" + offset);
    for (MessageId id : ids) {
      MessageView view = producer.find(id).orElseThrow();
      assertThat(view.state()).as("message " + id).isEqualTo(MessageState.DELIVERED);
      assertThat(view.attempts()).isEqualTo(1);
    }
    assertThat(sink.received()).hasSize(20);
  }
}
