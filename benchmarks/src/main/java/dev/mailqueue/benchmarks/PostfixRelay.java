package dev.mailqueue.benchmarks;

import com.sun.security.auth.module.UnixSystem;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private Postfix instance on loopback that relays everything to one next hop: what a user would
 * run instead of the queue. The approach of queue-smtp's test {@code PrivatePostfix} (its own
 * main.cf and master.cf, queue, data and log in a fresh temporary directory; nothing of the
 * system's Postfix used or touched), with a relay instead of a discard transport, copied rather
 * than depended on (the benchmarks do not use test jars). Postfix's defaults otherwise: its queue
 * files are fsynced, as the queue's PostgreSQL commits are.
 */
final class PostfixRelay implements AutoCloseable {
  private static final long COMMAND_SECONDS = 60;

  /** For smtp-source: Postfix relays ~100-250 msg/s here, and slows its clients when behind. */
  private static final long SOURCE_SECONDS = 1_200;

  private static final Set<PosixFilePermission> READABLE =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private final Path dir;
  private final Path postfix;
  private final int port;

  private PostfixRelay(Path dir, Path postfix, int port) {
    this.dir = dir;
    this.postfix = postfix;
    this.port = port;
  }

  /** Empty when an instance can be started here, else why not. */
  static Optional<String> unavailable() {
    if (onPath("postconf").isEmpty()) {
      return Optional.of("Postfix is not installed (no postconf on the PATH)");
    }
    if (new UnixSystem().getUid() != 0) {
      return Optional.of("not running as root (Postfix's master needs root)");
    }
    if (onPath("smtp-source").isEmpty()) {
      return Optional.of("Postfix's smtp-source is not on the PATH");
    }
    return Optional.empty();
  }

  /**
   * Starts an instance whose smtpd listens on a free loopback port and whose smtp client relays all
   * mail to 127.0.0.1:{@code nextHop} over at most {@code connections} connections.
   */
  static PostfixRelay start(int nextHop, int connections) throws Exception {
    Path postconf = onPath("postconf").orElseThrow();
    Path dir =
        Files.setPosixFilePermissions(Files.createTempDirectory("mq-bench-postfix"), READABLE);
    List<String> directories =
        run(dir, postconf.toString(), "-d", "-h", "command_directory", "daemon_directory")
            .lines()
            .toList();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    PostfixRelay relay = new PostfixRelay(dir, Path.of(directories.get(0), "postfix"), port);
    try {
      Path etc = directory(dir, "etc");
      directory(dir, "queue");
      Path data = directory(dir, "data");
      Files.setOwner(
          data,
          data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix"));
      Files.writeString(
          etc.resolve("main.cf"),
          String.join(
              "\n",
              "compatibility_level = 3.6",
              "queue_directory = " + dir.resolve("queue"),
              "data_directory = " + data,
              "daemon_directory = " + directories.get(1),
              "mail_owner = postfix",
              "setgid_group = postdrop",
              "myhostname = postfix-bench.test",
              "mydestination =",
              "inet_interfaces = 127.0.0.1",
              "inet_protocols = ipv4",
              "mynetworks = 127.0.0.0/8",
              "smtpd_relay_restrictions = permit_mynetworks, reject",
              "relayhost = [127.0.0.1]:" + nextHop,
              "smtp_tls_security_level = none",
              "smtp_dns_support_level = disabled",
              "default_destination_concurrency_limit = " + connections,
              "initial_destination_concurrency = " + connections,
              "alias_maps =",
              "alias_database =",
              "maillog_file = " + dir.resolve("maillog"),
              "maillog_file_prefixes = " + dir,
              ""));
      Files.writeString(
          etc.resolve("master.cf"),
          String.join(
              "\n",
              "127.0.0.1:" + port + " inet n - n - - smtpd",
              "pickup    unix  n - n 60 1 pickup",
              "cleanup   unix  n - n -  0 cleanup",
              "qmgr      unix  n - n 300 1 qmgr",
              "rewrite   unix  - - n -  - trivial-rewrite",
              "bounce    unix  - - n -  0 bounce",
              "defer     unix  - - n -  0 bounce",
              "trace     unix  - - n -  0 bounce",
              "verify    unix  - - n -  1 verify",
              "flush     unix  n - n 1000? 0 flush",
              "proxymap  unix  - - n -  - proxymap",
              "smtp      unix  - - n -  - smtp",
              "relay     unix  - - n -  - smtp",
              "showq     unix  n - n -  - showq",
              "error     unix  - - n -  - error",
              "retry     unix  - - n -  - error",
              "discard   unix  - - n -  - discard",
              "anvil     unix  - - n -  1 anvil",
              "scache    unix  - - n -  1 scache",
              "postlog   unix-dgram n - n - 1 postlogd",
              ""));
      relay.postfix("start");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!accepts(port)) {
        if (System.nanoTime() > end) {
          throw new IllegalStateException(
              "Postfix did not accept on 127.0.0.1:" + port + "; its log:\n" + relay.log());
        }
        Thread.sleep(100); // polling a port: nothing to wait on
      }
      return relay;
    } catch (Exception | Error e) {
      relay.close();
      throw e;
    }
  }

