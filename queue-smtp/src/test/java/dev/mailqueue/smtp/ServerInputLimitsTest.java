package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.ServerInputLimits.MAX_LINE_BYTES;
import static dev.mailqueue.smtp.ServerInputLimits.MAX_REPLY_BYTES;
import static dev.mailqueue.smtp.ServerInputLimits.MAX_SESSION_BYTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The counting rules of {@link ServerInputLimits}, byte by byte. */
class ServerInputLimitsTest {

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A reply of {@code size} bytes: continuation lines of 1,000 bytes, then a last line. */
  private static String reply(int size) {
    int full = (size - 6) / 1000;
    String reply =
        ("250-" + "x".repeat(994) + "\r\n").repeat(full)
            + "250 "
            + "y".repeat(size - full * 1000 - 6)
            + "\r\n";
    assertThat(reply).hasSize(size);
    return reply;
  }

  /** Reads everything in chunks of {@code chunk} bytes; returns what was read before a failure. */
  private static byte[] readAll(InputStream in, int chunk, IOException[] failure) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[chunk];
    try {
      for (int n; (n = in.read(buf, 0, chunk)) >= 0; ) {
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      failure[0] = e;
    }
    return out.toByteArray();
  }

  @Test
  void aLineOfExactlyTheBoundPassesOneMoreByteDoesNot() throws IOException {
    byte[] ok = ascii("250 " + "x".repeat(MAX_LINE_BYTES - 4) + "\r\n");
    InputStream in = new ServerInputLimits().limit(new ByteArrayInputStream(ok), false);
    assertThat(in.readAllBytes()).isEqualTo(ok);

    byte[] tooLong = ascii("250 " + "x".repeat(MAX_LINE_BYTES - 3) + "\r\n");
    IOException[] failure = new IOException[1];
    byte[] read =
        readAll(
            new ServerInputLimits().limit(new ByteArrayInputStream(tooLong), false), 8192, failure);
    assertThat(read).hasSize(MAX_LINE_BYTES);
    assertThat(failure[0])
        .isInstanceOf(ServerInputLimits.Exceeded.class)
        .hasMessage("server sent a reply line of more than 4096 bytes");
  }

  @Test
  void aBareCrEndsALineAsAngusReadsIt() throws IOException {
    byte[] lines = ascii(("250-" + "x".repeat(MAX_LINE_BYTES - 4) + "\r").repeat(3) + "250 ok\n");
    assertThat(new ServerInputLimits().limit(new ByteArrayInputStream(lines), false).readAllBytes())
        .isEqualTo(lines);
  }

  @Test
  void theReplyCountStartsAgainAfterEachLastLine() throws IOException {
    String r = reply(MAX_REPLY_BYTES);
    byte[] three = ascii(r + r + r);
    assertThat(new ServerInputLimits().limit(new ByteArrayInputStream(three), false).readAllBytes())
        .isEqualTo(three);

    // a reply is counted from the byte after the previous reply's last line to the CR of its own
    // last line (the LF after it is counted for the next one): 2 more bytes exceed the bound
    byte[] tooLong = ascii(reply(MAX_REPLY_BYTES + 2));
    IOException[] failure = new IOException[1];
    byte[] read =
        readAll(
            new ServerInputLimits().limit(new ByteArrayInputStream(tooLong), false), 1000, failure);
    assertThat(read).hasSize(MAX_REPLY_BYTES);
    assertThat(failure[0]).hasMessage("server sent a reply of more than 65536 bytes");
  }

  @Test
  void shortLinesEndAReplyAndNonAsciiAtTheStartDoesNot() throws IOException {
    // "250" alone ends a reply, as in Angus; a line whose first four bytes are not all ASCII
    // might have '-' as its fourth character once decoded, so it never ends a reply
    String shortLast = "250-" + "x".repeat(1000) + "\r\n250\r\n";
    String r = shortLast.repeat(MAX_REPLY_BYTES / shortLast.length() + 5);
    assertThat(
            new ServerInputLimits().limit(new ByteArrayInputStream(ascii(r)), false).readAllBytes())
        .hasSize(r.length());

    String utf8 =
        "\u00e9ab-"
            + "x".repeat(1000)
            + "\r\n"; // é is two bytes: byte 4 is 'b', character 4 is '-'
    byte[] bytes = utf8.repeat(70).getBytes(StandardCharsets.UTF_8);
    IOException[] failure = new IOException[1];
    readAll(new ServerInputLimits().limit(new ByteArrayInputStream(bytes), false), 4096, failure);
    assertThat(failure[0]).hasMessage("server sent a reply of more than 65536 bytes");
  }

  @Test
  void aConnectionIsBoundedOverAllItsStreams() throws IOException {
    ServerInputLimits limits = new ServerInputLimits();
    byte[] r = ascii(reply(60_000));
    long read = 0;
    while (read + r.length <= MAX_SESSION_BYTES) {
      read += limits.limit(new ByteArrayInputStream(r), false).readAllBytes().length;
    }
    assertThat(limits.bytesRead()).isEqualTo(read);

    IOException[] failure = new IOException[1];
    byte[] last = readAll(limits.limit(new ByteArrayInputStream(r), false), 8192, failure);
    assertThat(read + last.length).isEqualTo(MAX_SESSION_BYTES);
    assertThat(failure[0]).hasMessage("server sent more than 4194304 bytes on one connection");
    assertThat(limits.bytesRead()).isEqualTo(MAX_SESSION_BYTES);
  }

  @Test
  void bytesBeforeTheViolationAreDeliveredAndEveryLaterReadFails() throws IOException {
    byte[] input = ascii("250 ok\r\n" + "x".repeat(MAX_LINE_BYTES + 10));
    InputStream in = new ServerInputLimits().limit(new ByteArrayInputStream(input), false);
    byte[] buf = new byte[input.length];

    assertThat(in.read(buf, 0, buf.length)).isEqualTo(8 + MAX_LINE_BYTES);
    assertThatThrownBy(() -> in.read(buf, 0, buf.length))
        .isInstanceOf(ServerInputLimits.Exceeded.class);
    assertThatThrownBy(in::read).isInstanceOf(ServerInputLimits.Exceeded.class);
    assertThat(in.available()).isZero();
  }

  @Test
  void thePlainStreamPassesCiphertextThroughOnceTlsIsLayered() throws IOException {
    ServerInputLimits limits = new ServerInputLimits();
    byte[] greeting = ascii("220 ready\r\n");
    byte[] noise = new byte[MAX_REPLY_BYTES * 2]; // no line end at all
    Arrays.fill(noise, (byte) 'z');
    byte[] both = new byte[greeting.length + noise.length];
    System.arraycopy(greeting, 0, both, 0, greeting.length);
    System.arraycopy(noise, 0, both, greeting.length, noise.length);
    InputStream plain = limits.limit(new ByteArrayInputStream(both), true);

    assertThat(plain.readNBytes(greeting.length)).isEqualTo(greeting);
    limits.tlsLayered();
    assertThat(plain.readAllBytes()).isEqualTo(noise);
    assertThat(limits.bytesRead()).isEqualTo(greeting.length);
  }
}
