package dev.mailqueue.examples;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A small in-process SMTP server on 127.0.0.1 for demos, tests and benchmarks: it speaks enough RFC
 * 5321 for a real client (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, dot-unstuffing), answers each
 * RCPT with a reply chosen by a policy, and counts (or keeps) what it accepted. GreenMail accepts
 * every recipient; this sink can also say 550 or 451, like real servers do.
 */
public final class SmtpSink implements AutoCloseable {
  /** A message the sink accepted. */
  public record Received(String mailFrom, List<String> recipients, byte[] data) {
    /** The data as text (ISO-8859-1, byte for byte). */
    public String text() {
      return new String(data, StandardCharsets.ISO_8859_1);
    }
  }

  private final ServerSocket server;
  private final ExecutorService connections =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "smtp-sink");
            t.setDaemon(true);
            return t;
          });
  private final Function<String, String> rcptPolicy;
  private final boolean keepMessages;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private volatile java.util.function.Consumer<Received> onAccept;
  private final AtomicLong sessions = new AtomicLong();
  private volatile boolean running = true;

  /**
   * Starts a sink on a free port of 127.0.0.1.
   *
   * @param rcptPolicy the reply to each RCPT TO address, e.g. {@code "250 2.1.5 Ok"}; its chars are
   *     written as ISO-8859-1 octets
   * @param keepMessages whether to keep accepted messages (tests) or only count them (benchmarks)
   */
  public SmtpSink(Function<String, String> rcptPolicy, boolean keepMessages) throws IOException {
    this.rcptPolicy = rcptPolicy;
    this.keepMessages = keepMessages;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "smtp-sink-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A sink that accepts every recipient. */
  public static SmtpSink acceptingAll(boolean keepMessages) throws IOException {
    return new SmtpSink(rcpt -> "250 2.1.5 Ok", keepMessages);
  }

  /**
   * Calls {@code hook} on the session's thread for every accepted message, before the 250 reply.
   */
  public void onAccept(java.util.function.Consumer<Received> hook) {
    this.onAccept = hook;
  }

  /** The port it listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /** Messages accepted (after DATA) so far. */
  public long acceptedCount() {
    return accepted.get();
  }

  /** SMTP sessions opened so far. */
  public long sessionCount() {
    return sessions.get();
  }

  /** The accepted messages, if kept. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  private void acceptLoop() {
    while (running) {
      try {
        Socket s = server.accept();
        sessions.incrementAndGet();
        open.add(s);
        connections.execute(() -> serve(s));
      } catch (IOException e) {
        if (!running) {
          return;
        }
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      socket.setSoTimeout(60_000);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 65536);
      OutputStream out = socket.getOutputStream();
      reply(out, "220 sink.localhost ESMTP mailqueue demo sink");
      String from = null;
      List<String> rcpts = new ArrayList<>();
      String line;
      while ((line = readLine(in)) != null) {
        String upper = line.toUpperCase(Locale.ROOT);
        if (upper.startsWith("EHLO")) {
          reply(
              out,
              "250-sink.localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n250 ENHANCEDSTATUSCODES");
        } else if (upper.startsWith("HELO")) {
          reply(out, "250 sink.localhost");
        } else if (upper.startsWith("MAIL FROM:")) {
          from = address(line.substring(10));
          rcpts.clear();
          reply(out, "250 2.1.0 Ok");
        } else if (upper.startsWith("RCPT TO:")) {
          String rcpt = address(line.substring(8));
          String answer = rcptPolicy.apply(rcpt);
          if (answer.startsWith("2")) {
            rcpts.add(rcpt);
          }
          reply(out, answer);
        } else if (upper.equals("DATA")) {
          if (rcpts.isEmpty()) {
            reply(out, "554 5.5.1 No valid recipients");
            continue;
          }
          reply(out, "354 End data with <CR><LF>.<CR><LF>");
          byte[] data = readData(in);
          if (data == null) {
            return;
          }
          accepted.incrementAndGet();
          java.util.function.Consumer<Received> hook = onAccept;
          if (keepMessages || hook != null) {
            Received r = new Received(from, List.copyOf(rcpts), data);
            if (keepMessages) {
              received.add(r);
            }
            if (hook != null) {
              hook.accept(r);
            }
          }
          rcpts.clear();
          reply(out, "250 2.0.0 Ok: queued");
        } else if (upper.equals("RSET")) {
          from = null;
          rcpts.clear();
          reply(out, "250 2.0.0 Ok");
        } else if (upper.equals("NOOP")) {
          reply(out, "250 2.0.0 Ok");
        } else if (upper.equals("QUIT")) {
          reply(out, "221 2.0.0 Bye");
          return;
        } else {
          reply(out, "502 5.5.2 Command not recognized");
        }
      }
    } catch (SocketException e) {
      // client went away or the sink is closing
    } catch (IOException e) {
      // a broken session is the client's problem; the sink keeps serving others
    } finally {
      open.remove(socket);
    }
  }

  private static String address(String arg) {
    String a = arg.strip();
    int lt = a.indexOf('<');
    int gt = a.indexOf('>');
    return lt >= 0 && gt > lt ? a.substring(lt + 1, gt) : a.split(" ")[0];
  }

  /**
   * Writes a reply; chars up to U+00FF become one byte each, so a policy can send any octet (tests
   * of hostile replies).
   */
  private static void reply(OutputStream out, String text) throws IOException {
    out.write((text + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    return null;
  }

  /** Reads DATA up to CRLF.CRLF, removing dot-stuffing; null if the connection closed first. */
  private static byte[] readData(InputStream in) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream(4096);
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    int b;
    while ((b = in.read()) != -1) {
      line.write(b);
      if (b == '\n') {
        byte[] l = line.toByteArray();
        line.reset();
        if (l.length == 3 && l[0] == '.' && l[1] == '\r') {
          return data.toByteArray();
        }
        int start = l.length > 1 && l[0] == '.' ? 1 : 0;
        data.write(l, start, l.length - start);
      }
    }
    return null;
  }

  @Override
  public void close() {
    running = false;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    connections.shutdownNow();
  }
}
