package dev.mailqueue.spring;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import java.util.List;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each event to every listener in order; one listener's exception does not keep it from the
 * others.
 */
final class CompositeDeliveryListener implements DeliveryListener {
  private static final Logger log = LoggerFactory.getLogger(CompositeDeliveryListener.class);

  private final List<DeliveryListener> listeners;

  private CompositeDeliveryListener(List<DeliveryListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /** {@link DeliveryListener#NONE} for none, the listener itself for one, a composite otherwise. */
  static DeliveryListener of(List<DeliveryListener> listeners) {
    return switch (listeners.size()) {
      case 0 -> DeliveryListener.NONE;
      case 1 -> listeners.get(0);
      default -> new CompositeDeliveryListener(listeners);
    };
  }

  @Override
  public void delivered(DeliveryEvent event) {
    each(event, DeliveryListener::delivered, "delivered");
  }

  @Override
  public void deferred(DeliveryEvent event) {
    each(event, DeliveryListener::deferred, "deferred");
  }

  @Override
  public void bounced(DeliveryEvent event) {
    each(event, DeliveryListener::bounced, "bounced");
  }

  @Override
  public void expired(DeliveryEvent event) {
    each(event, DeliveryListener::expired, "expired");
  }

  @Override
  public void suppressed(DeliveryEvent event) {
    each(event, DeliveryListener::suppressed, "suppressed");
  }

  @Override
  public void blocked(DeliveryEvent event) {
    each(event, DeliveryListener::blocked, "blocked");
  }

  @Override
  public void captured(DeliveryEvent event) {
    each(event, DeliveryListener::captured, "captured");
  }

  private void each(
      DeliveryEvent event, BiConsumer<DeliveryListener, DeliveryEvent> call, String name) {
    for (DeliveryListener listener : listeners) {
      try {
        call.accept(listener, event);
      } catch (RuntimeException e) {
        log.warn(
            "delivery listener {} failed on {} for message {}",
            listener,
            name,
            event.messageId(),
            e);
      }
    }
  }

  @Override
  public String toString() {
    return "CompositeDeliveryListener" + listeners;
  }
}
