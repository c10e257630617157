package dev.mailqueue;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One validated mailbox: an RFC 5321 address and an optional display name.
 *
 * <p>Construction validates and normalises: the domain is lower-cased and converted to its ASCII
 * form (IDN A-labels, e.g. {@code bücher.de -> xn--bcher-kva.de}); CR, LF and other control
 * characters are rejected everywhere (header injection); the local part must be a dot-atom or
 * quoted string of at most 64 octets and the whole address at most 254 octets; encoded words
 * ({@code =?...?=}), route addresses and domain literals are rejected. A local part with non-ASCII
 * characters is syntactically accepted but {@link #requiresSmtpUtf8()}, and a {@link Mail} refuses
 * it unless SMTPUTF8 was enabled for that mail.
 *
 * @param address the address, {@code local@domain}, with the domain in ASCII form
 * @param displayName the display name, or {@code null}
 */
public record MailAddress(String address, @Nullable String displayName) {
  /** RFC 5321 4.5.3.1.1: at most 64 octets in a local part. */
  public static final int MAX_LOCAL_PART_OCTETS = 64;

  /** RFC 5321 4.5.3.1.3 path limit of 256 minus the angle brackets. */
  public static final int MAX_ADDRESS_OCTETS = 254;

  /** Longest display name accepted. */
  public static final int MAX_DISPLAY_NAME_LENGTH = 256;

  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

  /**
   * Validates and normalises; throws {@link InvalidMailException} with field {@code "address"}.
   *
   * @param address the address, {@code local@domain}, with the domain in ASCII form
   * @param displayName the display name, or {@code null}
   * @throws InvalidMailException if the address or the display name is not valid
   */
  public MailAddress {
    Objects.requireNonNull(address, "address");
    address = normalise(address);
    if (displayName != null) {
      rejectControl("displayName", displayName);
      displayName = displayName.strip();
      if (displayName.isEmpty()) {
        displayName = null;
      } else if (displayName.length() > MAX_DISPLAY_NAME_LENGTH) {
        throw new InvalidMailException(
            "displayName", "longer than " + MAX_DISPLAY_NAME_LENGTH + " characters");
      }
    }
  }

  /**
   * An address without display name, e.g. {@code of("bob@example.com")}.
   *
   * @param address the bare address
   * @return the address
   * @throws InvalidMailException if the address is not valid
   */
  public static MailAddress of(String address) {
    return new MailAddress(address, null);
  }

  /**
   * An address with a display name, e.g. {@code of("bob@example.com", "Bob Smith")}.
   *
   * @param address the bare address
   * @param displayName the name shown beside it, or {@code null} for none
   * @return the address
   * @throws InvalidMailException if the address or the display name is not valid
   */
  public static MailAddress of(String address, String displayName) {
    return new MailAddress(address, displayName);
  }

  /**
   * Parses {@code "bob@example.com"}, {@code "<bob@example.com>"} or {@code "Bob Smith
   * <bob@example.com>"} (the name optionally in double quotes).
   *
   * @param text the address as written in a header field
   * @return the address, with its display name if the text had one
   * @throws InvalidMailException if the text is not such an address
   */
  public static MailAddress parse(String text) {
    Objects.requireNonNull(text, "text");
    rejectControl("address", text);
    String t = text.strip();
    int lt = t.lastIndexOf('<');
    if (t.endsWith(">") && lt >= 0) {
      String name = t.substring(0, lt).strip();
      if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
        name = name.substring(1, name.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
      }
      return new MailAddress(t.substring(lt + 1, t.length() - 1), name.isEmpty() ? null : name);
    }
    return new MailAddress(t, null);
  }

  /**
   * The part before the last {@code @}.
   *
   * @return the local part, as given
   */
  public String localPart() {
    return address.substring(0, address.lastIndexOf('@'));
  }

  /** {@return the domain in lower-case ASCII form} */
  public String domain() {
    return address.substring(address.lastIndexOf('@') + 1);
  }

  /**
   * {@return whether the local part contains non-ASCII characters, which needs SMTPUTF8 (RFC 6531)}
   */
  public boolean requiresSmtpUtf8() {
    for (int i = 0; i < address.length(); i++) {
      if (address.charAt(i) > 127) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return displayName == null
        ? address
        : "\"" + displayName.replace("\"", "'") + "\" <" + address + ">";
  }

  private static String normalise(String raw) {
    rejectControl("address", raw);
    String a = raw.strip();
    if (a.startsWith("<") && a.endsWith(">")) {
      a = a.substring(1, a.length() - 1);
    }
    if (a.isEmpty()) {
      throw new InvalidMailException("address", "is empty");
    }
    if (a.contains("=?")) {
      throw new InvalidMailException("address", "contains an RFC 2047 encoded word: " + quoted(a));
    }
    int at = a.lastIndexOf('@');
    if (at <= 0 || at == a.length() - 1) {
      throw new InvalidMailException("address", "is not of the form local@domain: " + quoted(a));
    }
    String local = a.substring(0, at);
    String domain = toAsciiDomain(a.substring(at + 1), a);
    checkLocalPart(local, a);
    if (local.getBytes(StandardCharsets.UTF_8).length > MAX_LOCAL_PART_OCTETS) {
      throw new InvalidMailException(
          "address", "local part longer than " + MAX_LOCAL_PART_OCTETS + " octets: " + quoted(a));
    }
    String result = local + "@" + domain;
    if (result.getBytes(StandardCharsets.UTF_8).length > MAX_ADDRESS_OCTETS) {
      throw new InvalidMailException(
          "address", "longer than " + MAX_ADDRESS_OCTETS + " octets: " + quoted(a));
    }
    return result;
  }

  private static void checkLocalPart(String local, String whole) {
    if (local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"")) {
      String inner = local.substring(1, local.length() - 1);
      for (int i = 0; i < inner.length(); i++) {
        char c = inner.charAt(i);
        if (c == '\\') {
          i++;
          if (i >= inner.length()) {
            throw new InvalidMailException(
                "address", "ends with a lone backslash: " + quoted(whole));
          }
        } else if (c == '"') {
          throw new InvalidMailException(
              "address", "has an unescaped quote in its local part: " + quoted(whole));
        }
      }
      return;
    }
    if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
      throw new InvalidMailException(
          "address", "local part has a leading, trailing or double dot: " + quoted(whole));
    }
    for (int i = 0; i < local.length(); i++) {
      char c = local.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || ATEXT_SPECIALS.indexOf(c) >= 0
              || c > 127;
      if (!ok) {
        throw new InvalidMailException(
            "address", "character '" + c + "' is not allowed in a local part: " + quoted(whole));
      }
    }
  }

  private static String toAsciiDomain(String domain, String whole) {
    if (domain.startsWith("[")) {
      throw new InvalidMailException(
          "address", "domain literals are not accepted: " + quoted(whole));
    }
    String ascii;
    if (lettersDigitsHyphensDots(domain)) {
      // Already an ASCII host name: IDN.toASCII would return it unchanged, and the label checks
      // below are its STD3 checks. It costs as much as the rest of the parse.
      ascii = domain.toLowerCase(Locale.ROOT);
    } else {
      try {
        ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
      } catch (IllegalArgumentException e) {
        throw new InvalidMailException(
            "address", "domain is not a valid host name: " + quoted(whole), e);
      }
    }
    if (ascii.endsWith(".")) {
      ascii = ascii.substring(0, ascii.length() - 1);
    }
    if (ascii.isEmpty() || ascii.length() > 253) {
      throw new InvalidMailException(
          "address", "domain is empty or longer than 253 characters: " + quoted(whole));
    }
    for (String label : ascii.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
        throw new InvalidMailException("address", "domain has an invalid label: " + quoted(whole));
      }
    }
    return ascii;
  }

  private static boolean lettersDigitsHyphensDots(String domain) {
    for (int i = 0; i < domain.length(); i++) {
      char c = domain.charAt(i);
      if (!(c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '-'
          || c == '.')) {
        return false;
      }
    }
    return true;
  }

  static void rejectControl(String field, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n') {
        throw new InvalidMailException(
            field, "contains CR or LF (header injection): " + quoted(value));
      }
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        throw new InvalidMailException(field, "contains a control character: " + quoted(value));
      }
    }
  }

  static String quoted(String value) {
    String v = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    return "'" + v.replace("\r", "\\r").replace("\n", "\\n") + "'";
  }
}
