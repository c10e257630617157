package dev.mailqueue.spi;

/**
 * Makes a string that came from the network or from DNS (a server's reply, a host name) safe to
 * store and to print: control characters are escaped, whitespace is collapsed, and the result is
 * capped to a column's length.
 *
 * <p>Such strings are hostile. PostgreSQL rejects NUL in text columns, so a reply with a NUL made
 * an outcome impossible to record (and the message was sent again after its lease); ESC and the C1
 * controls are terminal escape sequences when a reply is printed; a long host name or many joined
 * ones overflowed a {@code varchar(255)} column. Every store and transport runs such text through
 * here before it reaches a column or a person.
 *
 * <p>The rules: CR, LF, TAB, VT and FF become a space and runs of spaces collapse to one; every
 * other C0 control, DEL and every C1 control becomes a visible {@code \xNN} escape; an unpaired
 * surrogate becomes U+FFFD; the result is stripped and, when longer than the cap, cut at a code
 * point boundary and ended with {@code "…"} so that a reader sees it was cut. Thread-safe and
 * allocation-free when the text is already clean and short enough.
 */
public final class NetworkText {
  /** What ends a cut string. */
  public static final String ELLIPSIS = "\u2026";

  private NetworkText() {}

  /**
   * The sanitised, stripped {@code text}, at most {@code maxLength} chars long; {@code null} stays
   * {@code null}.
   *
   * @param text text from the network, or {@code null}
   * @param maxLength the longest result, in chars; at least 2
   * @return the sanitised text, or {@code null}
   * @throws IllegalArgumentException if {@code maxLength} is less than 2
   */
  public static String sanitize(String text, int maxLength) {
    if (maxLength < 2) {
      throw new IllegalArgumentException("maxLength must be at least 2: " + maxLength);
    }
    if (text == null) {
      return null;
    }
    String clean = isClean(text) ? text.strip() : escape(text);
    return cap(clean, maxLength);
  }

  /**
   * {@code text} cut to at most {@code maxLength} chars at a code point boundary, ending with
   * {@link #ELLIPSIS} when cut.
   *
   * @param text the text, or {@code null}
   * @param maxLength the longest result, in chars
   * @return the text, cut if longer, or {@code null}
   */
  public static String cap(String text, int maxLength) {
    if (text == null || text.length() <= maxLength) {
      return text;
    }
    int end = maxLength - ELLIPSIS.length();
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end).stripTrailing() + ELLIPSIS;
  }

  private static boolean isClean(String s) {
    boolean previousSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || Character.isSurrogate(c)) {
        return false;
      }
      boolean space = c == ' ';
      if (space && previousSpace) {
        return false;
      }
      previousSpace = space;
    }
    return true;
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    boolean pendingSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x0B || c == 0x0C) {
        pendingSpace = sb.length() > 0;
        continue;
      }
      if (pendingSpace) {
        sb.append(' ');
        pendingSpace = false;
      }
      if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
        sb.append("\\x")
            .append(Character.forDigit(c >> 4, 16))
            .append(Character.forDigit(c & 0xF, 16));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        sb.append('\uFFFD');
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
