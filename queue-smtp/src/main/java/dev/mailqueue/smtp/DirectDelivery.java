package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct-to-MX delivery: groups the recipients by domain, resolves each domain's MX hosts, keeps
 * only addresses the {@link AddressPolicy} allows, and tries them in order with one
 * {@link RelayPool} per (MX host, address, TLS mode), so connections are reused per MX host across
 * domains. The outcomes of all domains are merged into one result ({@link DeliveryResult#merge}), so
 * an uncertain or uncounted domain stays so next to one that was delivered. Thread-safe.
 */
final class DirectDelivery {
  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  /** One pool's identity: connections are shared by every domain whose MX is this host. */
  private record PoolKey(String mxHost, InetSocketAddress address, boolean verified) {}

  private final Settings opportunistic;
  private final Settings verified;
  private final Set<String> verifiedDomains;
  private final MxResolver resolver;
  private final AddressPolicy addressPolicy;
  private final int maxMxAddresses;
  private final ScheduledExecutorService scheduler;
  private final DestinationLimits shaping;
  private final Map<PoolKey, RelayPool> pools = new ConcurrentHashMap<>();
  private volatile boolean closed;

  DirectDelivery(Settings opportunistic, Settings verified, Set<String> verifiedDomains, MxResolver resolver,
                 AddressPolicy addressPolicy, int maxMxAddresses, ScheduledExecutorService scheduler,
                 DestinationLimits shaping) {
    this.opportunistic = opportunistic;
    this.verified = verified;
    this.verifiedDomains = Set.copyOf(verifiedDomains);
    this.resolver = resolver;
    this.addressPolicy = addressPolicy;
    this.maxMxAddresses = maxMxAddresses;
    this.scheduler = scheduler;
    this.shaping = shaping;
  }

  DeliveryResult deliver(OutboundMail mail) {
    Map<String, List<MailAddress>> byDomain = new LinkedHashMap<>();
    for (MailAddress a : mail.recipients()) {
      byDomain.computeIfAbsent(a.domain(), d -> new ArrayList<>()).add(a);
    }
    if (byDomain.size() == 1) {
      return deliverToDomain(byDomain.keySet().iterator().next(), mail);
    }
    List<DeliveryResult> parts = new ArrayList<>();
    for (Map.Entry<String, List<MailAddress>> e : byDomain.entrySet()) {
      OutboundMail part = mail.withRecipients(e.getValue());
      parts.add(deliverToDomain(e.getKey(), part));
    }
    return DeliveryResult.merge(mail.recipients(), parts);
  }

  private DeliveryResult deliverToDomain(String domain, OutboundMail mail) {
    List<MailAddress> rcpts = mail.recipients();
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
      return DeliveryResult.all(rcpts, RecipientStatus.BOUNCED, ReplyClassifier.nullMx(domain), null);
    } else if (lookup instanceof MxLookup.NoSuchDomain n) {
      return DeliveryResult.all(rcpts, RecipientStatus.BOUNCED, ReplyClassifier.noSuchDomain(domain, n.detail()), null);
    } else if (lookup instanceof MxLookup.NoAddress n) {
      return DeliveryResult.all(rcpts, RecipientStatus.BOUNCED, ReplyClassifier.noAddress(domain, n.detail()), null);
    } else if (lookup instanceof MxLookup.TemporaryFailure t) {
      log.warn("DNS lookup for {} failed, deferring: {}", domain, t.detail());
      return DeliveryResult.all(rcpts, RecipientStatus.DEFERRED, ReplyClassifier.dnsFailure(domain, t.detail()), null);
    }
    List<MxHost> hosts = ((MxLookup.Hosts) lookup).hosts();

    boolean verify = DomainPatterns.matches(verifiedDomains, domain) || opportunistic.security() == Security.STARTTLS_REQUIRED;
    Settings settings = verify ? verified : opportunistic;
    List<Relay> candidates = new ArrayList<>();
    List<String> loopback = new ArrayList<>();
    List<String> restricted = new ArrayList<>();
    for (MxHost h : hosts) {
      for (InetSocketAddress a : h.addresses()) {
        if (candidates.size() >= maxMxAddresses) {
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
      log.warn("MX addresses of {} refused as loopback/private/link-local/multicast (allowDestinations permits "
          + "them): {}", domain, refused);
    }
    if (candidates.isEmpty()) {
      if (restricted.isEmpty()) {
        return DeliveryResult.all(rcpts, RecipientStatus.BOUNCED,
            ReplyClassifier.loopsBack(domain, String.join(", ", loopback)), null);
      }
      List<String> refused = new ArrayList<>(restricted);
      refused.addAll(loopback);
      return DeliveryResult.all(rcpts, RecipientStatus.DEFERRED,
          ReplyClassifier.restrictedAddress(domain, String.join(", ", refused)), null);
    }

    RelayPool.Attempt attempt = null;
    for (Relay endpoint : candidates) {
      attempt = pool(endpoint, verify, settings).deliver(mail);
      if (!attempt.tryNextRelay()) {
        break;
      }
    }
    return attempt.result();
  }

  private RelayPool pool(Relay endpoint, boolean verify, Settings settings) {
    PoolKey key = new PoolKey(endpoint.host(), new InetSocketAddress(endpoint.address(), endpoint.port()), verify);
    RelayPool pool = pools.computeIfAbsent(key, k -> new RelayPool(endpoint,
        shaping == null ? settings : settings.withSessionLimits(shaping.destinationOfHost(endpoint.host()).limit()),
        scheduler));
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

  /** Idle connections to {@code mxHost}, over all its addresses (tests only). */
  int idleConnections(String mxHost) {
    return pools.entrySet().stream().filter(e -> e.getKey().mxHost().equals(mxHost))
        .mapToInt(e -> e.getValue().idleCount()).sum();
  }
}
