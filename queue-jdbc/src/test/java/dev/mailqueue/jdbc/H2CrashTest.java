package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application enqueues mail into an H2 file database and is killed with SIGKILL right after the
 * last {@code enqueue} returned: every mail it was told was enqueued must be in the file. H2 keeps
 * commits in memory for {@code WRITE_DELAY} (500 ms by default) before writing them, so with the
 * URL a user would write, the store refuses to start; with the URL its message asks for, nothing
 * acknowledged is lost.
 */
@Timeout(120)
class H2CrashTest {
  private static final int MAILS = 400;

  @TempDir Path dir;
  private Process child;

  @AfterEach
  void kill() {
    if (child != null) {
      child.destroyForcibly();
    }
  }

  /** What the child printed: the acknowledged ids, and its refusal if it refused. */
  private record Run(List<String> acknowledged, String refusal) {}

  /** Runs the child until it has printed DONE (then kills it with SIGKILL) or has exited. */
  private Run runAndKill(String url) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-cp",
            ChildJvm.classPath(),
            H2EnqueueProcess.class.getName(),
            url,
            Integer.toString(MAILS));
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    child = pb.start();
    List<String> acknowledged = new ArrayList<>();
    String refusal = null;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("ACK ")) {
          acknowledged.add(line.substring(4));
        } else if (line.startsWith("REFUSED ")) {
          refusal = line.substring(8);
        } else if (line.equals("DONE")) {
          child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no close
          break;
        }
      }
    }
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child ended").isTrue();
    return new Run(acknowledged, refusal);
  }

  /** The ids of the messages in the database file, opened after the child died. */
  private static Set<String> stored(String url) throws Exception {
    Set<String> ids = new HashSet<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      if (!c.getMetaData().getTables(null, null, "MQ_MESSAGE", null).next()) {
        return ids;
      }
      try (ResultSet rs = s.executeQuery("SELECT id FROM mq_message")) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
    }
    return ids;
  }

  @Test
  void withTheUrlAUserWouldWriteNothingIsAcknowledgedThatACrashLoses() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("queue");

    Run run = runAndKill(url);

    Set<String> stored = stored(url);
    List<String> lost = run.acknowledged().stream().filter(id -> !stored.contains(id)).toList();
    assertThat(lost)
        .as(
            "acknowledged by enqueue, missing after SIGKILL (of %d acknowledged)",
            run.acknowledged().size())
        .isEmpty();
    assertThat(run.refusal())
        .as("the store refuses a database that delays writes")
        .contains("WRITE_DELAY=500")
        .contains(url + ";WRITE_DELAY=0");
  }

  @Test
  void withWriteDelayZeroEveryAcknowledgedMailSurvivesSigkill() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("queue") + ";WRITE_DELAY=0";

    Run run = runAndKill(url);

    assertThat(run.refusal()).isNull();
    assertThat(run.acknowledged()).hasSize(MAILS);
    assertThat(stored(url)).containsAll(run.acknowledged());
  }
}
