package dev.mailqueue;

import dev.mailqueue.spi.NetworkText;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an SMTP server answered (or, for failures before any reply, what the transport synthesised
 * in the same form: {@linkplain Origin#LOCAL local} replies, whose text starts with {@value
 * #LOCAL_PREFIX}).
 *
 * <p>A reply comes from the network and is hostile: the text is {@linkplain NetworkText#sanitize
 * sanitised} (control characters such as NUL and ESC escaped as {@code \xNN}, line breaks and runs
 * of whitespace folded to one space) and capped at {@value #MAX_TEXT} characters, the size of the
 * stores' reply columns, so that every reply can be stored and printed as it is.
 *
 * @param code the three-digit reply code (RFC 5321), e.g. 250, 451, 550
 * @param enhancedStatus the RFC 3463 enhanced status code, e.g. {@code "5.1.1"}, or {@code null}
 *     when the server sent none
 * @param text the reply text without code and enhanced status, lines joined with a space; for a
 *     {@linkplain Origin#LOCAL local} reply it starts with {@value #LOCAL_PREFIX}, so that the text
 *     as stored and printed says where the reply came from
 * @param origin who produced the reply: decide by this, never by the text, since a server may send
 *     any text
 */
public record SmtpReply(int code, String enhancedStatus, String text, Origin origin) {
  private static final Pattern ENHANCED =
      Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})\\b\\s*");
  private static final Pattern ENHANCED_STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

  /** Longest reply text kept, in chars: the size of the stores' reply columns. */
  public static final int MAX_TEXT = 1000;

  /** How the text of a {@linkplain Origin#LOCAL local} reply starts, as stored and printed. */
  public static final String LOCAL_PREFIX = "local: ";

  /** Who produced a reply. */
  public enum Origin {
    /** An SMTP server sent it. */
    SERVER,
    /**
     * This library synthesised it for a failure that produced no server reply (connect failed,
     * timeout, a local limit or policy); its text starts with {@link #LOCAL_PREFIX}.
     */
    LOCAL
  }

  /**
   * Validates the code and the enhanced status's form, prefixes the text of a local reply with
   * {@value #LOCAL_PREFIX} unless it already starts with it, sanitises the text and caps it at
   * {@value #MAX_TEXT} characters.
   *
   * @param code the three-digit reply code (RFC 5321), e.g. 250, 451, 550
   * @param enhancedStatus the RFC 3463 enhanced status code, e.g. {@code "5.1.1"}, or {@code null}
   *     when the server sent none
   * @param text the reply text without code and enhanced status, lines joined with a space; for a
   *     {@linkplain Origin#LOCAL local} reply it starts with {@value #LOCAL_PREFIX}, so that the
   *     text as stored and printed says where the reply came from
   * @param origin who produced the reply: decide by this, never by the text, since a server may
   *     send any text
   * @throws IllegalArgumentException if {@code code} is outside 200 to 599 or {@code
   *     enhancedStatus} is not of the form {@code class.subject.detail}
   */
  public SmtpReply {
    Objects.requireNonNull(origin, "origin");
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("SMTP reply code out of range: " + code);
    }
    if (enhancedStatus != null && !ENHANCED_STATUS.matcher(enhancedStatus).matches()) {
      throw new IllegalArgumentException(
          "not an enhanced status code (RFC 3463): " + NetworkText.sanitize(enhancedStatus, 40));
    }
    String t = text == null ? "" : text;
    if (origin == Origin.LOCAL && !t.startsWith(LOCAL_PREFIX)) {
      t = LOCAL_PREFIX + t;
    }
    text = NetworkText.sanitize(t, MAX_TEXT);
  }

  /**
   * A reply in its stored and printed form: {@link Origin#LOCAL} when {@code text} starts with
   * {@value #LOCAL_PREFIX}, else {@link Origin#SERVER}. For reading back what a store kept (the
   * origin of a server reply whose text happened to start with the prefix is not kept); a reply
   * from the network is made with {@link #parse}, a synthesised one with {@link #local}.
   *
   * @param code the three-digit reply code, 200 to 599
   * @param enhancedStatus the enhanced status code, or {@code null}
   * @param text the text as stored, {@value #LOCAL_PREFIX} included for a local reply; {@code null}
   *     is read as empty
   * @throws IllegalArgumentException as the canonical constructor
   */
  public SmtpReply(int code, String enhancedStatus, String text) {
    this(
        code,
        enhancedStatus,
        text,
        text != null && text.startsWith(LOCAL_PREFIX) ? Origin.LOCAL : Origin.SERVER);
  }

  /**
   * Parses a reply as sent by a server ({@link Origin#SERVER}, whatever its text says), e.g. {@code
   * "550 5.1.1 <bob@example.com>: user unknown"}, extracting the enhanced status code when the text
   * starts with one of the same class.
   *
   * @param code the three-digit reply code, 200 to 599
   * @param textAfterCode what followed the code on the reply's lines, joined; {@code null} is read
   *     as empty
   * @return the server reply
   * @throws IllegalArgumentException if {@code code} is outside 200 to 599
   */
  public static SmtpReply parse(int code, String textAfterCode) {
    String text = textAfterCode == null ? "" : textAfterCode.strip();
    Matcher m = ENHANCED.matcher(text);
    String enhanced = null;
    if (m.find() && m.group(1).charAt(0) - '0' == code / 100) {
      enhanced = m.group(1) + "." + m.group(2) + "." + m.group(3);
      text = text.substring(m.end());
    }
    return new SmtpReply(code, enhanced, text, Origin.SERVER);
  }

  /**
   * A reply synthesised by this library for a failure that produced no server reply ({@link
   * Origin#LOCAL}); its text is {@value #LOCAL_PREFIX} followed by {@code text}.
   *
   * @param code the reply code the failure stands for, e.g. 421 for a failed connection
   * @param enhancedStatus the enhanced status code, or {@code null}
   * @param text what happened, without the prefix
   * @return the local reply
   * @throws IllegalArgumentException as the canonical constructor
   */
  public static SmtpReply local(int code, String enhancedStatus, String text) {
    return new SmtpReply(
        code, enhancedStatus, LOCAL_PREFIX + Objects.requireNonNull(text, "text"), Origin.LOCAL);
  }

  /**
   * {@return whether this library synthesised this reply ({@link Origin#LOCAL}) rather than a
   * server sent it}
   */
  public boolean isLocal() {
    return origin == Origin.LOCAL;
  }

  /** {@return whether this is a 2xx success reply} */
  public boolean isPositive() {
    return code / 100 == 2;
  }

  /** {@return whether this is a 4xx reply: try again later} */
  public boolean isTransient() {
    return code / 100 == 4;
  }

  /** {@return whether this is a 5xx reply: do not try again} */
  public boolean isPermanent() {
    return code / 100 == 5;
  }

  @Override
  public String toString() {
    return enhancedStatus == null ? code + " " + text : code + " " + enhancedStatus + " " + text;
  }
}
