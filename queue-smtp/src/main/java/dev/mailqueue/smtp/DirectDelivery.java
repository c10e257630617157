package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct-to-MX delivery: groups the recipients by domain, resolves each domain's MX hosts, keeps
 * only addresses the {@link AddressPolicy} allows, and tries them in order with one {@link
 * RelayPool} per (MX host, address, TLS mode), so connections are reused per MX host across
 * domains. The outcomes of all domains are merged into one result ({@link DeliveryResult#merge}),
 * so an uncertain or uncounted domain stays so next to one that was delivered. Thread-safe.
 *
 * <p>What a slow or hostile destination can take is bounded: each message has a time budget, and so
 * has its mail to each domain; every MX attempt ends when the tighter of the two is used up, and
 * what was not tried by then is deferred untried. Sessions to one MX host name, over all its
 * addresses, are capped; a delivery that finds them all in use is deferred at once, uncounted,
 * instead of waiting.
 */
final class DirectDelivery {
  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  /** One pool's identity: connections are shared by every domain whose MX is this host. */
  private record PoolKey(String mxHost, InetSocketAddress address, boolean verified) {}

  /**
   * The bounds of direct delivery.
   *
   * @param maxMxAddresses MX addresses tried per domain and attempt
   * @param maxSessionsPerMxHost sessions at once to one MX host name, over all its addresses
   * @param domainDeadline time budget of a message's mail to one domain
   * @param messageDeadline time budget of a message, over all its domains
   */
  record Limits(
      int maxMxAddresses,
      int maxSessionsPerMxHost,
      Duration domainDeadline,
      Duration messageDeadline) {}

  private final Settings opportunistic;
  private final Settings verified;
  private final Set<String> verifiedDomains;
  private final MxResolver resolver;
  private final AddressPolicy addressPolicy;
  private final Limits limits;
  private final ScheduledExecutorService scheduler;
  private final DestinationLimits shaping;

  /** MTA-STS, or {@code null} when it is off. */
  private final @Nullable MtaSts mtaSts;

  private final Map<PoolKey, RelayPool> pools = new ConcurrentHashMap<>();

  /** Sessions in use per MX host name; a host with none has no entry. */
  private final Map<String, Integer> sessionsPerHost = new ConcurrentHashMap<>();

  private volatile boolean closed;

  DirectDelivery(
      Settings opportunistic,
      Settings verified,
      Set<String> verifiedDomains,
      MxResolver resolver,
      AddressPolicy addressPolicy,
      Limits limits,
      ScheduledExecutorService scheduler,
      DestinationLimits shaping,
      @Nullable MtaSts mtaSts) {
    this.opportunistic = opportunistic;
    this.verified = verified;
    this.verifiedDomains = Set.copyOf(verifiedDomains);
    this.resolver = resolver;
    this.addressPolicy = addressPolicy;
    this.limits = limits;
    this.scheduler = scheduler;
    this.shaping = shaping;
    this.mtaSts = mtaSts;
  }

  /** A message's time budget, starting now: one per message, shared by all its domains. */
  TimeBudget messageBudget() {
    return TimeBudget.start(limits.messageDeadline(), "this message");
  }

  /**
   * The same mail with its recipients' domains in the order to try them this attempt: as given on
   * the first attempt, rotated by one domain per attempt after it, so that a domain the message
   * budget did not reach (because the domains before it used it up) comes first on a later attempt.
   */
  static OutboundMail inTurn(OutboundMail mail) {
    if (mail.attempt() <= 1) {
      return mail;
    }
    Map<String, List<MailAddress>> byDomain = byDomain(mail);
    int first = (mail.attempt() - 1) % byDomain.size();
    if (first == 0) {
      return mail;
    }
    List<List<MailAddress>> groups = new ArrayList<>(byDomain.values());
    Collections.rotate(groups, -first);
    List<MailAddress> ordered = new ArrayList<>(mail.recipients().size());
    groups.forEach(ordered::addAll);
    return mail.withRecipients(ordered);
  }

  private static Map<String, List<MailAddress>> byDomain(OutboundMail mail) {
    Map<String, List<MailAddress>> byDomain = new LinkedHashMap<>();
    for (MailAddress a : mail.recipients()) {
      byDomain.computeIfAbsent(a.domain(), d -> new ArrayList<>()).add(a);
    }
    return byDomain;
  }

  /**
   * Delivers to each domain in turn within {@code message} (see {@link #messageBudget()}); the
   * domains it does not reach are deferred untried.
   */
  DeliveryResult deliver(OutboundMail mail, TimeBudget message) {
    Map<String, List<MailAddress>> byDomain = byDomain(mail);
    if (byDomain.size() == 1) {
      return deliverToDomain(byDomain.keySet().iterator().next(), mail, message);
    }
    List<DeliveryResult> parts = new ArrayList<>();
    for (Map.Entry<String, List<MailAddress>> e : byDomain.entrySet()) {
      OutboundMail part = mail.withRecipients(e.getValue());
      parts.add(deliverToDomain(e.getKey(), part, message));
    }
    return DeliveryResult.merge(mail.recipients(), parts);
  }

  private DeliveryResult deliverToDomain(String domain, OutboundMail mail, TimeBudget message) {
    List<MailAddress> rcpts = mail.recipients();
    if (message.usedUp()) {
      return notTried(rcpts, message, "mail to " + domain);
    }
    TimeBudget budget =
        message.tighter(TimeBudget.start(limits.domainDeadline(), "mail to " + domain));
    MxLookup lookup;
    try {
      lookup = resolver.lookup(domain);
    } catch (RuntimeException e) {
      lookup = new MxLookup.TemporaryFailure("resolver threw " + RelayPool.describe(e));
    }
    if (lookup == null) {
      lookup = new MxLookup.TemporaryFailure("resolver returned nothing");
    }
    if (lookup instanceof MxLookup.NullMx) {
      return DeliveryResult.all(
          rcpts, RecipientStatus.BOUNCED, ReplyClassifier.nullMx(domain), null);
    } else if (lookup instanceof MxLookup.NoSuchDomain n) {
      return DeliveryResult.all(
          rcpts, RecipientStatus.BOUNCED, ReplyClassifier.noSuchDomain(domain, n.detail()), null);
    } else if (lookup instanceof MxLookup.NoAddress n) {
      return DeliveryResult.all(
          rcpts, RecipientStatus.BOUNCED, ReplyClassifier.noAddress(domain, n.detail()), null);
    } else if (lookup instanceof MxLookup.TemporaryFailure t) {
      log.warn("DNS lookup for {} failed, deferring: {}", domain, t.detail());
      return DeliveryResult.all(
          rcpts, RecipientStatus.DEFERRED, ReplyClassifier.dnsFailure(domain, t.detail()), null);
    }
    List<MxHost> hosts = ((MxLookup.Hosts) lookup).hosts();

    boolean verify =
        DomainPatterns.matches(verifiedDomains, domain)
            || opportunistic.security() == Security.STARTTLS_REQUIRED;
    MtaStsPolicy sts = mtaSts == null ? null : mtaSts.policyFor(domain);
    if (sts != null) {
      List<MxHost> matching = hosts.stream().filter(h -> sts.matches(h.name())).toList();
      if (sts.enforced()) {
        if (matching.isEmpty()) {
          String names = String.join(", ", hosts.stream().map(MxHost::name).toList());
          log.warn(
              "MTA-STS policy of {} (enforce, mx {}) names none of its MX hosts ({}), deferring",
              domain,
              sts.mx(),
              names);
          return DeliveryResult.all(
              rcpts,
              RecipientStatus.DEFERRED,
              ReplyClassifier.mtaStsNoMatchingMx(domain, names),
              null);
        }
        hosts = matching;
        verify = true; // STARTTLS and a certificate valid for the MX host, or nothing is sent
      } else if (matching.size() < hosts.size()) {
        mtaSts.reportTesting(
            domain,
            "MX host(s) "
                + hosts.stream().filter(h -> !sts.matches(h.name())).map(MxHost::name).toList()
                + " not in its mx "
                + sts.mx());
      }
    }
    Settings settings = verify ? verified : opportunistic;
    List<Relay> candidates = new ArrayList<>();
    List<String> loopback = new ArrayList<>();
    List<String> restricted = new ArrayList<>();
    for (MxHost h : hosts) {
      for (InetSocketAddress a : h.addresses()) {
        if (candidates.size() >= limits.maxMxAddresses()) {
          break;
        }
        Relay endpoint = new Relay(h.name(), a.getPort(), a.getAddress());
        switch (addressPolicy.check(h.name(), a.getAddress())) {
          case ALLOWED -> candidates.add(endpoint);
          case LOOPBACK -> loopback.add(endpoint.toString());
          case RESTRICTED -> restricted.add(endpoint.toString());
        }
      }
    }
    if (!loopback.isEmpty() || !restricted.isEmpty()) {
      List<String> refused = new ArrayList<>(loopback);
      refused.addAll(restricted);
      log.warn(
          "MX addresses of {} refused as loopback/private/link-local/multicast (allowDestinations permits "
              + "them): {}",
          domain,
          refused);
    }
    if (candidates.isEmpty()) {
      if (restricted.isEmpty()) {
        return DeliveryResult.all(
            rcpts,
            RecipientStatus.BOUNCED,
            ReplyClassifier.loopsBack(domain, String.join(", ", loopback)),
            null);
      }
      List<String> refused = new ArrayList<>(restricted);
      refused.addAll(loopback);
      return DeliveryResult.all(
          rcpts,
          RecipientStatus.DEFERRED,
          ReplyClassifier.restrictedAddress(domain, String.join(", ", refused)),
          null);
    }

    RelayPool.Attempt attempt = null;
    for (int i = 0; i < candidates.size(); i++) {
      Relay endpoint = candidates.get(i);
      if (budget.usedUp()) {
        return budgetUsedUp(domain, rcpts, budget, attempt, candidates.size() - i);
      }
      if (!takeSession(endpoint.host())) {
        if (attempt == null) {
          // Deferred at once, so that a slow host cannot hold more workers than its cap.
          return DeliveryResult.notCounted(
              rcpts,
              ReplyClassifier.mxHostBusy(endpoint.host(), limits.maxSessionsPerMxHost()),
              DestinationShaper.BUSY_RETRY,
              endpoint.remoteHost());
        }
        break; // an MX host was tried in this attempt: its result stands, and counts
      }
      try {
        attempt = pool(endpoint, verify, settings).deliver(mail, budget);
      } finally {
        releaseSession(endpoint.host());
      }
      if (!attempt.tryNextRelay()) {
        break;
      }
    }
    return sts != null && sts.enforced() ? underMtaSts(domain, attempt.result()) : attempt.result();
  }

  /** The result with local TLS deferrals saying that the domain's MTA-STS policy required TLS. */
  private static DeliveryResult underMtaSts(String domain, DeliveryResult result) {
    List<RecipientOutcome> outcomes = new ArrayList<>(result.recipients().size());
    for (RecipientOutcome o : result.recipients()) {
      outcomes.add(
          new RecipientOutcome(
              o.recipient(), o.status(), ReplyClassifier.underMtaSts(domain, o.reply())));
    }
    return new DeliveryResult(outcomes, result.kind(), result.retryAfter(), result.remoteHost());
  }

  /**
   * The budget ran out with {@code untried} MX addresses left. The last attempt's deferral stands
   * (after a tarpit, it says the budget was used up); when it was not a deferral (a bounce that
   * lets the next MX be tried), or nothing was tried, the recipients are deferred for the budget.
   */
  private DeliveryResult budgetUsedUp(
      String domain,
      List<MailAddress> rcpts,
      TimeBudget budget,
      RelayPool.Attempt last,
      int untried) {
    log.warn(
        "time budget of {} ms for {} used up, {} MX address(es) of {} not tried",
        budget.length().toMillis(),
        budget.scope(),
        untried,
        domain);
    if (last == null) {
      return notTried(rcpts, budget, "mail to " + domain);
    }
    DeliveryResult result = last.result();
    if (result.recipients().stream().allMatch(o -> o.status() == RecipientStatus.DEFERRED)) {
      return result;
    }
    return DeliveryResult.all(
        rcpts,
        RecipientStatus.DEFERRED,
        ReplyClassifier.timeBudgetUsedUpBeforeTrying(budget, "the next MX host of " + domain),
        result.remoteHost());
  }

  /**
   * Recipients deferred because the budget was used up before they were tried: not counted, since
   * nothing was asked of their destination (next to a domain that was tried, the merged attempt
   * counts; see {@link DeliveryResult#merge}).
   */
  private static DeliveryResult notTried(List<MailAddress> rcpts, TimeBudget budget, String what) {
    return DeliveryResult.notCounted(
        rcpts, ReplyClassifier.timeBudgetUsedUpBeforeTrying(budget, what), null, null);
  }

  /** Takes one of {@code host}'s sessions if fewer than the cap are in use. */
  private boolean takeSession(String host) {
    boolean[] taken = {false};
    sessionsPerHost.compute(
        host,
        (h, n) -> {
          int inUse = n == null ? 0 : n;
          if (inUse >= limits.maxSessionsPerMxHost()) {
            return n;
          }
          taken[0] = true;
          return inUse + 1;
        });
    return taken[0];
  }

  private void releaseSession(String host) {
    sessionsPerHost.computeIfPresent(host, (h, n) -> n <= 1 ? null : n - 1);
  }

  private RelayPool pool(Relay endpoint, boolean verify, Settings settings) {
    PoolKey key =
        new PoolKey(
            endpoint.host(), new InetSocketAddress(endpoint.address(), endpoint.port()), verify);
    RelayPool pool =
        pools.computeIfAbsent(
            key,
            k -> new RelayPool(endpoint, settings.forHost(shaping, endpoint.host()), scheduler));
    if (closed) {
      pool.close();
    }
    return pool;
  }

  /** Closes idle connections, and drops pools that have had no connection for an idle timeout. */
  void evictIdle() {
    long now = System.nanoTime();
    for (Map.Entry<PoolKey, RelayPool> e : pools.entrySet()) {
      RelayPool pool = e.getValue();
      pool.evictIdle();
      if (pool.isUnused(now) && pools.remove(e.getKey(), pool)) {
        pool.close(); // a delivery that still holds it closes its connection on release
      }
    }
  }

  void close() {
    closed = true;
    pools.values().forEach(RelayPool::close);
  }

  /** What MTA-STS testing mode reported (tests only). */
  List<String> mtaStsReported() {
    return mtaSts == null ? List.of() : mtaSts.reported();
  }

  /** Idle connections to {@code mxHost}, over all its addresses (tests only). */
  int idleConnections(String mxHost) {
    return pools.entrySet().stream()
        .filter(e -> e.getKey().mxHost().equals(mxHost))
        .mapToInt(e -> e.getValue().idleCount())
        .sum();
  }
}
