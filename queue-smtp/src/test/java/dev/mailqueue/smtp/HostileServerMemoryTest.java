package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.ScriptedSmtpServer.flood;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server that answers EHLO with {@code 250-} lines without end, against a client in a JVM of its
 * own with a heap of 64 MiB: the client ends the attempt with a deferred recipient and no {@link
 * OutOfMemoryError}. The server stops by itself after 512 MiB or two minutes, so that the test also
 * ends when the client reads without bounds (then the client runs out of memory first).
 */
@Timeout(180)
class HostileServerMemoryTest {
  private ScriptedSmtpServer server;
  private Process client;

  @BeforeEach
  void start() throws IOException {
    server =
        new ScriptedSmtpServer()
            .on(
                "EHLO",
                flood(
                    "250-scripted.test greets you\r\n",
                    "250-SIZE 10240000 and then some more words\r\n",
                    512L << 20,
                    Duration.ofMinutes(2)));
  }

  @AfterEach
  void stop() throws IOException {
    if (client != null) {
      client.destroyForcibly();
    }
    server.close();
  }

  @Test
  void endlessRepliesDoNotExhaustASmallHeap() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx64m",
            "-cp",
            ChildJvm.classPath(),
            HostileServerClient.class.getName(),
            Integer.toString(server.port()));
    pb.redirectErrorStream(true);
    client = pb.start();
    client.getOutputStream().close();

    String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(client.waitFor(2, TimeUnit.MINUTES)).as("client ended").isTrue();

    assertThat(output)
        .doesNotContain("OutOfMemoryError")
        .contains(
            "RESULT DEFERRED 451 4.5.0 local: reply too long: server sent a reply of more than 65536 bytes");
    assertThat(client.exitValue()).as(output).isZero();
  }
}
