package dev.mailqueue.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * An {@link SmtpSink} RCPT policy that accepts every recipient and notes when each RCPT arrived
 * ({@link System#nanoTime()}): with one recipient per message, the arrival times of the messages.
 */
final class ArrivalClock implements Function<String, String> {
  private final List<Long> arrivals = new ArrayList<>();

  @Override
  public synchronized String apply(String recipient) {
    arrivals.add(System.nanoTime());
    return "250 2.1.5 Ok";
  }

  /** The arrival times so far, in order. */
  synchronized List<Long> arrivals() {
    return List.copyOf(arrivals);
  }
}
