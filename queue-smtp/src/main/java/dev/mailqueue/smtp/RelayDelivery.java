package dev.mailqueue.smtp;

import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import java.util.ArrayList;
import java.util.List;

/**
 * Relay mode: the pools of the relay and its failover relays, tried in order until one says not to
 * try the next (see {@link RelayPool.Attempt#tryNextRelay()}). Thread-safe.
 */
final class RelayDelivery {
  private final List<RelayPool> pools;

  /** The relays that failed their last check for a configuration fault, with that fault. */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    for (RelayPool pool : pools) {
      String problem = pool.problem();
      if (problem != null) {
        problems.add(problem);
      }
    }
    return problems;
  }

  RelayDelivery(List<RelayPool> pools) {
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("at least one relay");
    }
    this.pools = List.copyOf(pools);
  }

  /** Delivers through the first relay that does not pass the mail on, or the last one's result. */
  DeliveryResult deliver(OutboundMail mail) {
    RelayPool.Attempt attempt = null;
    for (RelayPool pool : pools) {
      attempt = pool.deliver(mail, null);
      if (!attempt.tryNextRelay()) {
        break;
      }
    }
    return attempt.result();
  }

  /** Closes connections idle for longer than the idle timeout. */
  void evictIdle() {
    pools.forEach(RelayPool::evictIdle);
  }

  void close() {
    pools.forEach(RelayPool::close);
  }

  /** Idle connections to the relay at index {@code i} (tests only). */
  int idleConnections(int i) {
    return pools.get(i).idleCount();
  }
}
