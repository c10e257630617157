package dev.mailqueue.internal;

import dev.mailqueue.InvalidMailException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * SMTP's rules for the lines of a message (RFC 5321 4.5.3.1.6, RFC 5322 2.1.1 and 2.2, RFC 2045
 * 2.7), applied to rendered MIME so that the bytes stored are the bytes a server receives: every
 * line ends in CRLF (an SMTP data stream turns a bare CR or LF into CRLF), no line is longer than
 * 998 octets, no NUL, and no control character but HTAB in a header field. Part of the engine, not
 * of the API: public only so that {@code Mail} and {@code Attachment} can validate with the
 * renderer's own rules.
 */
final class LineRules {
  /** Longest line, in octets, without its CRLF. */
  public static final int MAX_LINE = 998;

  private static final byte[] CRLF = {'\r', '\n'};

  private LineRules() {}

  /**
   * Whether {@code content} goes through SMTP unchanged as 7bit data: ASCII without NUL, line ends
   * CRLF only, no line over 998 octets. An empty content is 7bit.
   */
  public static boolean isSevenBit(byte[] content) {
    int lineStart = 0;
    for (int i = 0; i < content.length; i++) {
      byte b = content[i];
      if (b <= 0 || b == '\n') { // NUL, non-ASCII (negative), or a LF without its CR
        return false;
      }
      if (b == '\r') {
        if (i + 1 == content.length || content[i + 1] != '\n' || i - lineStart > MAX_LINE) {
          return false;
        }
        i++;
        lineStart = i + 1;
      }
    }
    return content.length - lineStart <= MAX_LINE;
  }

  /**
   * Whether every line end in {@code content} is CRLF (no bare CR, no bare LF): such content keeps
   * its bytes through an SMTP data stream, and through quoted-printable, which writes a line end as
   * CRLF.
   */
  static boolean hasCrlfLineEndsOnly(byte[] content) {
    for (int i = 0; i < content.length; i++) {
      byte b = content[i];
      if (b == '\n') {
        return false;
      }
      if (b == '\r') {
        if (i + 1 == content.length || content[i + 1] != '\n') {
          return false;
        }
        i++;
      }
    }
    return true;
  }

  /**
   * {@code mime} with every bare CR and bare LF made CRLF, as Angus's SMTP data stream sends it
   * ({@code CRLFOutputStream}); {@code mime} itself when it has none.
   */
  static byte[] canonicalLineEnds(byte[] mime) {
    int bare = 0;
    for (int i = 0; i < mime.length; i++) {
      if (mime[i] == '\r') {
        if (i + 1 < mime.length && mime[i + 1] == '\n') {
          i++;
        } else {
          bare++;
        }
      } else if (mime[i] == '\n') {
        bare++;
      }
    }
    if (bare == 0) {
      return mime;
    }
    byte[] out = new byte[mime.length + bare];
    int o = 0;
    for (int i = 0; i < mime.length; i++) {
      byte b = mime[i];
      if (b == '\r' || b == '\n') {
        if (b == '\r' && i + 1 < mime.length && mime[i + 1] == '\n') {
          i++;
        }
        out[o++] = '\r';
        out[o++] = '\n';
      } else {
        out[o++] = b;
      }
    }
    return out;
  }

  /**
   * Whether {@code content} has a NUL or a line over 998 octets (a line ending at CR, LF or CRLF,
   * as SMTP counts it once the line ends are canonical): content that no identity transfer encoding
   * (7bit, 8bit) can carry.
   */
  static boolean hasNulOrLongLine(byte[] content, int from) {
    int lineStart = from;
    for (int i = from; i < content.length; i++) {
      byte b = content[i];
      if (b == 0) {
        return true;
      }
      if (b == '\r' || b == '\n') {
        if (i - lineStart > MAX_LINE) {
          return true;
        }
        if (b == '\r' && i + 1 < content.length && content[i + 1] == '\n') {
          i++;
        }
        lineStart = i + 1;
      }
    }
    return content.length - lineStart > MAX_LINE;
  }

