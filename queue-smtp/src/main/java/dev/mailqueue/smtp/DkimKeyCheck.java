package dev.mailqueue.smtp;

import dev.mailqueue.spi.NetworkText;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Looks a {@link DkimKey}'s record up in DNS ({@code selector._domainkey.domain TXT}) and says
 * whether it publishes the key's public key. Used by {@code mailqueue dkim check} and, when the
 * transport starts, by {@link DkimSigning#checkDnsAtStart()}. What DNS returns is sanitised and
 * capped before it is shown.
 */
public final class DkimKeyCheck {
  /** A TXT answer longer than this is not a DKIM key record (a 4096-bit key needs about 800). */
  private static final int MAX_RECORD = 4096;

  private DkimKeyCheck() {}

  /** What the lookup found. */
  public enum Status {
    /** The record publishes this key. */
    MATCHES,
    /** No record at the name (NXDOMAIN, no TXT record, or no DKIM record among them). */
    NOT_PUBLISHED,
    /** A DKIM record is published, but with another key, another key type, or revoked. */
    MISMATCH,
    /** DNS did not answer usably in time; nothing is known. */
    DNS_FAILURE
  }

  /**
   * The outcome of one check.
   *
   * @param key the key checked
   * @param status what was found
   * @param detail a sentence for people: what was found and, when it does not match, what to
   *     publish
   */
  public record Result(DkimKey key, Status status, String detail) {
    /**
     * Validates presence.
     *
     * @param key the key checked
     * @param status what was found
     * @param detail a sentence for people
     */
    public Result {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * Checks {@code key} against DNS.
   *
   * @param key the key
   * @param servers the name servers to ask; empty for the system's
   * @param timeout the bound of the lookup
   * @return the outcome; never throws for DNS failures
   */
  public static Result check(DkimKey key, List<InetSocketAddress> servers, Duration timeout) {
    Objects.requireNonNull(key, "key");
    SmtpTransportBuilder.positiveMillis(timeout, "timeout");
    String publish = " Publish: " + key.dnsName() + " TXT \"" + key.dnsRecord() + "\"";
    List<InetSocketAddress> list =
        servers.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : servers;
    if (list.isEmpty()) {
      return new Result(key, Status.DNS_FAILURE, "no name servers configured");
    }
    ExtendedResolver resolver = DnsMxResolver.resolverFor(list, timeout);
    Lookup lookup;
    try {
      lookup = new Lookup(Name.fromString(key.dnsName(), Name.root), Type.TXT, DClass.IN);
    } catch (TextParseException e) {
      return new Result(key, Status.DNS_FAILURE, "invalid DNS name " + key.dnsName());
    }
    lookup.setResolver(resolver);
    lookup.setCache(null);
    lookup.setHostsFileParser(null);
    Record[] records = lookup.run();
    switch (lookup.getResult()) {
      case Lookup.SUCCESSFUL:
        break;
      case Lookup.HOST_NOT_FOUND:
      case Lookup.TYPE_NOT_FOUND:
        return new Result(
            key, Status.NOT_PUBLISHED, "no TXT record at " + key.dnsName() + "." + publish);
      default:
        return new Result(
            key,
            Status.DNS_FAILURE,
            "TXT lookup of "
                + key.dnsName()
                + " failed: "
                + NetworkText.sanitize(String.valueOf(lookup.getErrorString()), 200));
    }
    byte[] expected = DkimKey.publicKeyData(key.publicKey(), key.algorithm());
    String seen = null;
    for (Record r : records == null ? new Record[0] : records) {
      if (!(r instanceof TXTRecord txt)) {
        continue;
      }
      String text = String.join("", txt.getStrings());
      if (text.length() > MAX_RECORD || !isKeyRecord(text)) {
        continue;
      }
      seen = text;
      String k = tag(text, "k");
      String p = tag(text, "p");
      if (p == null || p.isEmpty()) {
        return new Result(
            key,
            Status.MISMATCH,
            "the key at " + key.dnsName() + " is revoked (empty p=)." + publish);
      }
      if (!(k == null ? "rsa" : k.toLowerCase(Locale.ROOT)).equals(key.algorithm().keyType())) {
        continue;
      }
      byte[] published;
      try {
        published = Base64.getDecoder().decode(p.replaceAll("[ \\t\\r\\n]", ""));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (Arrays.equals(published, expected)) {
        return new Result(
            key,
            Status.MATCHES,
            key.dnsName() + " publishes this " + key.algorithm().tag() + " key");
      }
    }
    if (seen == null) {
      return new Result(
          key,
          Status.NOT_PUBLISHED,
          "no DKIM key record (v=DKIM1 or p=) among the TXT records at "
              + key.dnsName()
              + "."
              + publish);
    }
    return new Result(
        key,
        Status.MISMATCH,
        key.dnsName()
            + " publishes another key: \""
            + NetworkText.sanitize(seen, 120)
            + "\"."
            + publish);
  }

  private static boolean isKeyRecord(String text) {
    String v = tag(text, "v");
    return v != null ? v.equals("DKIM1") : tag(text, "p") != null;
  }

  /** The value of tag {@code name} in a tag list (RFC 6376 3.2), or {@code null}. */
  private static String tag(String text, String name) {
    for (String part : text.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).strip().equals(name)) {
        return part.substring(eq + 1).strip();
      }
    }
    return null;
  }
}
