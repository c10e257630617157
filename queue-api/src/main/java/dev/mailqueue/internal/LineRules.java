package dev.mailqueue.internal;

/**
 * SMTP's rules for the lines of a message (RFC 5321 4.5.3.1.6, RFC 5322 2.1.1 and 2.2, RFC 2045
 * 2.7), applied to rendered MIME so that the bytes stored are the bytes a server receives: every
 * line ends in CRLF (an SMTP data stream turns a bare CR or LF into CRLF), no line is longer than
 * 998 octets, no NUL, and no control character but HTAB in a header field. Part of the engine,
 * not of the API: public only so that {@code Mail} and {@code Attachment} can validate with the
 * renderer's own rules.
 */
public final class LineRules {
  /** Longest line, in octets, without its CRLF. */
  public static final int MAX_LINE = 998;

  private LineRules() {}

  /**
   * Whether {@code content} goes through SMTP unchanged as 7bit data: ASCII without NUL, line
   * ends CRLF only, no line over 998 octets. An empty content is 7bit.
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
}
