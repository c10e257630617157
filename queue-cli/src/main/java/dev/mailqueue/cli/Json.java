package dev.mailqueue.cli;

import dev.mailqueue.QueueJson;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code --json} output: documents in {@link QueueJson}'s shape (the Actuator endpoint's too),
 * written by its writer; objects are {@link LinkedHashMap}s, so members keep their order.
 */
final class Json {
  private Json() {}

  /** A new ordered object. */
  static Map<String, Object> object() {
    return new LinkedHashMap<>();
  }

  static String write(Object value) {
    return QueueJson.write(value);
  }
}