  /**
   * The index just after the empty line that ends the header section of CRLF-canonical {@code
   * mime}, or its length.
   */
  static int bodyStart(byte[] mime) {
    int lineStart = 0;
    for (int i = 0; i + 1 < mime.length; i++) {
      if (mime[i] == '\r' && mime[i + 1] == '\n') {
        if (i == lineStart) {
          return i + 2;
        }
        lineStart = i + 2;
        i++;
      }
    }
    return mime.length;
  }

  /**
   * Checks the header section of CRLF-canonical {@code mime} (the fields before the first empty
   * line) and folds its long lines: a field with NUL or another control character but HTAB is
   * refused, and a line over 998 octets is folded before a space or tab, or refused when it has
   * none to fold at. Returns {@code mime}, or a copy with the long lines folded.
   *
   * @param fieldPrefix put before {@code header[Name]} in the name of a refused field
   */
  static byte[] checkHeaderSection(byte[] mime, String fieldPrefix) {
    if (isPlainHeaderSection(mime)) {
      return mime;
    }
    ByteArrayOutputStream out = null;
    int copied = 0;
    int p = 0;
    while (p < mime.length) {
      int end = fieldEnd(mime, p);
      if (end == p) {
        break; // the empty line: the body follows
      }
      checkControls(mime, p, end, fieldPrefix);
      byte[] folded = foldLines(mime, p, end);
      if (folded == null) {
        throw new InvalidMailException(
            fieldPrefix + "header[" + name(mime, p, end) + "]",
            "has a line over "
                + MAX_LINE
                + " octets without a space or tab to fold it at; shorten the value");
      }
      if (folded != mime) {
        if (out == null) {
          out = new ByteArrayOutputStream(mime.length + 64);
        }
        out.write(mime, copied, p - copied);
        out.writeBytes(folded);
        copied = end;
      }
      p = skipCrlf(mime, end);
    }
    if (out == null) {
      return mime;
    }
    out.write(mime, copied, mime.length - copied);
    return out.toByteArray();
  }

  /**
   * Whether the header section has nothing to refuse or fold: one pass over it, which is all the
   * check costs for nearly every mail (a builder's mail is rendered to such a section).
   */
  private static boolean isPlainHeaderSection(byte[] mime) {
    int lineStart = 0;
    for (int i = 0; i < mime.length; i++) {
      byte b = mime[i];
      if (b >= 0x20 && b != 0x7f || b < 0 || b == '\t') {
        continue;
      }
      if (b != '\r' || i + 1 == mime.length || mime[i + 1] != '\n' || i - lineStart > MAX_LINE) {
        return false;
      }
      if (i == lineStart) {
        return true; // the empty line
      }
      i++;
      lineStart = i + 1;
    }
    return mime.length - lineStart <= MAX_LINE;
  }