  /** The loopback port of its smtpd. */
  int port() {
    return port;
  }

  /**
   * Runs {@code smtp-source} against the smtpd: {@code messages} messages of {@code size} bytes
   * over {@code sessions} parallel sessions that each send all their messages over one connection
   * (-d), and returns when it has handed over the last.
   */
  void source(int messages, int size, int sessions) {
    run(
        dir,
        SOURCE_SECONDS,
        onPath("smtp-source").orElseThrow().toString(),
        "-d",
        "-s",
        Integer.toString(sessions),
        "-l",
        Integer.toString(size),
        "-m",
        Integer.toString(messages),
        "-f",
        "bench@example.com",
        "-t",
        "r@example.org",
        "127.0.0.1:" + port);
  }

  /** CPU nanoseconds used so far by the instance's processes (master and its children). */
  long cpuNanos() {
    return master()
        .map(
            m ->
                Stream.concat(Stream.of(m), m.descendants())
                    .mapToLong(p -> ProcCpu.process(p.pid()))
                    .sum())
        .orElse(0L);
  }

  private Optional<ProcessHandle> master() {
    try {
      return ProcessHandle.of(
          Long.parseLong(Files.readString(dir.resolve("queue/pid/master.pid")).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("maillog"));
    } catch (IOException e) {
      return "(none: " + e + ")";
    }
  }

  /** Stops the instance (by force if {@code postfix stop} fails) and deletes its directory. */
  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void stop() throws InterruptedException {
    List<ProcessHandle> processes =
        master().map(m -> Stream.concat(Stream.of(m), m.descendants()).toList()).orElse(List.of());
    try {
      postfix("stop");
    } catch (RuntimeException e) {
      processes.forEach(ProcessHandle::destroyForcibly);
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (processes.stream().anyMatch(PostfixRelay::running) && System.nanoTime() < end) {
      Thread.sleep(50); // Postfix's processes end on their own after the stop
    }
    for (int attempt = 0; attempt < 20 && Files.exists(dir); attempt++) {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        Thread.sleep(100); // a process that is just ending may still write there
      }
    }
  }

  /** Alive and not a zombie (a container's init may not reap Postfix's children). */
  private static boolean running(ProcessHandle process) {
    if (!process.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  private void postfix(String command) {
    run(dir, postfix.toString(), "-c", dir.resolve("etc").toString(), command);
  }

  private static Path directory(Path parent, String name) throws IOException {
    return Files.setPosixFilePermissions(Files.createDirectory(parent.resolve(name)), READABLE);
  }

  /**
   * Runs a command to its end (bounded) and returns its output, through a file: {@code postfix
   * start} leaves a daemon behind, which could hold a pipe open.
   */
  private static String run(Path dir, String... command) {
    return run(dir, COMMAND_SECONDS, command);
  }

  private static String run(Path dir, long seconds, String... command) {
    Path out = dir.resolve("command.out");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not end in time");
      }
      String output = Files.readString(out);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }

  private static Optional<Path> onPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin";
    return Arrays.stream(path.split(File.pathSeparator))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, name))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
