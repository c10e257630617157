package dev.mailqueue.benchmarks;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.examples.SmtpSink;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import jakarta.mail.Address;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Messages per second from {@link SmtpTransport} (relay mode, plain SMTP) to an in-process sink,
 * next to two baselines in the same run over the same number of sessions and connections: bare
 * Angus Mail (one connected {@code Transport} per thread, {@code sendMessage} of a pre-built
 * message, write timeouts on a shared executor as in SmtpTransport) and a minimal raw-socket SMTP
 * client (EHLO once per connection, then MAIL/RCPT/DATA per message, waiting for each reply). Each
 * scenario: 1, 4 or 16 concurrent sessions, a new connection after every message or after 100.
 * Prints the median of 3 runs with min-max, and ratios.
 *
 * <p>{@code mvn -q -pl benchmarks -DskipTests package exec:java
 * -Dexec.mainClass=dev.mailqueue.benchmarks.SmtpTransportBenchmark}
 */
public final class SmtpTransportBenchmark {
  private static final int RUNS = 3;
  private static final int MESSAGES = Integer.getInteger("messages", 5_000);
  private static final int[] SESSIONS = {1, 4, 16};
  private static final int[] PER_CONNECTION = {100, 1};
  private static final String FROM = "bench@example.com";
  private static final String TO = "sink@example.net";

  private SmtpTransportBenchmark() {}

  /**
   * One way of sending {@code messages} over {@code sessions} sessions; returns messages per
   * second.
   */
  private interface Client {
    double run(int port, int sessions, int perConnection, int messages) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    byte[] mime = message();
    List<String> names = List.of("SmtpTransport", "Angus Mail", "raw socket");
    List<Client> clients =
        List.of(
            SmtpTransportBenchmark::smtpTransport,
            (p, s, c, n) -> angus(p, s, c, n, mime),
            (p, s, c, n) -> raw(p, s, c, n, mime));
    System.out.printf(
        Locale.ROOT,
        "SMTP to an in-process sink on 127.0.0.1, %d messages of %d bytes per run, "
            + "median of %d runs (min-max), %d CPUs%n%n",
        MESSAGES,
        mime.length,
        RUNS,
        Runtime.getRuntime().availableProcessors());
    try (SmtpSink sink = SmtpSink.acceptingAll(false)) {
      for (Client c : clients) { // warm-up
        c.run(sink.port(), 4, 100, 2_000);
      }
      System.out.printf(
          Locale.ROOT,
          "%-8s %-8s %-22s %-22s %-22s %-9s %-9s%n",
          "sessions",
          "msg/conn",
          names.get(0) + " msg/s",
          names.get(1) + " msg/s",
          names.get(2) + " msg/s",
          "vs Angus",
          "vs raw");
      for (int perConnection : PER_CONNECTION) {
        for (int sessions : SESSIONS) {
          double[][] rates = new double[clients.size()][RUNS];
          for (int run = 0; run < RUNS; run++) {
            for (int i = 0; i < clients.size(); i++) { // interleaved, so drift hits all alike
              long before = sink.acceptedCount();
              rates[i][run] = clients.get(i).run(sink.port(), sessions, perConnection, MESSAGES);
              long accepted = sink.acceptedCount() - before;
              if (accepted != MESSAGES) {
                throw new IllegalStateException(
                    names.get(i) + ": sink accepted " + accepted + " of " + MESSAGES);
              }
            }
          }
          double[] medians = new double[clients.size()];
          String[] cells = new String[clients.size()];
          for (int i = 0; i < clients.size(); i++) {
            double[] r = rates[i].clone();
            Arrays.sort(r);
            medians[i] = r[RUNS / 2];
            cells[i] =
                String.format(Locale.ROOT, "%,.0f (%,.0f-%,.0f)", medians[i], r[0], r[RUNS - 1]);
          }
          System.out.printf(
              Locale.ROOT,
              "%-8d %-8d %-22s %-22s %-22s %-9.2f %-9.2f%n",
              sessions,
              perConnection,
              cells[0],
              cells[1],
              cells[2],
              medians[0] / medians[1],
              medians[0] / medians[2]);
        }
      }
    }
  }

