package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MicrometerShapingListenerTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MicrometerShapingListener listener = new MicrometerShapingListener(registry, 2);

  @Test
  void throttlingAndBreakerChangesBecomeMeters() {
    listener.throttled("smtp.relay.example", ShapingListener.Reason.RATE, Duration.ofSeconds(1));
    listener.throttled("smtp.relay.example", ShapingListener.Reason.RATE, Duration.ofSeconds(1));
    listener.breakerStateChanged(
        "smtp.relay.example",
        ShapingListener.BreakerState.CLOSED,
        ShapingListener.BreakerState.OPEN);
    listener.rateChanged("smtp.relay.example", 50, Duration.ofSeconds(1));

    assertThat(
            registry
                .get("mailqueue.shaping.throttled")
                .tag("destination", "smtp.relay.example")
                .tag("reason", "rate")
                .counter()
                .count())
        .isEqualTo(2.0);
    assertThat(
            registry
                .get("mailqueue.shaping.breaker.transitions")
                .tag("to", "open")
                .counter()
                .count())
        .isEqualTo(1.0);
    assertThat(registry.get("mailqueue.shaping.breaker.state").gauge().value()).isEqualTo(2.0);
    assertThat(registry.get("mailqueue.shaping.rate").gauge().value()).isEqualTo(50.0);

    listener.breakerStateChanged(
        "smtp.relay.example",
        ShapingListener.BreakerState.OPEN,
        ShapingListener.BreakerState.HALF_OPEN);
    assertThat(registry.get("mailqueue.shaping.breaker.state").gauge().value()).isEqualTo(1.0);
  }

  @Test
  void destinationsBeyondTheLimitShareOneTag() {
    for (String d : new String[] {"a.example", "b.example", "c.example", "d.example"}) {
      listener.throttled(d, ShapingListener.Reason.CONCURRENCY, Duration.ofSeconds(1));
    }
    assertThat(registry.find("mailqueue.shaping.throttled").counters()).hasSize(3);
    assertThat(
            registry
                .get("mailqueue.shaping.throttled")
                .tag("destination", "other")
                .counter()
                .count())
        .isEqualTo(2.0);
  }
}
