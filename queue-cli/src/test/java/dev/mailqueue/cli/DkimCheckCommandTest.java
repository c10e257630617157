package dev.mailqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.smtp.DkimKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code mailqueue dkim check} against a tiny DNS server on 127.0.0.1 that answers TXT queries from
 * a map: published, missing, different, unreachable, bad input.
 */
class DkimCheckCommandTest {
  @TempDir Path dir;

  private final Map<String, String> txt = new ConcurrentHashMap<>();
  private DatagramSocket socket;
  private Path keyFile;
  private DkimKey key;

  /** What one run printed and returned. */
  record Run(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread t = new Thread(this::serve, "dkim-dns");
    t.setDaemon(true);
    t.start();
    byte[] pkcs8 =
        KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded();
    keyFile = dir.resolve("dkim.pem");
    Files.writeString(
        keyFile,
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(pkcs8)
            + "\n-----END PRIVATE KEY-----\n");
    key = DkimKey.fromPem("example.com", "s1", keyFile);
  }

  @AfterEach
  void stop() {
    socket.close();
  }

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = MailQueueCli.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private Run check(String... more) {
    String[] base = {
      "dkim",
      "check",
      "--domain",
      "example.com",
      "--selector",
      "s1",
      "--key",
      keyFile.toString(),
      "--dns-server",
      "127.0.0.1:" + socket.getLocalPort(),
      "--timeout",
      "2s"
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return run(all);
  }

  @Test
  void aPublishedKeyIsOkAndExits0() {
    txt.put("s1._domainkey.example.com", key.dnsRecord());

    Run r = check();

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("ok: s1._domainkey.example.com publishes this ed25519-sha256");
  }

  @Test
  void aMissingOrDifferentKeyExits1AndSaysWhatToPublish() {
    Run missing = check();
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err())
        .startsWith("not published: no TXT record at s1._domainkey.example.com")
        .contains("Publish: s1._domainkey.example.com TXT \"" + key.dnsRecord() + "\"");

    txt.put("s1._domainkey.example.com", "v=DKIM1; k=ed25519; p=" + "A".repeat(43) + "=");
    Run different = check();
    assertThat(different.exit()).isEqualTo(1);
    assertThat(different.err()).startsWith("mismatch: s1._domainkey.example.com publishes another");
  }

  @Test
  void badInputExits2() throws IOException {
    Path shortKey = dir.resolve("short.pem");
    Files.writeString(shortKey, "not a key");
    Run r =
        run(
            "dkim",
            "check",
            "--domain",
            "example.com",
            "--selector",
            "s1",
            "--key",
            shortKey.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: no -----BEGIN PRIVATE KEY-----");

    assertThat(run("dkim", "check", "--domain", "example.com").exit()).isEqualTo(2);
    assertThat(check("--dns-server", "127.0.0.1:99999").exit()).isEqualTo(2);
    assertThat(run("dkim", "check", "-h").out()).contains("--selector", "Exit codes");
  }

  /** Answers each TXT query from {@link #txt} (NXDOMAIN when absent). */
  private void serve() {
    byte[] buf = new byte[512];
    while (!socket.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        byte[] q = java.util.Arrays.copyOf(p.getData(), p.getLength());
        int pos = 12;
        StringBuilder name = new StringBuilder();
        while (q[pos] != 0) {
          int len = q[pos];
          name.append(name.length() == 0 ? "" : ".")
              .append(new String(q, pos + 1, len, StandardCharsets.US_ASCII));
          pos += len + 1;
        }
        int questionEnd = pos + 5; // root label, QTYPE, QCLASS
        String record = txt.get(name.toString().toLowerCase(java.util.Locale.ROOT));
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        a.write(q, 0, 2); // id
        a.write(0x84); // QR, AA
        a.write(record == null ? 0x03 : 0x00); // NXDOMAIN or NOERROR
        a.write(new byte[] {0, 1, 0, record == null ? (byte) 0 : (byte) 1, 0, 0, 0, 0});
        a.write(q, 12, questionEnd - 12);
        if (record != null) {
          ByteArrayOutputStream rdata = new ByteArrayOutputStream();
          byte[] text = record.getBytes(StandardCharsets.US_ASCII);
          for (int i = 0; i < text.length; i += 255) {
            int n = Math.min(255, text.length - i);
            rdata.write(n);
            rdata.write(text, i, n);
          }
          a.write(new byte[] {(byte) 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60});
          a.write(rdata.size() >> 8);
          a.write(rdata.size());
          rdata.writeTo(a);
        }
        byte[] answer = a.toByteArray();
        socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
      } catch (IOException e) {
        return; // closed
      }
    }
  }
}
