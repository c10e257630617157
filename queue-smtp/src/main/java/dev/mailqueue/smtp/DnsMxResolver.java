package dev.mailqueue.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * An {@link MxResolver} that asks DNS with dnsjava, like an MTA does (RFC 5321 5.1):
 *
 * <ul>
 *   <li>MX records sorted by preference, hosts of equal preference shuffled on every lookup (load
 *       spreading); each host's A then AAAA addresses, at most {@link #MAX_MX_HOSTS} hosts;
 *   <li>no MX records: the domain's own A/AAAA addresses, as one host of preference 0;
 *   <li>a null MX (RFC 7505: an MX whose target is the root, {@code "0 ."}) gives {@link
 *       MxLookup.NullMx}; a null-target record next to real ones is ignored;
 *   <li>NXDOMAIN gives {@link MxLookup.NoSuchDomain}, which bounces the recipients (as Postfix
 *       does: a domain that does not exist is a permanent error); a domain or MX host with no
 *       address gives {@link MxLookup.NoAddress};
 *   <li>a timeout, SERVFAIL or any other unusable answer gives {@link MxLookup.TemporaryFailure},
 *       never a bounce; an MX host whose address lookup fails that way is skipped, and the result
 *       is a temporary failure only when no host has an address.
 * </ul>
 *
 * Answers are cached for their TTL (at most a day; negative answers with an SOA at most 15
 * minutes); failures are not cached. {@code /etc/hosts} is not consulted.
 *
 * <p>Thread-safe. Every query has a timeout; a lookup makes at most {@code 1 + 2 *} {@link
 * #MAX_MX_HOSTS} queries, each within {@link Builder#timeout}.
 */
public final class DnsMxResolver implements MxResolver {
  /** The SMTP port, 25. */
  public static final int SMTP_PORT = 25;

  /** Default time a query may take, retries and servers included: 5 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /** Default number of cached record sets: 10,000. */
  public static final int DEFAULT_CACHE_SIZE = 10_000;

  /** MX hosts resolved per domain, most preferred first: 5. */
  public static final int MAX_MX_HOSTS = 5;

  private static final int MAX_CACHE_SECONDS = 86_400;
  private static final int MAX_NEGATIVE_CACHE_SECONDS = 900;

  private final Resolver resolver;
  private final Cache cache;
  private final int port;
  private final Random random; // null: ThreadLocalRandom
  private final String description;

  private DnsMxResolver(
      Resolver resolver, int cacheSize, int port, Random random, String description) {
    this.resolver = resolver;
    this.cache = new Cache(DClass.IN);
    cache.setMaxEntries(cacheSize);
    cache.setMaxCache(MAX_CACHE_SECONDS);
    cache.setMaxNCache(MAX_NEGATIVE_CACHE_SECONDS);
    this.port = port;
    this.random = random;
    this.description = description;
  }

  /**
   * A resolver using the system's name servers and every default.
   *
   * @return a new resolver with its own cache
   * @throws IllegalStateException when the system configuration names no name server
   */
  public static DnsMxResolver ofDefaults() {
    return builder().build();
  }

  /**
   * Starts a builder.
   *
   * @return a new builder with every setting at its default
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public MxLookup lookup(String domain) {
    Objects.requireNonNull(domain, "domain");
    Name name;
    try {
      name = Name.fromString(domain, Name.root);
    } catch (TextParseException e) {
      return new MxLookup.NoSuchDomain("not a valid domain name: " + e.getMessage());
    }
    Answer mx = query(name, Type.MX);
    switch (mx.result()) {
      case Lookup.SUCCESSFUL:
        return fromMxRecords(domain, mx.records());
      case Lookup.HOST_NOT_FOUND:
        return new MxLookup.NoSuchDomain("NXDOMAIN for " + domain);
      case Lookup.TYPE_NOT_FOUND:
        Addresses own = addresses(name);
        if (!own.list().isEmpty()) {
          return MxLookup.hosts(new MxHost(domain, 0, own.list()));
        }
        return own.temporaryFailure() != null
            ? new MxLookup.TemporaryFailure(own.temporaryFailure())
            : new MxLookup.NoAddress("no MX and no A/AAAA records for " + domain);
      default:
        return new MxLookup.TemporaryFailure("MX lookup for " + domain + ": " + mx.error());
    }
  }

  private MxLookup fromMxRecords(String domain, List<Record> records) {
    List<MXRecord> mxs = new ArrayList<>();
    for (Record r : records) {
      if (r instanceof MXRecord m && !m.getTarget().equals(Name.root)) {
        mxs.add(m);
      }
    }
    if (mxs.isEmpty()) {
      return new MxLookup.NullMx();
    }
    Collections.shuffle(mxs, random != null ? random : ThreadLocalRandom.current());
    mxs.sort(
        Comparator.comparingInt(MXRecord::getPriority)); // stable: equal preferences stay shuffled
    List<MxHost> hosts = new ArrayList<>();
    String temporary = null;
    for (MXRecord m : mxs.subList(0, Math.min(MAX_MX_HOSTS, mxs.size()))) {
      Addresses a = addresses(m.getTarget());
      if (!a.list().isEmpty()) {
        hosts.add(new MxHost(m.getTarget().toString(true), m.getPriority(), a.list()));
      } else if (a.temporaryFailure() != null && temporary == null) {
        temporary = a.temporaryFailure();
      }
    }
    if (!hosts.isEmpty()) {
      return new MxLookup.Hosts(hosts);
    }
    return temporary != null
        ? new MxLookup.TemporaryFailure(temporary)
        : new MxLookup.NoAddress("no MX host of " + domain + " has an A/AAAA record");
  }

  /**
   * A then AAAA addresses of {@code host}; a temporary failure only when neither lookup answered.
   */
  private Addresses addresses(Name host) {
    List<InetSocketAddress> list = new ArrayList<>();
    String failure = null;
    int answered = 0;
    for (int type : new int[] {Type.A, Type.AAAA}) {
      Answer a = query(host, type);
      if (a.result() == Lookup.SUCCESSFUL) {
        answered++;
        for (Record r : a.records()) {
          InetAddress address =
              r instanceof ARecord ar
                  ? ar.getAddress()
                  : r instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
          if (address != null) {
            list.add(new InetSocketAddress(address, port));
          }
        }
      } else if (a.result() == Lookup.HOST_NOT_FOUND || a.result() == Lookup.TYPE_NOT_FOUND) {
        answered++;
      } else if (failure == null) {
        failure = Type.string(type) + " lookup for " + host.toString(true) + ": " + a.error();
      }
    }
    return new Addresses(list, answered == 0 ? failure : null);
  }

  /**
   * The TXT records of {@code name} (MTA-STS, RFC 8461 3.1), each record's strings joined, through
   * the same servers and cache as the MX lookups; no records (NXDOMAIN or NODATA) is an empty list.
   */
  Txt txt(String name) {
    Name n;
    try {
      n = Name.fromString(name, Name.root);
    } catch (TextParseException e) {
      return new Txt(List.of(), null);
    }
    Answer answer = query(n, Type.TXT);
    switch (answer.result()) {
      case Lookup.SUCCESSFUL:
        List<String> texts = new ArrayList<>();
        for (Record r : answer.records()) {
          if (r instanceof TXTRecord t) {
            texts.add(String.join("", t.getStrings()));
          }
        }
        return new Txt(texts, null);
      case Lookup.HOST_NOT_FOUND:
      case Lookup.TYPE_NOT_FOUND:
        return new Txt(List.of(), null);
      default:
        return new Txt(List.of(), "TXT lookup for " + name + ": " + answer.error());
    }
  }

  /**
   * The A then AAAA addresses of {@code host} (the MTA-STS policy host), empty when it has none or
   * the lookups failed.
   */
  List<InetAddress> hostAddresses(String host) {
    Name n;
    try {
      n = Name.fromString(host, Name.root);
    } catch (TextParseException e) {
      return List.of();
    }
    List<InetAddress> list = new ArrayList<>();
    for (InetSocketAddress a : addresses(n).list()) {
      list.add(a.getAddress());
    }
    return list;
  }

  /**
   * TXT records as text, or why there is no answer.
   *
   * @param records each record's strings joined; empty when there are none or the lookup failed
   * @param temporaryFailure what failed, or {@code null} when DNS answered
   */
  record Txt(List<String> records, @Nullable String temporaryFailure) {}

  private Answer query(Name name, int type) {
    Lookup lookup = new Lookup(name, type, DClass.IN);
    lookup.setResolver(resolver);
    lookup.setCache(cache);
    lookup.setHostsFileParser(null);
    Record[] records = lookup.run();
    return new Answer(
        lookup.getResult(),
        records == null ? List.of() : List.of(records),
        lookup.getErrorString());
  }

  private record Answer(int result, List<Record> records, String error) {}

  private record Addresses(List<InetSocketAddress> list, String temporaryFailure) {}

  /** The name servers, the timeout and the port. */
  @Override
  public String toString() {
    return description;
  }

  /** Builds a {@link DnsMxResolver}. Not thread-safe. */
  public static final class Builder {
    private final List<InetSocketAddress> servers = new ArrayList<>();
    private Duration timeout = DEFAULT_TIMEOUT;
    private int port = SMTP_PORT;
    private int cacheSize = DEFAULT_CACHE_SIZE;
    private Random random;

    private Builder() {}

    /**
     * Asks these name servers (UDP, TCP when an answer is truncated), in order. Defaults to the
     * system's name servers ({@code /etc/resolv.conf} or the platform's equivalent).
     *
     * @param servers name server addresses (port 53 for the usual ones); none may be null; adds to
     *     earlier calls
     * @return this builder
     */
    public Builder servers(InetSocketAddress... servers) {
      for (InetSocketAddress s : servers) {
        this.servers.add(Objects.requireNonNull(s, "server"));
      }
      return this;
    }

    /**
     * Time one query may take over all servers and retries. Defaults to {@link #DEFAULT_TIMEOUT}.
     *
     * @param timeout a positive duration; not null
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * The port of the addresses returned. Defaults to {@link #SMTP_PORT}; other values are for
     * tests.
     *
     * @param port 1 to 65535
     * @return this builder
     */
    public Builder smtpPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Record sets kept in the cache. Defaults to {@link #DEFAULT_CACHE_SIZE}.
     *
     * @param entries at least 1
     * @return this builder
     */
    public Builder cacheSize(int entries) {
      if (entries < 1) {
        throw new IllegalArgumentException("cacheSize must be at least 1: " + entries);
      }
      this.cacheSize = entries;
      return this;
    }

    /** The source of the shuffle among MX hosts of equal preference (tests). */
    Builder random(Random random) {
      this.random = random;
      return this;
    }

    /**
     * Builds the resolver; reads the system's name servers when none were given.
     *
     * @return a new resolver with its own, empty cache
     * @throws IllegalStateException when no servers were given and the system configuration names
     *     none
     */
    public DnsMxResolver build() {
      List<InetSocketAddress> list =
          servers.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : servers;
      if (list.isEmpty()) {
        throw new IllegalStateException(
            "no name servers configured and none found in the system configuration");
      }
      return new DnsMxResolver(
          resolverFor(list, timeout),
          cacheSize,
          port,
          random,
          "DnsMxResolver[servers="
              + list
              + ", timeout="
              + timeout.toMillis()
              + " ms, port="
              + port
              + "]");
    }
  }

  /**
   * One dnsjava resolver over {@code servers}, each asked with {@code timeout}, one retry: the
   * resolver of MX lookups here and of DKIM key checks ({@link DkimKeyCheck}).
   */
  static ExtendedResolver resolverFor(List<InetSocketAddress> servers, Duration timeout) {
    List<Resolver> resolvers = new ArrayList<>();
    for (InetSocketAddress s : servers) {
      SimpleResolver r = new SimpleResolver(s);
      r.setTimeout(timeout);
      resolvers.add(r);
    }
    ExtendedResolver resolver = new ExtendedResolver(resolvers);
    resolver.setTimeout(timeout);
    resolver.setRetries(1);
    return resolver;
  }
}
