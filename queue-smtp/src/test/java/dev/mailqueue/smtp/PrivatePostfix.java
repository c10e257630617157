package dev.mailqueue.smtp;

import static org.awaitility.Awaitility.await;

import com.sun.security.auth.module.UnixSystem;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A private Postfix instance for tests, the one {@code
 * src/test/resources/postfix/smtputf8-drill.sh} starts by hand: its own main.cf and master.cf (the
 * templates next to the drill script), queue, data and log in a fresh temporary directory, two
 * smtpd services on free loopback ports (one with {@code smtputf8_enable = yes}, one with {@code
 * no}), and a discard transport for everything they accept. Nothing of the system's Postfix is used
 * or touched, running or not.
 *
 * <p>Needs Postfix ({@code postconf} on the PATH) and root (Postfix's master insists). Where either
 * is missing {@link #unavailable()} gives the reason to skip the tests with, unless {@code
 * MAILQUEUE_REQUIRE_POSTFIX=true} (CI), in which case it fails them.
 */
final class PrivatePostfix implements AutoCloseable {
  static final String REQUIRE = "MAILQUEUE_REQUIRE_POSTFIX";
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration PORTS_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  /**
   * Postfix's unprivileged processes must reach the queue and the configuration (set after
   * creation: umask).
   */
  private static final Set<PosixFilePermission> READABLE =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private final Path dir;
  private final Path postfix;
  private final int smtpUtf8Port;
  private final int asciiPort;

  private PrivatePostfix(Path dir, Path postfix, int smtpUtf8Port, int asciiPort) {
    this.dir = dir;
    this.postfix = postfix;
    this.smtpUtf8Port = smtpUtf8Port;
    this.asciiPort = asciiPort;
  }

  /**
   * Empty when an instance can be started here, else why not (for the tests to skip with); throws
   * instead under {@code MAILQUEUE_REQUIRE_POSTFIX=true}.
   */
  static Optional<String> unavailable() {
    String missing =
        onPath("postconf").isEmpty()
            ? "Postfix is not installed (no postconf on the PATH)"
            : new UnixSystem().getUid() != 0
                ? "not running as root (Postfix's master needs root)"
                : null;
    if (missing == null) {
      return Optional.empty();
    }
    if ("true".equalsIgnoreCase(System.getenv(REQUIRE))) {
      throw new IllegalStateException(
          "Postfix is required (" + REQUIRE + "=true) but cannot be started: " + missing);
    }
    return Optional.of(
        missing
            + "; install Postfix and run the tests as root, or start an instance by hand with "
            + "queue-smtp/src/test/resources/postfix/smtputf8-drill.sh");
  }

  /**
   * Starts an instance and waits until both smtpd services accept connections; see {@link
   * #unavailable()} first.
   */
  static PrivatePostfix start() {
    Path postconf =
        onPath("postconf").orElseThrow(() -> new IllegalStateException("no postconf on the PATH"));
    Path dir;
    try {
      dir = Files.setPosixFilePermissions(Files.createTempDirectory("mailqueue-postfix"), READABLE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PrivatePostfix instance = null;
    try {
      // Compiled-in defaults (-d): where the package put the programs; no system main.cf needed.
      List<String> directories =
          run(dir, postconf.toString(), "-d", "-h", "command_directory", "daemon_directory")
              .lines()
              .toList();
      int[] ports = freePorts();
      instance =
          new PrivatePostfix(dir, Path.of(directories.get(0), "postfix"), ports[0], ports[1]);
      instance.configure(directories.get(1));
      instance.postfix("start");
      instance.awaitPorts();
      return instance;
    } catch (RuntimeException | Error e) {
      try {
        if (instance != null) {
          instance.close();
        } else {
          delete(dir);
        }
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** {@code 127.0.0.1:port} of the smtpd with {@code smtputf8_enable = yes}. */
  String smtpUtf8Server() {
    return "127.0.0.1:" + smtpUtf8Port;
  }

  /** {@code 127.0.0.1:port} of the smtpd with {@code smtputf8_enable = no}. */
  String asciiServer() {
    return "127.0.0.1:" + asciiPort;
  }

  /** The instance's {@code maillog_file}. */
  Path maillog() {
    return dir.resolve("maillog");
  }

  private static Path createDirectory(Path parent, String name) {
    try {
      return Files.setPosixFilePermissions(Files.createDirectory(parent.resolve(name)), READABLE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void configure(String daemonDirectory) {
    Path etc = createDirectory(dir, "etc");
    createDirectory(dir, "queue");
    Path data = createDirectory(dir, "data");
    try {
      Files.setOwner(
          data,
          data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix"));
      Files.writeString(
          etc.resolve("main.cf"),
          template("main.cf")
              .replace("@DIR@", dir.toString())
              .replace("@DAEMON_DIRECTORY@", daemonDirectory));
      Files.writeString(
          etc.resolve("master.cf"),
          template("master.cf")
              .replace("@SMTPUTF8_PORT@", Integer.toString(smtpUtf8Port))
              .replace("@ASCII_PORT@", Integer.toString(asciiPort)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitPorts() {
    try {
      await()
          .atMost(PORTS_TIMEOUT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> accepts(smtpUtf8Port) && accepts(asciiPort));
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          "Postfix started but 127.0.0.1:"
              + smtpUtf8Port
              + " and :"
              + asciiPort
              + " do not both accept connections after "
              + PORTS_TIMEOUT
              + "; its log:\n"
              + logOf(dir),
          e);
    }
  }

  /** Stops the instance (by force if {@code postfix stop} fails) and deletes its directory. */
  @Override
  public void close() {
    try {
      List<ProcessHandle> processes =
          master()
              .map(m -> Stream.concat(Stream.of(m), m.descendants()).toList())
              .orElse(List.of());
      try {
        postfix("stop");
      } catch (RuntimeException e) {
        processes.forEach(ProcessHandle::destroyForcibly);
      }
      await()
          .atMost(STOP_TIMEOUT)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> processes.stream().noneMatch(PrivatePostfix::running));
    } finally {
      delete(dir);
    }
  }

  private Optional<ProcessHandle> master() {
    try {
      return ProcessHandle.of(
          Long.parseLong(Files.readString(dir.resolve("queue/pid/master.pid")).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Alive and not a zombie: a container whose init does not reap orphans keeps Postfix's children
   * as zombies.
   */
  private static boolean running(ProcessHandle process) {
    if (!process.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private void postfix(String command) {
    run(dir, postfix.toString(), "-c", dir.resolve("etc").toString(), command);
  }

  private static String logOf(Path dir) {
    try {
      return Files.readString(dir.resolve("maillog"));
    } catch (IOException e) {
      return "(none: " + e + ")";
    }
  }

  /**
   * Runs a command to its end (bounded) and returns what it printed. The output goes through a
   * file: {@code postfix start} leaves a daemon behind, which could hold a pipe open.
   */
  private static String run(Path dir, String... command) {
    Path out = dir.resolve("command.out");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(
            String.join(" ", command) + " did not end within " + COMMAND_TIMEOUT);
      }
      String output = Files.readString(out);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " exited with "
                + p.exitValue()
                + ":\n"
                + output
                + "Postfix's log:\n"
                + logOf(dir));
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
    }
  }

  private static Optional<Path> onPath(String name) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, name))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** Two distinct free loopback ports: both are held open while the second is chosen. */
  private static int[] freePorts() {
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return new int[] {a.getLocalPort(), b.getLocalPort()};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String template(String name) throws IOException {
    try (InputStream in = PrivatePostfix.class.getResourceAsStream("/postfix/" + name)) {
      if (in == null) {
        throw new IllegalStateException("test resource postfix/" + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Deletes a directory tree; bounded retries, as a Postfix process that is just ending may still
   * write to it.
   */
  private static void delete(Path dir) {
    await()
        .atMost(STOP_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              if (Files.exists(dir)) {
                try (Stream<Path> paths = Files.walk(dir)) {
                  for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                  }
                }
              }
              return !Files.exists(dir);
            });
  }
}