  /**
   * Checks one header field as it will be written, {@code "Name: value"} with its folding: refused
   * for NUL, another control character but HTAB, CR or LF other than folding, or a line over 998
   * octets that cannot be folded. Octets are counted as UTF-8.
   */
  public static void checkHeaderField(String field, String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      if (b == '\r' || b == '\n') {
        boolean crlf = b == '\r' && i + 1 < bytes.length && bytes[i + 1] == '\n';
        int next = crlf ? i + 2 : i + 1;
        if (!crlf || next >= bytes.length || (bytes[next] != ' ' && bytes[next] != '\t')) {
          throw new InvalidMailException(
              field, "contains CR or LF that is not header folding (header injection)");
        }
        i++;
      } else if (isControl(b)) {
        throw new InvalidMailException(field, "contains a control character (" + hex(b) + ")");
      }
    }
    if (foldLines(bytes, 0, bytes.length) == null) {
      throw new InvalidMailException(
          field,
          "has a line over "
              + MAX_LINE
              + " octets without a space or tab to fold it at; shorten the value");
    }
  }

  /**
   * {@code line} ({@code "Name: value"}, possibly folded) with every physical line over 998 octets
   * folded before a space or tab; {@code line} itself when none is too long, {@code null} when one
   * cannot be folded. Counts octets as UTF-8, and inserts CRLF before ASCII whitespace only, so the
   * result decodes as the same characters.
   */
  static String foldHeaderLine(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    byte[] folded = foldLines(bytes, 0, bytes.length);
    if (folded == null) {
      return null;
    }
    return folded == bytes ? line : new String(folded, StandardCharsets.UTF_8);
  }

  private static boolean isControl(byte b) {
    return b >= 0 && b < 0x20 && b != '\t' || b == 0x7f;
  }

  private static void checkControls(byte[] mime, int from, int end, String fieldPrefix) {
    for (int i = from; i < end; i++) {
      byte b = mime[i];
      if (b == '\r'
          && i + 2 < end
          && mime[i + 1] == '\n'
          && (mime[i + 2] == ' ' || mime[i + 2] == '\t')) {
        i++; // folding
      } else if (isControl(b)) {
        throw new InvalidMailException(
            fieldPrefix + "header[" + name(mime, from, end) + "]",
            "contains a control character (" + hex(b) + ")");
      }
    }
  }

  /**
   * The end of the field starting at {@code from}: before the CRLF that is not followed by a space
   * or tab.
   */
  private static int fieldEnd(byte[] mime, int from) {
    int i = from;
    while (i < mime.length) {
      if (mime[i] == '\r' && i + 1 < mime.length && mime[i + 1] == '\n') {
        if (i == from || i + 2 >= mime.length || (mime[i + 2] != ' ' && mime[i + 2] != '\t')) {
          return i;
        }
        i += 2;
      } else {
        i++;
      }
    }
    return i;
  }

  private static int skipCrlf(byte[] mime, int at) {
    return at + 1 < mime.length && mime[at] == '\r' && mime[at + 1] == '\n' ? at + 2 : mime.length;
  }

  /** The field's name for a message: up to the colon, printable ASCII, at most 76 characters. */
  private static String name(byte[] mime, int from, int end) {
    StringBuilder name = new StringBuilder();
    for (int i = from; i < end && mime[i] != ':' && name.length() < 76; i++) {
      byte b = mime[i];
      if (b > 0x20 && b < 0x7f) {
        name.append((char) b);
      } else {
        name.append(hex(b));
      }
    }
    return name.toString();
  }

  private static String hex(byte b) {
    return String.format("0x%02X", b & 0xff);
  }

  /**
   * The physical lines of {@code bytes[from, end)} (separated by CRLF) with each line over 998
   * octets folded: CRLF inserted before the last space or tab that keeps the line within 998
   * octets, leaving neither line blank. {@code bytes} itself when no line is too long, {@code null}
   * when a line cannot be folded.
   */
  private static byte[] foldLines(byte[] bytes, int from, int end) {
    ByteArrayOutputStream out = null;
    int copied = from;
    int lineStart = from;
    while (lineStart <= end) {
      int lineEnd = lineStart;
      while (lineEnd < end
          && !(bytes[lineEnd] == '\r' && lineEnd + 1 < end && bytes[lineEnd + 1] == '\n')) {
        lineEnd++;
      }
      if (lineEnd - lineStart > MAX_LINE) {
        if (out == null) {
          out = new ByteArrayOutputStream(end - from + 64);
        }
        out.write(bytes, copied, lineStart - copied);
        if (!foldLine(bytes, lineStart, lineEnd, out)) {
          return null;
        }
        copied = lineEnd;
      }
      lineStart = lineEnd + 2;
    }
    if (out == null) {
      return bytes;
    }
    out.write(bytes, copied, end - copied);
    return out.toByteArray();
  }

  private static boolean foldLine(byte[] bytes, int start, int end, ByteArrayOutputStream out) {
    int lastText = end - 1;
    while (lastText >= start && isWsp(bytes[lastText])) {
      lastText--;
    }
    while (end - start > MAX_LINE) {
      int firstText = start;
      while (firstText < end && isWsp(bytes[firstText])) {
        firstText++;
      }
      int at = -1;
      for (int j = Math.min(start + MAX_LINE, lastText - 1); j > firstText; j--) {
        if (isWsp(bytes[j])) {
          at = j;
          break;
        }
      }
      if (at < 0) {
        return false;
      }
      out.write(bytes, start, at - start);
      out.write(CRLF, 0, 2);
      start = at;
    }
    out.write(bytes, start, end - start);
    return true;
  }

  private static boolean isWsp(byte b) {
    return b == ' ' || b == '\t';
  }
}
