package dev.mailqueue.test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Finds http(s) links in a text body and in an HTML body's {@code href} attributes. */
final class Links {
  /** A URL in plain text ends at whitespace, a quote or an angle bracket (RFC 3986 appendix C). */
  private static final Pattern IN_TEXT = Pattern.compile("https?://[^\\s<>\"'`]+");

  private static final Pattern HREF =
      Pattern.compile(
          "href\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s>]+))", Pattern.CASE_INSENSITIVE);

  /** Punctuation that ends a sentence rather than a URL in running text. */
  private static final String TRAILING = ".,;:!?)]}";

  private Links() {}

  /** The links of both bodies, text first, each once, in order of appearance. */
  static List<String> find(@Nullable String text, @Nullable String html) {
    Set<String> links = new LinkedHashSet<>();
    if (text != null) {
      Matcher m = IN_TEXT.matcher(text);
      while (m.find()) {
        links.add(trimTrailing(m.group()));
      }
    }
    if (html != null) {
      Matcher m = HREF.matcher(html);
      while (m.find()) {
        String raw = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        String url = unescapeHtml(raw.strip());
        if (url.regionMatches(true, 0, "http://", 0, 7)
            || url.regionMatches(true, 0, "https://", 0, 8)) {
          links.add(url);
        }
      }
    }
    return new ArrayList<>(links);
  }

  private static String trimTrailing(String url) {
    int end = url.length();
    while (end > 0 && TRAILING.indexOf(url.charAt(end - 1)) >= 0) {
      end--;
    }
    return url.substring(0, end);
  }

  /** The entities an href holds in practice: named ones for markup characters and numeric ones. */
  static String unescapeHtml(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int semi = c == '&' ? s.indexOf(';', i) : -1;
      if (semi > i && semi - i <= 10) {
        String entity = s.substring(i + 1, semi);
        String decoded = decodeEntity(entity);
        if (decoded != null) {
          out.append(decoded);
          i = semi + 1;
          continue;
        }
      }
      out.append(c);
      i++;
    }
    return out.toString();
  }

  private static @Nullable String decodeEntity(String entity) {
    switch (entity) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return "\"";
      case "apos":
        return "'";
      default:
        break;
    }
    try {
      if (entity.startsWith("#x") || entity.startsWith("#X")) {
        return Character.toString(Integer.parseInt(entity.substring(2), 16));
      }
      if (entity.startsWith("#")) {
        return Character.toString(Integer.parseInt(entity.substring(1)));
      }
    } catch (IllegalArgumentException e) {
      // not a character reference: kept as written
    }
    return null;
  }
}
