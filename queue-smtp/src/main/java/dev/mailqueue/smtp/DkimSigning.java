package dev.mailqueue.smtp;

import java.net.IDN;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link SmtpTransportBuilder#dkim} signs with: the keys per signing domain, the header fields
 * to sign and, optionally, a domain whose key signs mail from domains without one. Immutable and
 * thread-safe; build one with {@link #builder()}.
 *
 * <p>Mail is signed at send time, once per attempt, over the bytes the server receives (the stored
 * bytes stay unsigned): a key rotated while mail waits for a retry signs with the new key, and the
 * signature's {@code t=} is the attempt's time. The signing domain follows the From address's
 * domain (DMARC alignment): its own key, else the key of its closest parent domain (relaxed
 * alignment, e.g. {@code news.example.com} signed by {@code example.com}), else the {@link
 * Builder#fallbackDomain fallback domain}'s key, else the mail goes unsigned and the domain is
 * logged once at INFO: a queue may carry mail for domains it does not sign for, which is not a
 * configuration fault. The first key added for a domain signs; when the domain has keys of both
 * algorithms, the first of each signs (RSA and Ed25519 signatures side by side, RFC 8463 section
 * 4). Further keys of the same algorithm are checked by {@link DkimKeyCheck} only: publish a new
 * selector, add its key first, and remove the old one after the mail signed with it has arrived.
 */
public final class DkimSigning {
  /**
   * The header fields signed when present, in this order; From is signed once more than it occurs
   * (over-signed), so that no From field can be added after signing. List-Unsubscribe and
   * List-Unsubscribe-Post are included because one-click unsubscription (RFC 8058) requires them to
   * be signed.
   */
  public static final List<String> DEFAULT_SIGNED_HEADERS =
      List.of(
          "From",
          "To",
          "Cc",
          "Subject",
          "Date",
          "Message-ID",
          "Reply-To",
          "MIME-Version",
          "Content-Type",
          "Content-Transfer-Encoding",
          "In-Reply-To",
          "References",
          "List-Unsubscribe",
          "List-Unsubscribe-Post",
          "Feedback-ID");

  /** Default time the start-up check of the keys in DNS may take: 5 seconds. */
  public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(5);

  /** Default of {@link Builder#checkDnsAtStart}: true. */
  public static final boolean DEFAULT_CHECK_DNS_AT_START = true;

  /** Fields the transport never sends, so that a signature over them could never verify. */
  private static final List<String> NEVER_SENT = List.of("bcc", "content-length");

  private final Map<String, List<DkimKey>> keysByDomain;
  private final List<String> signedHeaders;
  private final @Nullable String fallbackDomain;
  private final boolean checkDnsAtStart;
  private final List<InetSocketAddress> dnsServers;
  private final Duration dnsTimeout;
  private final DkimSigner signer;

  private DkimSigning(Builder b) {
    Map<String, List<DkimKey>> map = new LinkedHashMap<>();
    for (DkimKey k : b.keys) {
      map.computeIfAbsent(k.domain(), d -> new ArrayList<>()).add(k);
    }
    map.replaceAll((d, list) -> List.copyOf(list));
    this.keysByDomain = Map.copyOf(map);
    this.signedHeaders = List.copyOf(b.signedHeaders);
    this.fallbackDomain = b.fallbackDomain;
    this.checkDnsAtStart = b.checkDnsAtStart;
    this.dnsServers = List.copyOf(b.dnsServers);
    this.dnsTimeout = b.dnsTimeout;
    this.signer = new DkimSigner(this);
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Every key, in the order added.
   *
   * @return the keys
   */
  public List<DkimKey> keys() {
    List<DkimKey> all = new ArrayList<>();
    keysByDomain.values().forEach(all::addAll);
    return List.copyOf(all);
  }

  /**
   * The header field names signed when present.
   *
   * @return the names, in signing order
   */
  public List<String> signedHeaders() {
    return signedHeaders;
  }

  /**
   * The domain whose key signs mail from domains without a key, or {@code null}.
   *
   * @return the fallback domain, or {@code null}
   */
  public @Nullable String fallbackDomain() {
    return fallbackDomain;
  }

  /**
   * Whether the transport looks up each key in DNS when it is built and logs a warning when one is
   * missing or differs.
   *
   * @return whether to check at start
   */
  public boolean checkDnsAtStart() {
    return checkDnsAtStart;
  }

  /**
   * The name servers for that check; empty for the system's.
   *
   * @return the servers
   */
  public List<InetSocketAddress> dnsServers() {
    return dnsServers;
  }

  /**
   * The time bound of each DNS lookup of that check.
   *
   * @return the timeout
   */
  public Duration dnsTimeout() {
    return dnsTimeout;
  }

  /**
   * The keys that sign mail whose From address is in {@code fromDomain}: the first of each
   * algorithm of the domain, of its closest parent domain with keys, or of the fallback domain.
   *
   * @param fromDomain the From address's domain (any case, A-label or U-label)
   * @return the signing keys; empty when the mail goes unsigned
   */
  public List<DkimKey> signingKeys(String fromDomain) {
    String d;
    try {
      d = IDN.toASCII(fromDomain).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      d = "";
    }
    while (!d.isEmpty()) {
      List<DkimKey> keys = keysByDomain.get(d);
      if (keys != null) {
        return firstOfEachAlgorithm(keys);
      }
      int dot = d.indexOf('.');
      d = dot < 0 ? "" : d.substring(dot + 1);
    }
    return fallbackDomain == null
        ? List.of()
        : firstOfEachAlgorithm(keysByDomain.get(fallbackDomain));
  }

  /**
   * Signs {@code message} as the transport does: its bytes with one {@code DKIM-Signature} field
   * per {@link #signingKeys signing key} in front, or the same bytes when its From domain has no
   * key. For applications that send through other means, and for measurements; the transport calls
   * this for every attempt.
   *
   * @param message a whole message (header section, empty line, body); lines may end with CRLF, CR
   *     or LF, as SMTP clients send each as CRLF
   * @param time the signature's {@code t=}
   * @return the signed message, a new array, or {@code message} itself when unsigned
   */
  public byte[] sign(byte[] message, Instant time) {
    Objects.requireNonNull(message, "message");
    byte[] fields = signer.signatures(message, time.getEpochSecond(), "a message");
    if (fields.length == 0) {
      return message;
    }
    byte[] signed = new byte[fields.length + message.length];
    System.arraycopy(fields, 0, signed, 0, fields.length);
    System.arraycopy(message, 0, signed, fields.length, message.length);
    return signed;
  }

  /** The signer the transport uses (one per configuration: it remembers the unsigned domains). */
  DkimSigner signer() {
    return signer;
  }

  private static List<DkimKey> firstOfEachAlgorithm(List<DkimKey> keys) {
    List<DkimKey> out = new ArrayList<>();
    for (DkimKey k : keys) {
      if (out.stream().noneMatch(o -> o.algorithm() == k.algorithm())) {
        out.add(k);
      }
    }
    return List.copyOf(out);
  }

  /** The keys and the fallback domain; never a private key. */
  @Override
  public String toString() {
    return "DkimSigning[keys="
        + keys()
        + (fallbackDomain == null ? "" : ", fallback=" + fallbackDomain)
        + "]";
  }

  /** Builds a {@link DkimSigning}. Not thread-safe; every setter validates its argument. */
  public static final class Builder {
    private final List<DkimKey> keys = new ArrayList<>();
    private List<String> signedHeaders = DEFAULT_SIGNED_HEADERS;
    private @Nullable String fallbackDomain;
    private boolean checkDnsAtStart = DEFAULT_CHECK_DNS_AT_START;
    private List<InetSocketAddress> dnsServers = List.of();
    private Duration dnsTimeout = DEFAULT_DNS_TIMEOUT;

    private Builder() {}

    /**
     * Adds a key. The first key of a domain (per algorithm) signs; later ones of the same domain
     * and algorithm are only checked (rotation). At least one key is required.
     *
     * @param key the key
     * @return this builder
     * @throws IllegalArgumentException when a key with the same domain and selector was added
     */
    public Builder key(DkimKey key) {
      Objects.requireNonNull(key, "key");
      for (DkimKey k : keys) {
        if (k.dnsName().equals(key.dnsName())) {
          throw new IllegalArgumentException("two keys for " + key.dnsName());
        }
      }
      keys.add(key);
      return this;
    }

    /**
     * The header fields to sign when present, From first; From is over-signed. Defaults to {@link
     * #DEFAULT_SIGNED_HEADERS}.
     *
     * @param names field names, including From; not Bcc or Content-Length, which are never sent
     * @return this builder
     * @throws IllegalArgumentException without From, with a blank or invalid name, or with a field
     *     that is never sent
     */
    public Builder signedHeaders(List<String> names) {
      Objects.requireNonNull(names, "names");
      boolean from = false;
      List<String> copy = new ArrayList<>();
      for (String n : names) {
        Objects.requireNonNull(n, "header name");
        if (n.isEmpty() || !n.chars().allMatch(c -> c > ' ' && c < 127 && c != ':')) {
          throw new IllegalArgumentException("invalid header field name \"" + n + "\"");
        }
        String lower = n.toLowerCase(Locale.ROOT);
        if (NEVER_SENT.contains(lower)) {
          throw new IllegalArgumentException(n + " is never sent, so it cannot be signed");
        }
        if (copy.stream().anyMatch(c -> c.equalsIgnoreCase(n))) {
          throw new IllegalArgumentException(n + " is listed twice");
        }
        from |= lower.equals("from");
        copy.add(n);
      }
      if (!from) {
        throw new IllegalArgumentException(
            "DKIM requires the From field to be signed (RFC 6376 5.4)");
      }
      this.signedHeaders = List.copyOf(copy);
      return this;
    }

    /**
     * Signs mail from domains without a key of their own (or of a parent domain) with this domain's
     * key, which is then not aligned with the From domain (DMARC needs SPF to pass instead).
     * Defaults to none: such mail goes unsigned.
     *
     * @param domain a domain with a key added to this builder (checked by {@link #build()})
     * @return this builder
     */
    public Builder fallbackDomain(String domain) {
      Objects.requireNonNull(domain, "domain");
      this.fallbackDomain = IDN.toASCII(domain.strip()).toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Whether the transport, when built, looks each key up in DNS once (in the background, bounded
     * by {@link #dnsTimeout}) and logs a warning when a key is not published or differs; it never
     * fails for DNS. Defaults to {@link #DEFAULT_CHECK_DNS_AT_START}.
     *
     * @param check whether to check
     * @return this builder
     */
    public Builder checkDnsAtStart(boolean check) {
      this.checkDnsAtStart = check;
      return this;
    }

    /**
     * The name servers of the start-up check. Defaults to the system's.
     *
     * @param servers at least one server
     * @return this builder
     */
    public Builder dnsServers(InetSocketAddress... servers) {
      if (servers.length == 0) {
        throw new IllegalArgumentException("no DNS servers given");
      }
      this.dnsServers = List.of(servers);
      return this;
    }

    /**
     * The time bound of each lookup of the start-up check. Defaults to {@link
     * #DEFAULT_DNS_TIMEOUT}.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder dnsTimeout(Duration timeout) {
      this.dnsTimeout = SmtpTransportBuilder.positiveMillis(timeout, "dnsTimeout");
      return this;
    }

    /**
     * Builds the signing configuration.
     *
     * @return the configuration
     * @throws IllegalArgumentException without keys, or with a fallback domain that has no key
     */
    public DkimSigning build() {
      if (keys.isEmpty()) {
        throw new IllegalArgumentException("DKIM signing needs at least one key");
      }
      if (fallbackDomain != null
          && keys.stream().noneMatch(k -> k.domain().equals(fallbackDomain))) {
        throw new IllegalArgumentException(
            "the fallback domain " + fallbackDomain + " has no key: add one with key(...)");
      }
      return new DkimSigning(this);
    }
  }
}
