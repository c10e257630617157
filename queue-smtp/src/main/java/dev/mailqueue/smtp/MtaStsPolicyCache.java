package dev.mailqueue.smtp;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The MTA-STS policies fetched, per recipient domain, in memory only (a restart fetches them
 * again), least recently used dropped beyond {@link #MAX_DOMAINS}; and the fetches that failed
 * recently, so that a domain whose policy host is down is not asked on every delivery. Thread-safe
 * (one lock; every operation is a map access).
 */
final class MtaStsPolicyCache {
  /** Domains whose policy is kept: 10,000. */
  static final int MAX_DOMAINS = 10_000;

  /**
   * A fetched policy.
   *
   * @param id the {@code id} of the TXT record it was fetched for
   * @param expires when its {@code max_age} ends
   */
  record Entry(String id, MtaStsPolicy policy, Instant expires) {}

  /** A failed fetch for the TXT record {@code id}, not repeated before {@code until}. */
  private record Failure(String id, Instant until) {}

  private final Map<String, Entry> policies = lru();
  private final Map<String, Failure> failures = lru();

  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > MAX_DOMAINS;
      }
    };
  }

  /** The unexpired policy of {@code domain}, or null; an expired one is dropped. */
  synchronized @Nullable Entry get(String domain, Instant now) {
    Entry e = policies.get(domain);
    if (e != null && !now.isBefore(e.expires())) {
      policies.remove(domain);
      return null;
    }
    return e;
  }

  synchronized void put(String domain, Entry entry) {
    policies.put(domain, entry);
    failures.remove(domain);
  }

  /** Whether a fetch for TXT record {@code id} failed and should not be repeated yet. */
  synchronized boolean failedRecently(String domain, String id, Instant now) {
    Failure f = failures.get(domain);
    return f != null && f.id().equals(id) && now.isBefore(f.until());
  }

  synchronized void failed(String domain, String id, Instant until) {
    failures.put(domain, new Failure(id, until));
  }
}
