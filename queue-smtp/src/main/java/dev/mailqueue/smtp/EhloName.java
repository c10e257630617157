package dev.mailqueue.smtp;

import java.net.InetAddress;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name an {@link SmtpTransport} says EHLO with when none is set: this machine's canonical host
 * name, looked up once per JVM within {@link #LOOKUP_TIMEOUT_MILLIS}, and whether a name is good
 * enough for the servers that check it (many relays and MX hosts refuse {@code localhost} or a bare
 * host name).
 */
final class EhloName {
  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  /** The longest the host name lookup may take (a misconfigured resolver can hang for minutes). */
  static final long LOOKUP_TIMEOUT_MILLIS = 5_000;

  /** The name used when the machine has no usable one. */
  static final String FALLBACK = "localhost";

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private EhloName() {}

  /** This machine's EHLO name: looked up at first use, then the same for the life of the JVM. */
  static String ofThisMachine() {
    return ThisMachine.NAME;
  }

  /**
   * Holds the looked-up name: the class is initialised (and the lookup made) once, on first use.
   */
  private static final class ThisMachine {
    static final String NAME = lookUp();
  }

  /** Asks the resolver on a daemon thread, so that a lookup that never returns holds nobody. */
  private static String lookUp() {
    CompletableFuture<String[]> names = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                InetAddress local = InetAddress.getLocalHost();
                names.complete(new String[] {local.getCanonicalHostName(), local.getHostName()});
              } catch (Exception | Error e) {
                names.completeExceptionally(e);
              }
            },
            "mailqueue-ehlo-name-lookup");
    t.setDaemon(true);
    t.start();
    try {
      String[] found = names.get(LOOKUP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      return choose(found[0], found[1]);
    } catch (TimeoutException e) {
      log.warn(
          "looking up this machine's host name took longer than {} ms; saying EHLO {}",
          LOOKUP_TIMEOUT_MILLIS,
          FALLBACK);
    } catch (ExecutionException e) {
      log.warn(
          "cannot look up this machine's host name ({}); saying EHLO {}",
          e.getCause().toString(),
          FALLBACK);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return FALLBACK;
  }

  /**
   * The EHLO name to use given this machine's canonical name and host name (either may be {@code
   * null}): the first that is a fully qualified domain name; else, when the canonical name is an IP
   * address (no reverse DNS), that address as an address literal (RFC 5321 4.1.3); else the first
   * usable name; else {@link #FALLBACK}.
   */
  static String choose(String canonicalName, String hostName) {
    for (String candidate : new String[] {canonicalName, hostName}) {
      if (usable(candidate) && !isIpAddress(candidate) && isFqdn(candidate)) {
        return candidate;
      }
    }
    if (usable(canonicalName) && isIpAddress(canonicalName)) {
      return addressLiteral(canonicalName);
    }
    for (String candidate : new String[] {canonicalName, hostName}) {
      if (usable(candidate) && !isIpAddress(candidate)) {
        return candidate;
      }
    }
    return FALLBACK;
  }

  /**
   * Whether {@code name} is a fully qualified domain name: it has a dot inside, and is neither an
   * address literal nor {@code localhost} (or {@code localhost.localdomain}).
   */
  static boolean isFqdn(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    int dot = n.indexOf('.');
    return dot > 0
        && dot < n.length() - 1
        && !n.startsWith("[")
        && !n.equals("localhost")
        && !n.startsWith("localhost.");
  }

  /**
   * The warning for an EHLO name that is not a fully qualified domain name, naming how to set it;
   * {@code null} when the name is fine.
   *
   * @param defaulted whether the name was looked up rather than set
   */
  static String warningFor(String name, boolean defaulted) {
    if (isFqdn(name)) {
      return null;
    }
    return "EHLO name '"
        + name
        + "'"
        + (defaulted ? " (this machine's name, as no EHLO name was set)" : "")
        + " is not a fully qualified domain name, which many relays and MX hosts reject; set the name of this "
        + "host in DNS with ehloName(...) (Spring: mailqueue.smtp.ehlo-name; CLI: --ehlo-name)";
  }

  /** Whether {@code name} could be sent with EHLO at all: printable ASCII without spaces. */
  static boolean usable(String name) {
    return name != null && !name.isEmpty() && name.chars().allMatch(c -> c > ' ' && c <= '~');
  }

  private static boolean isIpAddress(String name) {
    return name.indexOf(':') >= 0 || IPV4.matcher(name).matches();
  }

  private static String addressLiteral(String address) {
    int scope = address.indexOf('%');
    String a = scope < 0 ? address : address.substring(0, scope);
    return a.indexOf(':') >= 0 ? "[IPv6:" + a + "]" : "[" + a + "]";
  }
}
