package dev.mailqueue.smtp;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;

/**
 * DKIM's "relaxed" canonicalisation (RFC 6376 3.4.2 and 3.4.4) of stored bytes. A line ends with
 * CRLF, a lone CR or a lone LF, because Angus's data stream writes each of them as CRLF: the
 * canonical form is what the server receives.
 */
final class DkimCanonicalizer {
  private DkimCanonicalizer() {}

  /**
   * Appends the relaxed form of the header field in {@code b[from, to)} (its line breaks included):
   * the name in lower case, unfolded, runs of blanks as one space, no blanks around the colon or at
   * the end, then CRLF when {@code crlf}.
   */
  static void header(byte[] b, int from, int to, boolean crlf, ByteArrayOutputStream out) {
    int colon = from;
    while (colon < to && b[colon] != ':') {
      colon++;
    }
    int nameEnd = colon;
    while (nameEnd > from && isBlank(b[nameEnd - 1])) {
      nameEnd--;
    }
    for (int i = from; i < nameEnd; i++) {
      int c = b[i];
      out.write(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    out.write(':');
    boolean pendingSpace = false;
    boolean started = false;
    for (int i = colon + 1; i < to; i++) {
      byte c = b[i];
      if (c == '\r' || c == '\n') {
        continue; // unfold
      }
      if (isBlank(c)) {
        pendingSpace = started;
        continue;
      }
      if (pendingSpace) {
        out.write(' ');
        pendingSpace = false;
      }
      out.write(c);
      started = true;
    }
    if (crlf) {
      out.write('\r');
      out.write('\n');
    }
  }

  /**
   * Feeds the relaxed form of the body {@code b[from, b.length)} to {@code digest}: runs of blanks
   * as one space, no blanks at line ends, no empty lines at the end, CRLF after the last line.
   */
  static void body(byte[] b, int from, MessageDigest digest) {
    byte[] buf = new byte[8192];
    int n = 0;
    int emptyLines = 0;
    int pos = from;
    while (pos < b.length) {
      int end = pos;
      while (end < b.length && b[end] != '\r' && b[end] != '\n') {
        end++;
      }
      int next = end;
      if (next < b.length) {
        next += b[next] == '\r' && next + 1 < b.length && b[next + 1] == '\n' ? 2 : 1;
      }
      int last = end; // drop blanks at the line's end
      while (last > pos && isBlank(b[last - 1])) {
        last--;
      }
      if (last == pos) {
        emptyLines++;
      } else {
        for (; emptyLines > 0; emptyLines--) {
          if (n + 2 > buf.length) {
            digest.update(buf, 0, n);
            n = 0;
          }
          buf[n++] = '\r';
          buf[n++] = '\n';
        }
        boolean blank = false;
        for (int i = pos; i < last; i++) {
          if (n + 3 > buf.length) {
            digest.update(buf, 0, n);
            n = 0;
          }
          byte c = b[i];
          if (isBlank(c)) {
            blank = true;
            continue;
          }
          if (blank) {
            buf[n++] = ' ';
            blank = false;
          }
          buf[n++] = c;
        }
        if (n + 2 > buf.length) {
          digest.update(buf, 0, n);
          n = 0;
        }
        buf[n++] = '\r';
        buf[n++] = '\n';
      }
      pos = next;
    }
    digest.update(buf, 0, n);
  }

  private static boolean isBlank(byte c) {
    return c == ' ' || c == '\t';
  }
}
