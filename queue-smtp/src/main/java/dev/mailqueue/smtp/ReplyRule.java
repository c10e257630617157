package dev.mailqueue.smtp;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * One line of the reply rule table: which negative server replies it matches (reply code, enhanced
 * status code, text), what they mean and what the transport does with their recipients. The
 * transport tries the rules {@linkplain SmtpTransportBuilder#replyRules given by the application}
 * first, then the {@linkplain #builtIn() built-in rules}; the first match decides. A reply no rule
 * matches keeps its standard meaning (RFC 5321: 4xx deferred, 5xx bounced). Positive replies and
 * the transport's own (local) replies are never matched.
 *
 * <p>A rule cannot make a reply suppress its address: the store's bounce suppression decides that
 * (by enhanced code), and a rule of a block class ({@link ReplyClass#POLICY_BLOCK}, {@link
 * ReplyClass#REPUTATION_BLOCK}) keeps the address off the list whatever the code.
 *
 * @param code matched against the whole three-digit reply code (e.g. {@code "5\\d\\d"}), or {@code
 *     null} for any
 * @param enhancedCode matched against the whole enhanced status code (e.g. {@code "5\\.7\\.\\d+"}),
 *     or {@code null} for any; a reply without one does not match a rule that has one
 * @param text found anywhere in the reply text, without regard to case, or {@code null} for any
 * @param replyClass what a matching reply means
 * @param action what happens to its recipients
 * @param source where the rule comes from (a document, or "application rule"), for logs
 */
public record ReplyRule(
    @Nullable Pattern code,
    @Nullable Pattern enhancedCode,
    @Nullable Pattern text,
    ReplyClass replyClass,
    ReplyAction action,
    String source) {

  /** Longest pattern accepted, in chars: a rule is a short expression, not a program. */
  public static final int MAX_PATTERN_LENGTH = 500;

  /**
   * Validates.
   *
   * @param code matched against the whole three-digit reply code, or {@code null} for any
   * @param enhancedCode matched against the whole enhanced status code, or {@code null} for any
   * @param text found anywhere in the reply text, or {@code null} for any
   * @param replyClass what a matching reply means
   * @param action what happens to its recipients
   * @param source where the rule comes from, for logs
   * @throws IllegalArgumentException when all three patterns are {@code null} (a rule that matches
   *     every reply would hide the standard meaning of all of them) or {@code source} is blank
   */
  public ReplyRule {
    Objects.requireNonNull(replyClass, "replyClass");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(source, "source");
    if (code == null && enhancedCode == null && text == null) {
      throw new IllegalArgumentException(
          "a reply rule needs a code, an enhanced code or a text pattern");
    }
    if (source.isBlank()) {
      throw new IllegalArgumentException("source must not be blank");
    }
  }

  /**
   * A rule from regular expressions; its source is "application rule".
   *
   * @param code matched against the whole reply code (e.g. {@code "550"}, {@code "5\\d\\d"}), or
   *     {@code null} for any
   * @param enhancedCode matched against the whole enhanced status code (e.g. {@code "5\\.7\\.1"}),
   *     or {@code null} for any
   * @param text found anywhere in the reply text, case-insensitively (e.g. {@code "blocked using
   *     .*example-rbl"}), or {@code null} for any
   * @param replyClass what a matching reply means
   * @param action what happens to its recipients
   * @return the rule
   * @throws IllegalArgumentException when a pattern is not a regular expression or longer than
   *     {@value #MAX_PATTERN_LENGTH} chars, or all three are {@code null}
   */
  public static ReplyRule of(
      @Nullable String code,
      @Nullable String enhancedCode,
      @Nullable String text,
      ReplyClass replyClass,
      ReplyAction action) {
    return of(code, enhancedCode, text, replyClass, action, "application rule");
  }

  /**
   * The same as {@link #of(String, String, String, ReplyClass, ReplyAction)} with a source of its
   * own, e.g. the document the rule follows.
   *
   * @param code matched against the whole reply code, or {@code null} for any
   * @param enhancedCode matched against the whole enhanced status code, or {@code null} for any
   * @param text found anywhere in the reply text, case-insensitively, or {@code null} for any
   * @param replyClass what a matching reply means
   * @param action what happens to its recipients
   * @param source where the rule comes from, for logs; not blank
   * @return the rule
   * @throws IllegalArgumentException when a pattern is not a regular expression or longer than
   *     {@value #MAX_PATTERN_LENGTH} chars, all three are {@code null}, or {@code source} is blank
   */
  public static ReplyRule of(
      @Nullable String code,
      @Nullable String enhancedCode,
      @Nullable String text,
      ReplyClass replyClass,
      ReplyAction action,
      String source) {
    return new ReplyRule(
        compile(code, "code", 0),
        compile(enhancedCode, "enhancedCode", 0),
        compile(text, "text", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE),
        replyClass,
        action,
        source);
  }

  /**
   * The built-in rules, in the order they are tried: provider replies (Gmail, Microsoft, Yahoo),
   * DNS block lists (Spamhaus and others), authentication failures (RFC 7372, DMARC), and last any
   * other 5.7.x policy refusal (RFC 3463). Each rule's {@link #source()} names the document it
   * follows.
   *
   * @return the built-in rules, unmodifiable
   */
  public static List<ReplyRule> builtIn() {
    return BuiltInReplyRules.RULES;
  }

  private static @Nullable Pattern compile(@Nullable String regex, String name, int flags) {
    if (regex == null) {
      return null;
    }
    if (regex.length() > MAX_PATTERN_LENGTH) {
      throw new IllegalArgumentException(
          name + " pattern longer than " + MAX_PATTERN_LENGTH + " chars: " + regex.length());
    }
    try {
      return Pattern.compile(regex, flags);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          name + " is not a regular expression: " + e.getMessage(), e);
    }
  }

  /** The patterns, class, action and source, for logs. */
  @Override
  public String toString() {
    return "ReplyRule[code="
        + code
        + ", enhancedCode="
        + enhancedCode
        + ", text="
        + text
        + " -> "
        + replyClass
        + ", "
        + action
        + " ("
        + source
        + ")]";
  }
}
