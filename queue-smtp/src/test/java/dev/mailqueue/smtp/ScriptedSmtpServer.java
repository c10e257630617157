package dev.mailqueue.smtp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A fault-injecting SMTP server on 127.0.0.1 for tests. It answers every command with a sensible
 * default, unless a rule registered with {@link #on} says otherwise: a reply, closing the
 * connection, silence, or a slow drip of bytes. It records the raw bytes, commands and DATA of
 * every connection. The end of data is matched by the command {@code "."}.
 */
final class ScriptedSmtpServer implements AutoCloseable {

  /** What the server does in answer to one command. */
  sealed interface Action permits Reply, Close, Silence, Drip, Hold, Flood {}

  /**
   * Sends these lines (one reply, possibly multi-line; each line carries its code); a 421 then
   * closes.
   */
  record Reply(String... lines) implements Action {}

  /** Closes the connection without answering. */
  record Close() implements Action {}

  /** Never answers; keeps reading until the client goes away. */
  record Silence() implements Action {}

  /**
   * Sends {@code text} one byte per {@code interval} (cycling), never completing a reply, until the
   * client hangs up or {@code maxTime} has passed; then closes. A tarpit, bounded so that a test
   * ends by itself.
   */
  record Drip(String text, Duration interval, Duration maxTime) implements Action {}

  /** Waits until {@code release} is counted down, then sends these lines. */
  record Hold(CountDownLatch release, String... lines) implements Action {}

  /**
   * Sends {@code head}, then {@code repeated} over and over as fast as the client reads, until
   * {@code maxBytes} are sent, {@code maxTime} has passed or the client hangs up; then closes. A
   * hostile server, bounded so that a test ends by itself.
   */
  record Flood(String head, String repeated, long maxBytes, Duration maxTime) implements Action {}

  static Action flood(String head, String repeated, long maxBytes, Duration maxTime) {
    return new Flood(head, repeated, maxBytes, maxTime);
  }

  static Action hold(CountDownLatch release, String... lines) {
    return new Hold(release, lines);
  }

  static Action reply(String... lines) {
    return new Reply(lines);
  }

  static Action hangUp() {
    return new Close();
  }

  static Action silence() {
    return new Silence();
  }

  /** A drip for up to 5 minutes: in effect forever for a test, which the client must end. */
  static Action drip(String text, Duration interval) {
    return new Drip(text, interval, Duration.ofMinutes(5));
  }

  static Action drip(String text, Duration interval, Duration maxTime) {
    return new Drip(text, interval, maxTime);
  }

  /** What one client connection sent. */
  static final class Connection {
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<byte[]> rawCommands = new CopyOnWriteArrayList<>();
    private final List<byte[]> data = new CopyOnWriteArrayList<>();
    private final List<String> authLines = new CopyOnWriteArrayList<>();
    final CountDownLatch closed = new CountDownLatch(1);
    volatile boolean tls;

    /** Every command line received, without CRLF (AUTH lines included). */
    List<String> commands() {
      return List.copyOf(commands);
    }

    /**
     * Every command line exactly as received, CRLF included (AUTH lines included; not the DATA).
     */
    List<byte[]> rawCommands() {
      return List.copyOf(rawCommands);
    }

    /** The first command line starting with {@code prefix} (ASCII, case-sensitive), as received. */
    byte[] rawCommand(String prefix) {
      byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
      return rawCommands.stream()
          .filter(b -> b.length >= p.length && Arrays.equals(b, 0, p.length, p, 0, p.length))
          .findFirst()
          .orElseThrow(
              () -> new AssertionError("no command starting with " + prefix + ": " + commands));
    }

    /** Each message's DATA bytes exactly as received, including the final {@code ".\r\n"}. */
    List<byte[]> data() {
      return List.copyOf(data);
    }

    /** AUTH command and continuation lines. */
    List<String> authLines() {
      return List.copyOf(authLines);
    }

    synchronized byte[] raw() {
      return raw.toByteArray();
    }

    boolean sawCommand(String prefix) {
      return commands.stream().anyMatch(c -> c.regionMatches(true, 0, prefix, 0, prefix.length()));
    }
  }

  private record Rule(String prefix, Deque<Action> actions) {}

  private final ServerSocket server;
  private final List<Rule> rules = new ArrayList<>();
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Long> arrivals = new CopyOnWriteArrayList<>();
  private final Thread acceptor;
  private volatile List<String> extensions = List.of("ENHANCEDSTATUSCODES", "8BITMIME");
  private volatile Action greeting = reply("220 scripted.test ESMTP ready");
  private volatile SSLContext tls;
  private volatile boolean implicitTls;
  private volatile boolean offerStartTls = true;
  private volatile boolean offerAuth;
  private volatile boolean offerSmtpUtf8;
  private volatile boolean running = true;

  ScriptedSmtpServer() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptLoop, "scripted-smtp-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Replaces the EHLO keywords (besides STARTTLS and AUTH, which follow the TLS/AUTH settings). */
  ScriptedSmtpServer extensions(String... keywords) {
    this.extensions = List.of(keywords);
    return this;
  }

  ScriptedSmtpServer greeting(Action action) {
    this.greeting = action;
    return this;
  }

  /**
   * Offers STARTTLS with this context (or speaks TLS from the first byte when {@code implicit}).
   */
  ScriptedSmtpServer tls(SSLContext context, boolean implicit) {
    this.tls = context;
    this.implicitTls = implicit;
    return this;
  }

  ScriptedSmtpServer offerStartTls(boolean offer) {
    this.offerStartTls = offer;
    return this;
  }

  ScriptedSmtpServer offerAuth(boolean offer) {
    this.offerAuth = offer;
    return this;
  }

  /**
   * Whether EHLO offers SMTPUTF8 (RFC 6531); not by default. Commands are read as bytes either way.
   */
  ScriptedSmtpServer offerSmtpUtf8(boolean offer) {
    this.offerSmtpUtf8 = offer;
    return this;
  }

  /**
   * The next commands starting with {@code prefix} (case-insensitive) get these actions, one each,
   * in order; afterwards the default applies again. Rules are checked in the order added.
   */
  ScriptedSmtpServer on(String prefix, Action... actions) {
    synchronized (rules) {
      rules.add(
          new Rule(prefix.toUpperCase(Locale.ROOT), new ArrayDeque<>(Arrays.asList(actions))));
    }
    return this;
  }

  List<Connection> connections() {
    return List.copyOf(connections);
  }

  Connection connection(int i) {
    return connections.get(i);
  }

  /**
   * {@link System#nanoTime()} at the end of each message's DATA, over all connections, in order.
   */
  List<Long> arrivals() {
    return List.copyOf(arrivals);
  }

  /** All DATA received over all connections, in order. */
  List<byte[]> allData() {
    List<byte[]> all = new ArrayList<>();
    connections.forEach(c -> all.addAll(c.data()));
    return all;
  }

  @Override
  public void close() throws IOException {
    running = false;
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }

  private void acceptLoop() {
    while (running) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Connection c = new Connection();
        connections.add(c);
        Thread t = new Thread(() -> serve(s, c), "scripted-smtp-" + connections.size());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private Action ruleFor(String line) {
    String upper = line.toUpperCase(Locale.ROOT);
    synchronized (rules) {
      for (Rule r : rules) {
        if (upper.startsWith(r.prefix()) && !r.actions().isEmpty()) {
          return r.actions().poll();
        }
      }
    }
    return null;
  }

  private void serve(Socket socket, Connection c) {
    try {
      Socket s = socket;
      if (implicitTls) {
        s = upgrade(s);
        c.tls = true;
      }
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      if (!act(greeting, s, in, out, c)) {
        return;
      }
      while (true) {
        String line = readLine(in, c);
        if (line == null) {
          return;
        }
        c.commands.add(line);
        String upper = line.toUpperCase(Locale.ROOT);
        if (upper.startsWith("AUTH")) {
          c.authLines.add(line);
          if (!authenticate(line, in, out, c)) {
            return;
          }
        }
        Action action = ruleFor(line);
        if (action != null) {
          if (!act(action, s, in, out, c)) {
            return;
          }
          if (upper.startsWith("DATA")
              && action instanceof Reply r
              && r.lines()[r.lines().length - 1].startsWith("354")) {
            if (!receiveData(s, in, out, c)) {
              return;
            }
          }
          continue;
        }
        if (upper.startsWith("EHLO")) {
          List<String> kw = new ArrayList<>(extensions);
          if (tls != null && !implicitTls && offerStartTls && !c.tls) {
            kw.add("STARTTLS");
          }
          if (offerAuth) {
            kw.add("AUTH PLAIN LOGIN XOAUTH2");
          }
          if (offerSmtpUtf8) {
            kw.add("SMTPUTF8");
          }
          StringBuilder sb =
              new StringBuilder(
                  "250" + (kw.isEmpty() ? " " : "-") + "scripted.test greets you\r\n");
          for (int i = 0; i < kw.size(); i++) {
            sb.append(i == kw.size() - 1 ? "250 " : "250-").append(kw.get(i)).append("\r\n");
          }
          write(out, sb.toString());
        } else if (upper.startsWith("HELO")) {
          write(out, "250 scripted.test\r\n");
        } else if (upper.startsWith("STARTTLS")) {
          write(out, "220 2.0.0 ready to start TLS\r\n");
          s = upgrade(s);
          c.tls = true;
          in = new BufferedInputStream(s.getInputStream());
          out = s.getOutputStream();
        } else if (upper.startsWith("AUTH")) {
          write(out, "235 2.7.0 Authentication successful\r\n");
        } else if (upper.startsWith("MAIL") || upper.startsWith("RCPT")) {
          write(out, "250 2.1.0 Ok\r\n");
        } else if (upper.startsWith("RSET") || upper.startsWith("NOOP")) {
          write(out, "250 2.0.0 Ok\r\n");
        } else if (upper.startsWith("DATA")) {
          write(out, "354 End data with <CR><LF>.<CR><LF>\r\n");
          if (!receiveData(s, in, out, c)) {
            return;
          }
        } else if (upper.startsWith("QUIT")) {
          write(out, "221 2.0.0 Bye\r\n");
          return;
        } else {
          write(out, "500 5.5.2 unknown command\r\n");
        }
      }
    } catch (IOException e) {
      // the client went away or the test closed the server
    } finally {
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing to do
      }
      c.closed.countDown();
    }
  }

  private boolean receiveData(Socket s, InputStream in, OutputStream out, Connection c)
      throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    byte[] end = {'\r', '\n', '.', '\r', '\n'};
    byte[] window = {0, 0, 0, '\r', '\n'}; // data starts at the beginning of a line
    while (true) {
      int b = in.read();
      if (b < 0) {
        return false;
      }
      synchronized (c) {
        c.raw.write(b);
      }
      data.write(b);
      System.arraycopy(window, 1, window, 0, 4);
      window[4] = (byte) b;
      if (Arrays.equals(window, end)) {
        break;
      }
    }
    arrivals.add(System.nanoTime());
    c.data.add(data.toByteArray());
    c.commands.add(".");
    Action action = ruleFor(".");
    if (action == null) {
      action = reply("250 2.0.0 Ok: queued as 4711");
    }
    return act(action, s, in, out, c);
  }

  /** AUTH dialogue: prompts with 334 until the mechanism has what it needs. */
  private boolean authenticate(String line, InputStream in, OutputStream out, Connection c)
      throws IOException {
    String[] words = line.split(" ");
    String mech = words.length > 1 ? words[1].toUpperCase(Locale.ROOT) : "";
    int prompts =
        switch (mech) {
          case "LOGIN" -> words.length > 2 ? 1 : 2;
          default -> words.length > 2 ? 0 : 1;
        };
    for (int i = 0; i < prompts; i++) {
      write(
          out,
          "334 "
              + (mech.equals("LOGIN")
                  ? (i == 0 && words.length <= 2 ? "VXNlcm5hbWU6" : "UGFzc3dvcmQ6")
                  : "")
              + "\r\n");
      String next = readLine(in, c);
      if (next == null) {
        return false;
      }
      c.authLines.add(next);
    }
    return true;
  }

  private boolean act(Action action, Socket s, InputStream in, OutputStream out, Connection c)
      throws IOException {
    if (action instanceof Reply r) {
      write(out, String.join("\r\n", r.lines()) + "\r\n");
      if (r.lines()[r.lines().length - 1].startsWith("421")) {
        s.close(); // a server saying 421 closes the session
        return false;
      }
      return true;
    }
    if (action instanceof Hold h) {
      try {
        h.release().await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      return act(new Reply(h.lines()), s, in, out, c);
    }
    if (action instanceof Close) {
      s.close();
      return false;
    }
    if (action instanceof Flood f) {
      flood(f, s, out);
      return false;
    }
    if (action instanceof Silence) {
      while (readLine(in, c) != null) {
        // swallow whatever comes, answer nothing
      }
      return false;
    }
    Drip d = (Drip) action;
    byte[] bytes = d.text().getBytes(StandardCharsets.US_ASCII);
    // One byte per interval from a timer, until the client (its watchdog) hangs up, the server
    // stops
    // or the drip's time is up.
    CountDownLatch ended = new CountDownLatch(1);
    AtomicInteger next = new AtomicInteger();
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "scripted-smtp-drip");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(
        () -> {
          try {
            if (!running) {
              ended.countDown();
              return;
            }
            out.write(bytes[next.getAndIncrement() % bytes.length]);
            out.flush();
          } catch (IOException e) {
            ended.countDown();
          }
        },
        0,
        Math.max(1, d.interval().toMillis()),
        TimeUnit.MILLISECONDS);
    try {
      ended.await(d.maxTime().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ticker.shutdownNow();
    }
    return false;
  }

  private void flood(Flood f, Socket s, OutputStream out) throws IOException {
    byte[] unit = f.repeated().getBytes(StandardCharsets.US_ASCII);
    byte[] chunk = new byte[Math.max(unit.length, 64 * 1024 / unit.length * unit.length)];
    for (int i = 0; i + unit.length <= chunk.length; i += unit.length) {
      System.arraycopy(unit, 0, chunk, i, unit.length);
    }
    long deadline = System.nanoTime() + f.maxTime().toNanos();
    try {
      write(out, f.head());
      long sent = 0;
      while (running && sent < f.maxBytes() && System.nanoTime() < deadline) {
        int n = (int) Math.min(chunk.length, f.maxBytes() - sent);
        out.write(chunk, 0, n);
        sent += n;
      }
      out.flush();
    } finally {
      s.close();
    }
  }

  private Socket upgrade(Socket plain) throws IOException {
    SSLSocket ssl =
        (SSLSocket)
            tls.getSocketFactory()
                .createSocket(
                    plain, plain.getInetAddress().getHostAddress(), plain.getPort(), true);
    ssl.setUseClientMode(false);
    ssl.startHandshake();
    sockets.add(ssl);
    return ssl;
  }

  private static String readLine(InputStream in, Connection c) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      synchronized (c) {
        c.raw.write(b);
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        byte[] withEnd = Arrays.copyOf(bytes, bytes.length + 1);
        withEnd[bytes.length] = '\n';
        c.rawCommands.add(withEnd);
        int len =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
      }
      line.write(b);
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
