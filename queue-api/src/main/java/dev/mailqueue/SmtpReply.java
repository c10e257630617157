package dev.mailqueue;

import dev.mailqueue.spi.NetworkText;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an SMTP server answered (or, for failures before any reply, what the transport
 * synthesised in the same form, with the text starting with {@code "local: "}).
 *
 * @param code the three-digit reply code (RFC 5321), e.g. 250, 451, 550
 * @param enhancedStatus the RFC 3463 enhanced status code, e.g. {@code "5.1.1"}, or {@code null}
 *     when the server sent none
 * @param text the reply text without code and enhanced status, lines joined with a space
 *
 * <p>A reply comes from the network and is hostile: the text is {@linkplain NetworkText#sanitize
 * sanitised} (control characters such as NUL and ESC escaped as {@code \xNN}, line breaks and
 * runs of whitespace folded to one space) and capped at {@value #MAX_TEXT} characters, the size of
 * the stores' reply columns, so that every reply can be stored and printed as it is.
 */
public record SmtpReply(int code, String enhancedStatus, String text) {
  private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})\\b\\s*");
  private static final Pattern ENHANCED_STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");
  /** Longest reply text kept, in chars: the size of the stores' reply columns. */
  public static final int MAX_TEXT = 1000;

  /**
   * Validates the code and the enhanced status's form, sanitises the text and caps it at
   * {@value #MAX_TEXT} characters.
   */
  public SmtpReply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("SMTP reply code out of range: " + code);
    }
    if (enhancedStatus != null && !ENHANCED_STATUS.matcher(enhancedStatus).matches()) {
      throw new IllegalArgumentException("not an enhanced status code (RFC 3463): "
          + NetworkText.sanitize(enhancedStatus, 40));
    }
    text = text == null ? "" : NetworkText.sanitize(text, MAX_TEXT);
  }

  /**
   * Parses a reply as sent by a server, e.g. {@code "550 5.1.1 <bob@example.com>: user unknown"},
   * extracting the enhanced status code when the text starts with one of the same class.
   */
  public static SmtpReply parse(int code, String textAfterCode) {
    String text = textAfterCode == null ? "" : textAfterCode.strip();
    Matcher m = ENHANCED.matcher(text);
    String enhanced = null;
    if (m.find() && m.group(1).charAt(0) - '0' == code / 100) {
      enhanced = m.group(1) + "." + m.group(2) + "." + m.group(3);
      text = text.substring(m.end());
    }
    return new SmtpReply(code, enhanced, text);
  }

  /** A reply synthesised by this library for a failure that produced no server reply. */
  public static SmtpReply local(int code, String enhancedStatus, String text) {
    return new SmtpReply(code, enhancedStatus, "local: " + Objects.requireNonNull(text, "text"));
  }

  /** Whether this is a 2xx success reply. */
  public boolean isPositive() {
    return code / 100 == 2;
  }

  /** Whether this is a 4xx reply: try again later. */
  public boolean isTransient() {
    return code / 100 == 4;
  }

  /** Whether this is a 5xx reply: do not try again. */
  public boolean isPermanent() {
    return code / 100 == 5;
  }

  @Override
  public String toString() {
    return enhancedStatus == null ? code + " " + text : code + " " + enhancedStatus + " " + text;
  }
}
