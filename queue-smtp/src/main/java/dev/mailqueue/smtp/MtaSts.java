package dev.mailqueue.smtp;

import dev.mailqueue.spi.NetworkText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MTA-STS (RFC 8461) for direct mode: which policy a recipient domain has now. Looks up the {@code
 * _mta-sts.<domain>} TXT record on every delivery (DNS caches it for its TTL); when its {@code id}
 * is new or the cached policy's {@code max_age} has passed, fetches the policy ({@link
 * MtaStsFetcher}) and caches it ({@link MtaStsPolicyCache}, memory only). As RFC 8461 5.1 and 10.3
 * ask, an unexpired cached policy stays in effect when the TXT lookup fails or the record is gone,
 * and when a new fetch fails; a domain with no usable record and nothing cached, or whose fetch
 * failed with nothing cached, has no policy (delivery as usual). A failed fetch is not repeated for
 * {@link #FAILED_FETCH_RETRY}. What enforcement means is {@link DirectDelivery}'s part.
 * Thread-safe; two deliveries to a domain whose policy is not cached may both fetch it.
 */
final class MtaSts {
  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  /** How long a failed policy fetch for the same TXT id is not repeated: 5 minutes. */
  static final Duration FAILED_FETCH_RETRY = Duration.ofMinutes(5);

  private static final String VERSION = "v=STSv1;";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9]{1,32}");
  private static final int MAX_REPORTED = 10_000;

  private final DnsMxResolver dns;
  private final MtaStsFetcher fetcher;
  private final Clock clock;
  private final MtaStsPolicyCache cache = new MtaStsPolicyCache();

  /** What testing mode reported, once each (domain and finding); bounded, oldest dropped. */
  private final Set<String> reported =
      Collections.newSetFromMap(
          new LinkedHashMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > MAX_REPORTED;
            }
          });

  MtaSts(DnsMxResolver dns, MtaStsFetcher fetcher, Clock clock) {
    this.dns = dns;
    this.fetcher = fetcher;
    this.clock = clock;
  }

  /**
   * The policy in effect for {@code domain} (lower-case A-labels), or {@code null} when it has none
   * (or mode {@code none}). May fetch, within {@link MtaStsFetcher#TIMEOUT}.
   */
  @Nullable MtaStsPolicy policyFor(String domain) {
    MtaStsPolicy p = lookup(domain);
    return p == null || p.mode() == MtaStsPolicy.Mode.NONE ? null : p;
  }

  private @Nullable MtaStsPolicy lookup(String domain) {
    DnsMxResolver.Txt txt;
    try {
      txt = dns.txt("_mta-sts." + domain);
    } catch (RuntimeException e) {
      txt = new DnsMxResolver.Txt(List.of(), "TXT lookup threw " + e.getClass().getName());
    }
    Instant now = clock.instant();
    MtaStsPolicyCache.Entry cached = cache.get(domain, now);
    MtaStsPolicy kept = cached == null ? null : cached.policy();
    String id = txt.temporaryFailure() == null ? id(txt.records()) : null;
    if (id == null) {
      return kept; // no (usable) record now: an unexpired policy still holds (RFC 8461 10.3)
    }
    if (cached != null && cached.id().equals(id)) {
      return kept;
    }
    if (cache.failedRecently(domain, id, now)) {
      return kept;
    }
    MtaStsPolicy fetched;
    try {
      fetched = fetcher.fetch(domain);
    } catch (MtaStsFetcher.Failed | RuntimeException e) {
      // RuntimeException: a name the TLS or DNS library refuses; a failed fetch like any other
      cache.failed(domain, id, now.plus(FAILED_FETCH_RETRY));
      log.warn(
          "MTA-STS policy of {} (TXT id {}) could not be fetched, {} for {} s: {}",
          domain,
          id,
          kept == null ? "delivering as if it had none" : "keeping the cached one",
          FAILED_FETCH_RETRY.toSeconds(),
          e instanceof MtaStsFetcher.Failed
              ? e.getMessage()
              : NetworkText.sanitize(e.toString(), 300));
      return kept;
    }
    cache.put(domain, new MtaStsPolicyCache.Entry(id, fetched, now.plus(fetched.maxAge())));
    log.info(
        "MTA-STS policy of {} (TXT id {}): mode {}, mx {}, max_age {} s",
        domain,
        id,
        fetched.mode().name().toLowerCase(Locale.ROOT),
        fetched.mx(),
        fetched.maxAge().toSeconds());
    return fetched;
  }

  /**
   * The {@code id} of the one {@code v=STSv1} record among {@code records}, or null when there is
   * none, more than one, or it is malformed (RFC 8461 3.1: then the domain has no policy record).
   */
  static @Nullable String id(List<String> records) {
    List<String> sts = new ArrayList<>();
    for (String r : records) {
      if (r.startsWith(VERSION)) {
        sts.add(r);
      }
    }
    if (sts.size() != 1) {
      return null;
    }
    String id = null;
    for (String field : sts.get(0).substring(VERSION.length()).split(";", -1)) {
      String f = field.strip();
      if (f.isEmpty()) {
        continue;
      }
      int eq = f.indexOf('=');
      if (eq <= 0) {
        return null;
      }
      if (f.substring(0, eq).equals("id")) {
        String value = f.substring(eq + 1);
        if (id != null || !ID.matcher(value).matches()) {
          return null;
        }
        id = value;
      }
    }
    return id;
  }

  /**
   * Testing mode: what enforcement would have refused, logged once per domain and finding (RFC 8461
   * 5.2; no TLSRPT report is sent).
   */
  void reportTesting(String domain, String finding) {
    String key = domain + ": " + finding;
    boolean first;
    synchronized (reported) {
      first = reported.add(key);
    }
    if (first) {
      log.warn(
          "MTA-STS policy of {} is in testing mode; delivering anyway, but enforcement would defer: {}",
          domain,
          NetworkText.sanitize(finding, 500));
    }
  }

  /** The findings reported so far, as "domain: finding" (tests). */
  List<String> reported() {
    synchronized (reported) {
      return List.copyOf(reported);
    }
  }
}
