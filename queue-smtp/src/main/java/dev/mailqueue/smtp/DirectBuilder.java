package dev.mailqueue.smtp;

import dev.mailqueue.spi.DeliveryResult;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds an {@link SmtpTransport} that delivers straight to each recipient domain's MX hosts; start
 * one with {@link SmtpTransport#direct()}. Its defaults differ from relay mode (see there); the
 * options both modes share are those of {@link SmtpTransportBuilder}. Not thread-safe; every setter
 * validates its argument and returns this builder.
 */
public final class DirectBuilder extends SmtpTransportBuilder<DirectBuilder> {
  private MxResolver mxResolver;
  private final List<String> allowed = new ArrayList<>();
  private final Set<String> verifiedDomains = new TreeSet<>();
  private int maxMxAddresses = SmtpTransport.DEFAULT_MAX_MX_ADDRESSES;
  private int maxConnectionsPerMxHost = SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_MX_HOST;
  private Duration domainDeadline = SmtpTransport.DEFAULT_DIRECT_DOMAIN_DEADLINE;
  private Duration messageDeadline = SmtpTransport.DEFAULT_DIRECT_MESSAGE_DEADLINE;

  /** {@code null}: {@link SmtpTransport#DEFAULT_MTA_STS} unless the security is NONE. */
  private Boolean mtaSts;

  private Clock mtaStsClock = Clock.systemUTC();
  private int mtaStsPort = MtaStsFetcher.HTTPS_PORT;
  private Duration mtaStsTimeout = MtaStsFetcher.TIMEOUT;

  DirectBuilder() {}

  @Override
  DirectBuilder self() {
    return this;
  }

  /**
   * Finds the MX hosts of each recipient domain. Defaults to {@link DnsMxResolver#ofDefaults()}
   * (the system's name servers), created by {@link #build()}. A {@link DnsMxResolver} also makes
   * the {@link #mtaSts MTA-STS} lookups; with any other resolver MTA-STS is off.
   *
   * @param resolver asked for each recipient domain on every attempt, from many worker threads at
   *     once; not null
   * @return this builder
   */
  public DirectBuilder mxResolver(MxResolver resolver) {
    this.mxResolver = Objects.requireNonNull(resolver, "resolver");
    return this;
  }

  /**
   * Permits MX addresses that would otherwise be refused (loopback, private, link-local,
   * multicast): CIDRs ({@code "10.20.0.0/16"}, {@code "fd00::/8"}), addresses ({@code "127.0.0.1"})
   * or MX host names ({@code "mx.internal.example"}, every address of that host). Adds to earlier
   * calls. Defaults to none: only public addresses are connected to.
   *
   * @param cidrsOrHosts CIDRs, address literals or MX host names; none may be null
   * @return this builder
   * @throws IllegalArgumentException for an entry that is none of these
   */
  public DirectBuilder allowDestinations(String... cidrsOrHosts) {
    List<String> entries = List.of(cidrsOrHosts);
    AddressPolicy.allowing(entries); // validates
    allowed.addAll(entries);
    return this;
  }

  /**
   * Requires STARTTLS with a certificate valid for the MX host name (checked against the trust
   * store) for mail to these domains; an MX host without it is skipped and, when none has it, the
   * recipients are deferred. An entry is a domain ({@code bank.example}, matched exactly,
   * case-insensitively; internationalised names are converted to A-labels, so {@code
   * bücher.example} matches {@code xn--bcher-kva.example}) or {@code *.} and a domain ({@code
   * *.corp.example}: every domain below it, at any depth, but not {@code corp.example} itself).
   * Adds to earlier calls. Defaults to none: opportunistic TLS everywhere.
   *
   * @param domains domains or {@code *.} patterns; none may be null
   * @return this builder
   * @throws IllegalArgumentException for an entry that is neither (e.g. {@code corp*.example},
   *     {@code *}, an address, a name with spaces)
   */
  public DirectBuilder requireVerifiedTls(String... domains) {
    for (String d : domains) {
      verifiedDomains.add(DomainPatterns.normalise(Objects.requireNonNull(d, "domain")));
    }
    return this;
  }

  /**
   * MX addresses tried for one domain in one attempt, in order (all addresses of the most preferred
   * host first). Defaults to {@link SmtpTransport#DEFAULT_MAX_MX_ADDRESSES}.
   *
   * @param max at least 1
   * @return this builder
   */
  public DirectBuilder maxMxAddresses(int max) {
    this.maxMxAddresses = positive(max, "maxMxAddresses");
    return this;
  }

  /**
   * Time budget of a message's mail to one domain, over all the MX addresses tried for it (DNS
   * lookup included). Each attempt on an MX address ends at the earliest of its {@link
   * #attemptDeadline}, the end of this budget and the end of the {@link #messageDeadline}; an
   * attempt ended by a budget defers the recipients it had not finished with a local {@code 451
   * 4.4.2} "time budget ... used up" (counted, since the MX host was tried). The MX addresses not
   * tried by then are not tried in this attempt, and the last one's deferral stands. Defaults to
   * {@link SmtpTransport#DEFAULT_DIRECT_DOMAIN_DEADLINE}.
   *
   * @param deadline a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public DirectBuilder domainDeadline(Duration deadline) {
    this.domainDeadline = positiveMillis(deadline, "domainDeadline");
    return this;
  }

  /**
   * Time budget of a message, over all its recipient domains (delivered one after the other on the
   * calling thread): bounds how long one message can hold the worker delivering it. Each domain's
   * attempts also end with it (see {@link #domainDeadline}). The domains not reached when it is
   * used up are not tried: their recipients are deferred with a local {@code 451 4.4.7} "time
   * budget of ... for this message used up before mail to ... was tried". That part of the attempt
   * is {@link DeliveryResult.Kind#NOT_COUNTED} (nothing was asked of those domains), but next to a
   * domain that was tried and deferred the whole attempt counts, as {@link DeliveryResult#merge}
   * says. From the second attempt on, the domains are taken in turn, one further per attempt, so a
   * domain the budget did not reach is tried first later. Defaults to {@link
   * SmtpTransport#DEFAULT_DIRECT_MESSAGE_DEADLINE}.
   *
   * @param deadline a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public DirectBuilder messageDeadline(Duration deadline) {
    this.messageDeadline = positiveMillis(deadline, "messageDeadline");
    return this;
  }

  /**
   * Sessions open at once to one MX host name, over all its addresses and every domain whose MX it
   * is. A delivery that finds them all in use is not made to wait: its recipients for that domain
   * are deferred at once with a local {@code 451 4.4.5} "all N connections to MX host ... are
   * busy", {@link DeliveryResult.Kind#NOT_COUNTED} and due again after a second (when an MX host of
   * the domain was already tried in this attempt, its result stands instead; the domain's other MX
   * hosts are not used as overflow). Applies with {@link #shaping} too, which then limits its
   * destinations on top of this. Defaults to {@link
   * SmtpTransport#DEFAULT_MAX_CONNECTIONS_PER_MX_HOST}.
   *
   * @param max at least 1
   * @return this builder
   */
  public DirectBuilder maxConnectionsPerMxHost(int max) {
    this.maxConnectionsPerMxHost = positive(max, "maxConnectionsPerMxHost");
    return this;
  }

  /**
   * Honours the MTA-STS policies (RFC 8461) of recipient domains. A domain publishes one with a
   * {@code _mta-sts.<domain>} TXT record ({@code v=STSv1; id=...}) and a policy file at {@code
   * https://mta-sts.<domain>/.well-known/mta-sts.txt}; the transport looks the record up with the
   * {@link DnsMxResolver} and fetches the policy over HTTPS with a verified certificate (the {@link
   * #trustStore} when set, else the JDK's; no redirects; 10 s; at most 64 KiB), and caches it in
   * memory for its {@code max_age} or until the record's {@code id} changes. A policy in {@code
   * enforce} mode restricts delivery to the MX hosts it names, each only over STARTTLS with a
   * certificate valid for the MX host name: anything else (no MX host named, STARTTLS not offered,
   * a certificate that does not verify) defers the recipients with a local {@code 4.7.x} reply
   * naming MTA-STS and the domain, never a bounce and never plain text. In {@code testing} mode
   * mail goes out as without a policy and an MX host the policy does not name is logged as a
   * warning, once per domain. A failed fetch leaves a cached unexpired policy in effect, else the
   * domain is treated as having none (RFC 8461 5.1) and the fetch is not repeated for 5 minutes.
   *
   * <p>Defaults to {@link SmtpTransport#DEFAULT_MTA_STS} (on), except with {@link Security#NONE},
   * and with an {@link #mxResolver} that is not a {@link DnsMxResolver}: MTA-STS needs TXT and
   * address lookups the {@link MxResolver} interface does not offer, so it is then off.
   *
   * @param enabled whether to honour MTA-STS policies
   * @return this builder
   */
  public DirectBuilder mtaSts(boolean enabled) {
    this.mtaSts = enabled;
    return this;
  }

  /** The clock the MTA-STS cache measures {@code max_age} with (tests). */
  DirectBuilder mtaStsClock(Clock clock) {
    this.mtaStsClock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /** The port MTA-STS policies are fetched from instead of 443 (tests). */
  DirectBuilder mtaStsPort(int port) {
    this.mtaStsPort = port;
    return this;
  }

  /** The time a policy fetch may take instead of 10 s (tests). */
  DirectBuilder mtaStsTimeout(Duration timeout) {
    this.mtaStsTimeout = positiveMillis(timeout, "mtaStsTimeout");
    return this;
  }

  /**
   * Validates and builds the transport. The security mode defaults to {@link
   * Security#STARTTLS_OPPORTUNISTIC}; the resolver, when none was set, is created now.
   *
   * @throws IllegalArgumentException for {@link Security#IMPLICIT_TLS}, or {@link Security#NONE}
   *     with domains that require verified TLS or with {@code mtaSts(true)}, or {@code
   *     mtaSts(true)} with an {@link MxResolver} that is not a {@link DnsMxResolver}
   */
  @Override
  public SmtpTransport build() {
    Security effective = security != null ? security : Security.STARTTLS_OPPORTUNISTIC;
    if (effective == Security.IMPLICIT_TLS) {
      throw new IllegalArgumentException(
          "MX hosts speak STARTTLS on port 25, not implicit TLS: use "
              + "STARTTLS_OPPORTUNISTIC (default), STARTTLS_REQUIRED or NONE");
    }
    if (effective == Security.NONE && !verifiedDomains.isEmpty()) {
      throw new IllegalArgumentException(
          "Security.NONE contradicts requireVerifiedTls" + verifiedDomains);
    }
    if (effective == Security.NONE && Boolean.TRUE.equals(mtaSts)) {
      throw new IllegalArgumentException(
          "Security.NONE contradicts mtaSts(true): MTA-STS policies require TLS");
    }
    MxResolver resolver = mxResolver != null ? mxResolver : DnsMxResolver.ofDefaults();
    if (Boolean.TRUE.equals(mtaSts) && !(resolver instanceof DnsMxResolver)) {
      throw new IllegalArgumentException(
          "mtaSts(true) needs DNS TXT lookups, which only a DnsMxResolver makes; the resolver is "
              + resolver);
    }
    boolean sts =
        resolver instanceof DnsMxResolver
            && (mtaSts != null
                ? mtaSts
                : effective != Security.NONE && SmtpTransport.DEFAULT_MTA_STS);
    Duration read = readTimeout != null ? readTimeout : SmtpTransport.DEFAULT_DIRECT_READ_TIMEOUT;
    Duration deadline =
        attemptDeadline != null ? attemptDeadline : SmtpTransport.DEFAULT_DIRECT_ATTEMPT_DEADLINE;
    DirectSettings direct =
        new DirectSettings(
            resolver,
            List.copyOf(allowed),
            Set.copyOf(verifiedDomains),
            new DirectDelivery.Limits(
                maxMxAddresses, maxConnectionsPerMxHost, domainDeadline, messageDeadline),
            sts,
            mtaStsClock,
            mtaStsPort,
            mtaStsTimeout);
    return new SmtpTransport(
        settings(List.of(), null, effective, read, deadline, true),
        direct,
        shaping,
        shapingListener,
        dkim,
        allReplyRules(),
        blockSuspension());
  }

  /** The options of direct mode, as {@link SmtpTransport} needs them. */
  record DirectSettings(
      MxResolver resolver,
      List<String> allowed,
      Set<String> verifiedDomains,
      DirectDelivery.Limits limits,
      boolean mtaSts,
      Clock mtaStsClock,
      int mtaStsPort,
      Duration mtaStsTimeout) {}
}