  /** About 2 KB: headers and a text body of 76-character lines. */
  static byte[] message() {
    StringBuilder sb = new StringBuilder();
    sb.append("From: Bench <")
        .append(FROM)
        .append(">\r\nTo: <")
        .append(TO)
        .append(">\r\n")
        .append("Subject: benchmark message\r\nMessage-ID: <bench-1@example.com>\r\n")
        .append("Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n")
        .append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    String line =
        "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstu\r\n";
    while (sb.length() < 2_000) {
      sb.append(line);
    }
    sb.append(".leading dot line\r\n");
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Runs {@code sessions} threads that each call {@code send} until {@code messages} were sent. */
  private interface Worker {
    void send(int remaining, AtomicInteger counter) throws Exception;
  }

  private static double timed(int sessions, Worker worker, int messages) throws Exception {
    AtomicInteger counter = new AtomicInteger(messages);
    ExecutorService pool = Executors.newFixedThreadPool(sessions);
    try {
      long start = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < sessions; t++) {
        futures.add(
            pool.submit(
                () -> {
                  worker.send(messages, counter);
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      return messages / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  private static double smtpTransport(int port, int sessions, int perConnection, int messages)
      throws Exception {
    byte[] mime = message();
    List<MailAddress> rcpts = List.of(MailAddress.of(TO));
    MailAddress from = MailAddress.of(FROM);
    try (SmtpTransport transport =
        SmtpTransport.relay("127.0.0.1", port)
            .security(Security.NONE)
            .ehloName("bench.example.com")
            .maxConnectionsPerServer(sessions)
            .maxMessagesPerConnection(perConnection)
            .build()) {
      return timed(
          sessions,
          (n, counter) -> {
            while (counter.getAndDecrement() > 0) {
              OutboundMail mail =
                  new OutboundMail(
                      MessageId.generate(),
                      "<bench-1@example.com>",
                      from,
                      rcpts,
                      mime,
                      1,
                      null,
                      false);
              DeliveryResult r = transport.deliver(mail);
              if (r.recipients().get(0).status() != RecipientStatus.DELIVERED) {
                throw new IllegalStateException("not delivered: " + r);
              }
            }
          },
          messages);
    }
  }

  private static double angus(int port, int sessions, int perConnection, int messages, byte[] mime)
      throws Exception {
    Properties props = new Properties();
    props.setProperty("mail.smtp.host", "127.0.0.1");
    props.setProperty("mail.smtp.port", Integer.toString(port));
    props.setProperty("mail.smtp.localhost", "bench.example.com");
    props.setProperty("mail.smtp.from", FROM);
    props.setProperty("mail.smtp.quitwait", "false");
    props.setProperty("mail.smtp.connectiontimeout", "30000");
    props.setProperty("mail.smtp.timeout", "60000");
    props.setProperty("mail.smtp.writetimeout", "60000");
    // Without an executor Angus starts a thread per connection to enforce the write timeout;
    // SmtpTransport hands it a shared one (two threads), so the baseline gets the same.
    ScheduledThreadPoolExecutor writeTimeouts =
        new ScheduledThreadPoolExecutor(
            2,
            r -> {
              Thread t = new Thread(r, "angus-write-timeout");
              t.setDaemon(true);
              return t;
            });
    writeTimeouts.setRemoveOnCancelPolicy(true);
    props.put("mail.smtp.executor.writetimeout", writeTimeouts);
    Session session = Session.getInstance(props);
    Address[] rcpts = {new InternetAddress(TO)};
    try {
      return angus(session, rcpts, sessions, perConnection, messages, mime);
    } finally {
      writeTimeouts.shutdownNow();
    }
  }

  private static double angus(
      Session session, Address[] rcpts, int sessions, int perConnection, int messages, byte[] mime)
      throws Exception {
    return timed(
        sessions,
        (n, counter) -> {
          MimeMessage message =
              new MimeMessage(session, new ByteArrayInputStream(mime)); // pre-built, never saved
          Transport transport = null;
          int sent = 0;
          try {
            while (counter.getAndDecrement() > 0) {
              if (transport == null || sent == perConnection) {
                if (transport != null) {
                  transport.close();
                }
                transport = session.getTransport("smtp");
                transport.connect();
                sent = 0;
              }
              transport.sendMessage(message, rcpts);
              sent++;
            }
          } finally {
            if (transport != null) {
              transport.close();
            }
          }
        },
        messages);
  }

  private static double raw(int port, int sessions, int perConnection, int messages, byte[] mime)
      throws Exception {
    byte[] data = dotStuffed(mime);
    return timed(
        sessions,
        (n, counter) -> {
          RawSmtpClient client = null;
          int sent = 0;
          try {
            while (counter.getAndDecrement() > 0) {
              if (client == null || sent == perConnection) {
                if (client != null) {
                  client.quit();
                }
                client = new RawSmtpClient(port);
                sent = 0;
              }
              client.send(data);
              sent++;
            }
          } finally {
            if (client != null) {
              client.quit();
            }
          }
        },
        messages);
  }

  /** CRLF already; doubles a leading dot on every line and appends the end of data. */
  private static byte[] dotStuffed(byte[] mime) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(mime.length + 16);
    boolean lineStart = true;
    for (byte b : mime) {
      if (lineStart && b == '.') {
        out.write('.');
      }
      out.write(b);
      lineStart = b == '\n';
    }
    out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** The least an SMTP client can do: one command, one reply, no pipelining. */
  private static final class RawSmtpClient {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawSmtpClient(int port) throws IOException {
      socket = new Socket(InetAddress.getLoopbackAddress(), port);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(60_000);
      in = new BufferedInputStream(socket.getInputStream());
      out = new BufferedOutputStream(socket.getOutputStream());
      expect(220);
      command("EHLO bench.example.com", 250);
    }

    void send(byte[] data) throws IOException {
      command("MAIL FROM:<" + FROM + ">", 250);
      command("RCPT TO:<" + TO + ">", 250);
      command("DATA", 354);
      out.write(data);
      out.flush();
      expect(250);
    }

    void quit() throws IOException {
      try {
        out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } finally {
        socket.close();
      }
    }

    private void command(String line, int expected) throws IOException {
      out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      expect(expected);
    }

    /** Reads one (possibly multi-line) reply and checks its code. */
    private void expect(int expected) throws IOException {
      while (true) {
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) != '\n'; ) {
          if (b < 0) {
            throw new IOException("connection closed");
          }
          line.append((char) b);
        }
        if (line.length() < 4 || Integer.parseInt(line.substring(0, 3)) != expected) {
          throw new IOException("expected " + expected + ", got: " + line.toString().strip());
        }
        if (line.charAt(3) == ' ') {
          return;
        }
      }
    }
  }
}
