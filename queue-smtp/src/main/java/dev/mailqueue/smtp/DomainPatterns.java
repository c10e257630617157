package dev.mailqueue.smtp;

import java.net.IDN;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Domain entries in configuration ({@link DirectBuilder#requireVerifiedTls}): a domain, or a
 * leading {@code *.} for every domain below one. Entries are kept the way recipient domains are
 * compared, as lower-case A-labels without a trailing dot: an entry written with Unicode ({@code
 * bücher.example}) would otherwise never match the A-label a recipient's domain becomes ({@code
 * xn--bcher-kva.example}), and the requirement would silently do nothing.
 */
final class DomainPatterns {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private DomainPatterns() {}

  /**
   * The entry as an A-label host name, with {@code *.} kept in front of a wildcard entry.
   *
   * @throws IllegalArgumentException for anything that is not a host name or {@code *.} and one
   */
  static String normalise(String entry) {
    String e = entry.strip();
    boolean wildcard = e.startsWith("*.");
    String name = wildcard ? e.substring(2) : e;
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    String ascii;
    try {
      ascii = IDN.toASCII(name, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(
          "not a domain: '" + entry + "' (" + ex.getMessage() + ")", ex);
    }
    if (ascii.isEmpty() || ascii.length() > 253) {
      throw new IllegalArgumentException("not a domain: '" + entry + "'");
    }
    for (String label : ascii.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        throw new IllegalArgumentException(
            "not a domain: '"
                + entry
                + "'; use a host name such as example.com, "
                + "or *.example.com for every domain below it");
      }
    }
    return wildcard ? "*." + ascii : ascii;
  }

  /**
   * Whether {@code domain} (lower-case A-labels) is one of {@code patterns} or below a {@code *.}
   * pattern's domain, at any depth; {@code *.example.com} does not match {@code example.com}
   * itself.
   */
  static boolean matches(Set<String> patterns, String domain) {
    if (patterns.isEmpty()) {
      return false;
    }
    if (patterns.contains(domain)) {
      return true;
    }
    for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
      if (patterns.contains("*" + domain.substring(dot))) {
        return true;
      }
    }
    return false;
  }
}
