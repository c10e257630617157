package dev.mailqueue.smtp;

import java.io.IOException;
import java.io.InputStream;

/**
 * Bounds on what an SMTP server may send on one connection, so that a hostile or broken server (in
 * direct mode: any recipient's MX host) cannot exhaust the heap. Angus Mail reads each reply line
 * into a buffer that grows without limit and appends the lines of a multi-line reply to one string;
 * its streams are private, so the bounds are kept by the socket input stream under them (see {@link
 * SocketCapture}). A server only ever sends replies to an SMTP client, so these are bounds on
 * replies:
 *
 * <ul>
 *   <li>a reply line: at most {@link #MAX_LINE_BYTES} octets without its line end (RFC 5321
 *       4.5.3.1.5 allows 512 with CRLF; eight times that leaves room for servers that do not care);
 *   <li>a reply: at most {@link #MAX_REPLY_BYTES} octets from the end of the previous reply to the
 *       end of its last line (a long EHLO reply is about 300);
 *   <li>a connection: at most {@link #MAX_SESSION_BYTES} octets in all. A connection that has read
 *       more than {@link #RETIRE_AFTER_BYTES} is not reused for another message, so a legitimate
 *       server reaches the bound only by sending megabytes within one transaction (1,000 recipients
 *       with 512-octet replies are half a megabyte).
 * </ul>
 *
 * Lines end at LF or CR, as Angus's {@code LineInputStream} reads them; a line whose first four
 * octets are ASCII and whose fourth is not {@code '-'} ends a reply, as Angus decides (a line with
 * a non-ASCII octet among the first four is counted as a continuation: never more lenient than
 * Angus). Over TLS the decrypted bytes are counted, not the ciphertext. Bytes before the one that
 * exceeds a bound are delivered; the read that reaches it throws {@link Exceeded}, and so does
 * every read after it. One instance per connection; its streams are read by one thread at a time.
 */
final class ServerInputLimits {
  /** Octets a reply line may have without its line end: 4096. */
  static final int MAX_LINE_BYTES = 4096;

  /** Octets one reply may have, line ends included: 64 KiB. */
  static final int MAX_REPLY_BYTES = 64 * 1024;

  /** Octets a server may send on one connection: 4 MiB. */
  static final long MAX_SESSION_BYTES = 4L << 20;

  /**
   * A connection that has read more than this (1 MiB) is closed after its transaction, not reused.
   */
  static final long RETIRE_AFTER_BYTES = 1L << 20;

  /** A server sent more than a bound allows; the connection must not be used again. */
  static final class Exceeded extends IOException {
    private static final long serialVersionUID = 1L;

    Exceeded(String what) {
      super("server sent " + what);
    }

    /** What was too long, e.g. "a reply of more than 65536 bytes". */
    String what() {
      return getMessage().substring("server sent ".length());
    }
  }

  private volatile long sessionBytes;
  private volatile boolean tlsLayered;

  /** Octets read on this connection so far (decrypted, over TLS). */
  long bytesRead() {
    return sessionBytes;
  }

  /**
   * TLS is being layered over the plain socket (STARTTLS): from now on the plain stream carries
   * ciphertext, which is passed through uncounted; the TLS socket's stream counts the plaintext.
   */
  void tlsLayered() {
    tlsLayered = true;
  }

  /**
   * {@code in} with these bounds. A stream of the plain socket ({@code plainLayer}) stops counting
   * once {@link #tlsLayered()} was called.
   */
  InputStream limit(InputStream in, boolean plainLayer) {
    return new LimitedInput(in, plainLayer);
  }

  private final class LimitedInput extends InputStream {
    private final InputStream in;
    private final boolean plainLayer;
    private int lineBytes;
    private int replyBytes;
    private boolean continuation;
    private Exceeded failure;

    LimitedInput(InputStream in, boolean plainLayer) {
      this.in = in;
      this.plainLayer = plainLayer;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failure != null) {
        throw failure;
      }
      int n = in.read(b, off, len);
      if (n <= 0 || (plainLayer && tlsLayered)) {
        return n;
      }
      int accepted = scan(b, off, n);
      sessionBytes += accepted;
      if (accepted < n) {
        if (accepted == 0) {
          throw failure;
        }
        return accepted; // what came before the violation; the next read throws
      }
      return n;
    }

    /**
     * Counts the bytes read; returns how many are within the bounds (and sets the failure if not
     * all are).
     */
    private int scan(byte[] b, int off, int n) {
      long session = sessionBytes;
      for (int i = 0; i < n; i++) {
        if (session + i >= MAX_SESSION_BYTES) {
          failure = new Exceeded("more than " + MAX_SESSION_BYTES + " bytes on one connection");
          return i;
        }
        if (replyBytes >= MAX_REPLY_BYTES) {
          failure = new Exceeded("a reply of more than " + MAX_REPLY_BYTES + " bytes");
          return i;
        }
        replyBytes++;
        int c = b[off + i] & 0xff;
        if (c == '\n' || c == '\r') {
          if (lineBytes > 0 && !continuation) {
            replyBytes =
                0; // the last line of a reply; an empty line (the LF of a CRLF) changes nothing
          }
          lineBytes = 0;
          continuation = false;
          continue;
        }
        if (lineBytes >= MAX_LINE_BYTES) {
          failure = new Exceeded("a reply line of more than " + MAX_LINE_BYTES + " bytes");
          return i;
        }
        if (lineBytes < 4 && (c >= 0x80 || (lineBytes == 3 && c == '-'))) {
          continuation = true;
        }
        lineBytes++;
      }
      return n;
    }

    @Override
    public int available() throws IOException {
      return failure != null ? 0 : in.available();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
