package dev.mailqueue.smtp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An MTA-STS policy (RFC 8461 3.2) as a domain publishes it at {@code
 * https://mta-sts.<domain>/.well-known/mta-sts.txt}, parsed strictly: a policy that breaks the
 * grammar is no policy, never a guess.
 *
 * @param mode what a sender does when an MX host does not match or has no valid TLS
 * @param mx the MX host patterns, lower case: a host name, or {@code *.} and a host name for any
 *     one label in front of it; empty only in mode {@link Mode#NONE}
 * @param maxAge how long the policy may be cached, at most {@link #MAX_AGE_LIMIT} seconds
 */
record MtaStsPolicy(Mode mode, List<String> mx, Duration maxAge) {
  /** The longest {@code max_age} RFC 8461 allows: 31,557,600 seconds (about a year). */
  static final long MAX_AGE_LIMIT = 31_557_600;

  /** More {@code mx} lines than any real policy has; the 64 KB size cap bounds them anyway. */
  private static final int MAX_MX = 100;

  private static final Pattern LINE = Pattern.compile("\r?\n");
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,10}");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** The {@code mode} field. */
  enum Mode {
    /** Deliver only to matching MX hosts over verified TLS; otherwise defer. */
    ENFORCE,
    /** Deliver as usual, report what would have failed. */
    TESTING,
    /** The domain has withdrawn its policy. */
    NONE
  }

  MtaStsPolicy {
    mx = List.copyOf(mx);
  }

  /** Why a policy text was refused. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  /**
   * Parses a policy body (ASCII already checked by the caller): {@code key: value} lines separated
   * by LF or CRLF, unknown keys ignored (RFC 8461 3.2 allows extensions); {@code version}, {@code
   * mode} and {@code max_age} exactly once, {@code mx} at least once unless the mode is none.
   *
   * @throws Invalid with what was wrong, for a text that breaks the grammar
   */
  static MtaStsPolicy parse(String body) throws Invalid {
    String version = null;
    Mode mode = null;
    Long maxAge = null;
    List<String> mx = new ArrayList<>();
    int n = 0;
    for (String line : LINE.split(body, -1)) {
      n++;
      if (line.isEmpty()) {
        continue; // a trailing line terminator, or blank lines some servers add
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new Invalid("line " + n + " is not 'key: value'");
      }
      String key = line.substring(0, colon);
      if (!KEY.matcher(key).matches()) {
        throw new Invalid("line " + n + " has no valid key");
      }
      String value = line.substring(colon + 1).strip();
      switch (key) {
        case "version" -> {
          if (version != null) {
            throw new Invalid("version given twice");
          }
          version = value;
        }
        case "mode" -> {
          if (mode != null) {
            throw new Invalid("mode given twice");
          }
          mode =
              switch (value) {
                case "enforce" -> Mode.ENFORCE;
                case "testing" -> Mode.TESTING;
                case "none" -> Mode.NONE;
                default -> throw new Invalid("mode is not enforce, testing or none");
              };
        }
        case "max_age" -> {
          if (maxAge != null) {
            throw new Invalid("max_age given twice");
          }
          if (!DIGITS.matcher(value).matches()) {
            throw new Invalid("max_age is not a number of seconds");
          }
          maxAge = Long.parseLong(value);
          if (maxAge > MAX_AGE_LIMIT) {
            throw new Invalid("max_age is above " + MAX_AGE_LIMIT);
          }
        }
        case "mx" -> {
          if (mx.size() >= MAX_MX) {
            throw new Invalid("more than " + MAX_MX + " mx patterns");
          }
          mx.add(pattern(value));
        }
        default -> {
          // an extension field: ignored
        }
      }
    }
    if (!"STSv1".equals(version)) {
      throw new Invalid(version == null ? "no version" : "version is not STSv1");
    }
    if (mode == null) {
      throw new Invalid("no mode");
    }
    if (maxAge == null) {
      throw new Invalid("no max_age");
    }
    if (mx.isEmpty() && mode != Mode.NONE) {
      throw new Invalid("no mx pattern");
    }
    return new MtaStsPolicy(mode, mx, Duration.ofSeconds(maxAge));
  }

  /** An {@code mx} value: a host name, or {@code *.} and one, as lower-case A-labels. */
  private static String pattern(String value) throws Invalid {
    String p = value.toLowerCase(Locale.ROOT);
    if (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    String name = p.startsWith("*.") ? p.substring(2) : p;
    if (name.isEmpty() || name.length() > 253) {
      throw new Invalid("mx pattern is not a host name");
    }
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        throw new Invalid("mx pattern is not a host name");
      }
    }
    return p;
  }

  /** Whether the policy asks for delivery to be refused (deferred) when it is not met. */
  boolean enforced() {
    return mode == Mode.ENFORCE;
  }

  /**
   * Whether {@code mxHost} (lower case, no trailing dot) matches one of the {@code mx} patterns:
   * exactly, or, for {@code *.example.com}, with exactly one label in place of the {@code *} (RFC
   * 8461 4.1: {@code mail.example.com}, not {@code example.com} or {@code a.b.example.com}).
   */
  boolean matches(String mxHost) {
    for (String p : mx) {
      if (p.startsWith("*.")) {
        int dot = mxHost.indexOf('.');
        if (dot > 0 && mxHost.substring(dot + 1).equals(p.substring(2))) {
          return true;
        }
      } else if (p.equals(mxHost)) {
        return true;
      }
    }
    return false;
  }
}
