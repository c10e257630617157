package dev.mailqueue.benchmarks;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Postfix's {@code smtp-sink} (a C SMTP server that accepts and discards everything) in its own
 * process on a free loopback port: the next hop as a real deployment has it, whose CPU is not the
 * benchmark JVM's. It runs with {@code -c}, which prints a running count of messages after each
 * one; that count is read from its output, so a benchmark can wait for mail that did not pass
 * through the JVM (the Postfix stage).
 */
final class ExternalSink implements AutoCloseable {
  /** Where Debian's postfix package puts it; overridden by {@code bench.smtpSink}. */
  static final String PROGRAM = System.getProperty("bench.smtpSink", "/usr/sbin/smtp-sink");

  private final Process process;
  private final int port;
  private final AtomicLong messages = new AtomicLong();
  private final Thread reader;

  private ExternalSink(Process process, int port) {
    this.process = process;
    this.port = port;
    this.reader = new Thread(this::count, "smtp-sink-counter");
    reader.setDaemon(true);
    reader.start();
  }

  /** Empty when the sink can be started here, else why not. */
  static Optional<String> unavailable() {
    return Files.isExecutable(Path.of(PROGRAM))
        ? Optional.empty()
        : Optional.of(PROGRAM + " is not installed (Postfix's smtp-sink; -Dbench.smtpSink=...)");
  }

  /** Starts a sink and waits until it accepts connections. */
  static ExternalSink start() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    // -u: as root it must drop privileges to someone; 1024: the listen backlog.
    Process p =
        new ProcessBuilder(PROGRAM, "-c", "-u", "nobody", "127.0.0.1:" + port, "1024")
            .redirectErrorStream(true)
            .start();
    ExternalSink sink = new ExternalSink(p, port);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!accepts(port)) {
      if (!p.isAlive() || System.nanoTime() > end) {
        sink.close();
        throw new IllegalStateException("smtp-sink did not start on 127.0.0.1:" + port);
      }
      Thread.sleep(20); // polling a port: nothing to wait on
    }
    return sink;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  /** Messages accepted so far. */
  long messages() {
    return messages.get();
  }

  /** Waits until {@code n} messages in all were accepted; false on timeout. */
  boolean awaitMessages(long n, long timeout, TimeUnit unit) throws InterruptedException {
    long end = System.nanoTime() + unit.toNanos(timeout);
    synchronized (messages) {
      while (messages.get() < n) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(messages, left);
      }
    }
    return true;
  }

  /** Parses "sess=.. quit=.. mesg=N" records, separated by carriage returns. */
  private void count() {
    // Buffered: read byte by byte from the pipe, this thread cost the measured JVM 13-20 us per
    // message.
    try (InputStream in = new BufferedInputStream(process.getInputStream(), 65_536)) {
      StringBuilder record = new StringBuilder();
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\r' || c == '\n') {
          int at = record.indexOf("mesg=");
          if (at >= 0) {
            long n = Long.parseLong(record.substring(at + 5).strip());
            synchronized (messages) {
              messages.set(n);
              messages.notifyAll();
            }
          }
          record.setLength(0);
        } else if (record.length() < 200) {
          record.append((char) c);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // the sink ended
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
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
}
