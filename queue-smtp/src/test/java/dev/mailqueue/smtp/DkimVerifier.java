package dev.mailqueue.smtp;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The independent verifier of the DKIM tests: Debian's python3-dkim (dkimpy) run by {@code
 * dkim/verify.py}, which fetches keys from the test DNS server only. Without it the tests skip,
 * unless {@code MAILQUEUE_REQUIRE_DKIM_VERIFIER=true} (CI), where they fail.
 */
final class DkimVerifier {
  /** The outcome: whether every signature verified, and the verifier's lines. */
  record Verdict(boolean passed, String output) {}

  private static final List<String> PYTHONS = List.of("/usr/bin/python3", "python3");

  private static String python;

  /** The verifier, serving the whole test run; it ends when the JVM closes its input. */
  private static Process server;

  private static PrintWriter requests;
  private static BufferedReader answers;
  private static String missing;

  private DkimVerifier() {}

  /** Skips (or, when required, fails) the calling test without the verifier. */
  static synchronized void assumeAvailable() {
    if (python == null && missing == null) {
      StringBuilder why = new StringBuilder();
      for (String candidate : PYTHONS) {
        try {
          Process p =
              new ProcessBuilder(candidate, "-c", "import dkim, dns.resolver, nacl")
                  .redirectErrorStream(true)
                  .start();
          String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
            python = candidate;
            break;
          }
          why.append(candidate).append(": ").append(out.strip()).append("; ");
        } catch (IOException e) {
          why.append(candidate).append(": ").append(e.getMessage()).append("; ");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      if (python == null) {
        missing = "python3-dkim (dkimpy with dnspython and PyNaCl) not found: " + why;
      }
    }
    if (python == null) {
      if ("true".equalsIgnoreCase(System.getenv("MAILQUEUE_REQUIRE_DKIM_VERIFIER"))) {
        fail(missing + " (MAILQUEUE_REQUIRE_DKIM_VERIFIER=true: apt-get install python3-dkim)");
      }
      Assumptions.abort(missing);
    }
  }

  /** Verifies {@code message} (as received: CRLF, not dot-stuffed) with keys from {@code dns}. */
  static synchronized Verdict verify(byte[] message, InetSocketAddress dns) {
    assumeAvailable();
    try {
      Path file = Files.createTempFile("dkim-", ".eml");
      try {
        Files.write(file, message);
        if (server == null || !server.isAlive()) {
          // one Python for the whole run: starting it takes seconds on a busy machine
          server =
              new ProcessBuilder(python, script().toString(), "--serve")
                  .redirectErrorStream(true)
                  .start();
          requests = new PrintWriter(server.getOutputStream(), true, StandardCharsets.UTF_8);
          answers =
              new BufferedReader(
                  new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        }
        requests.println(file + " " + dns.getAddress().getHostAddress() + " " + dns.getPort());
        StringBuilder out = new StringBuilder();
        for (String line; (line = answers.readLine()) != null; ) {
          if (line.startsWith("exit=")) {
            int code = Integer.parseInt(line.substring(5));
            if (code > 1) {
              fail("dkim verifier failed to run (" + code + "): " + out);
            }
            return new Verdict(code == 0, out.toString());
          }
          out.append(line).append('\n');
        }
        fail("dkim verifier ended: " + out);
        return null;
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The message inside one DATA as {@link ScriptedSmtpServer} recorded it: without the final dot
   * line and with the dot-stuffing undone.
   */
  static byte[] unstuffed(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
    int end = data.length - 3; // ".\r\n"
    boolean lineStart = true;
    for (int i = 0; i < end; i++) {
      byte b = data[i];
      if (!(lineStart && b == '.')) {
        out.write(b);
      }
      lineStart = b == '\n';
    }
    return out.toByteArray();
  }

  private static Path script() {
    try {
      return Path.of(DkimVerifier.class.getResource("/dkim/verify.py").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
