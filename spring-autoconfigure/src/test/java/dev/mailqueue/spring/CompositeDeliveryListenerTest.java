package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MessageId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompositeDeliveryListenerTest {

  @Test
  void noneOneOrMany() {
    assertThat(CompositeDeliveryListener.of(List.of())).isSameAs(DeliveryListener.NONE);
    DeliveryListener one = new DeliveryListener() {};
    assertThat(CompositeDeliveryListener.of(List.of(one))).isSameAs(one);
    assertThat(CompositeDeliveryListener.of(List.of(one, one)))
        .isInstanceOf(CompositeDeliveryListener.class);
  }

  @Test
  void aFailingListenerDoesNotKeepTheEventFromTheOthers() {
    List<String> heard = new ArrayList<>();
    DeliveryListener failing =
        new DeliveryListener() {
          @Override
          public void bounced(DeliveryEvent event) {
            heard.add("failing");
            throw new IllegalStateException("listener bug");
          }
        };
    DeliveryListener recording =
        new DeliveryListener() {
          @Override
          public void bounced(DeliveryEvent event) {
            heard.add("recording");
          }
        };
    DeliveryEvent event =
        new DeliveryEvent(MessageId.generate(), "welcome", 1, List.of(), null, false);
    CompositeDeliveryListener.of(List.of(failing, recording)).bounced(event);
    assertThat(heard).containsExactly("failing", "recording");
  }
}
