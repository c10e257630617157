package dev.mailqueue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one JSON shape of the queue's documents, shared by the command line's {@code --json} output
 * and the Spring Boot Actuator endpoint, so that a script reads both alike. Each method returns a
 * plain tree (ordered {@link Map}s, {@link List}s, {@link String}s, {@link Long}/{@link Integer},
 * {@link Boolean} and {@code null}) that any JSON library renders the same way, and {@link #write}
 * renders it without one. The rules:
 *
 * <ul>
 *   <li>ids are strings ({@code "id":"0190a4c6-..."}), never objects;
 *   <li>states and statuses are their upper-case names ({@code "DEFERRED"}), counts keyed alike;
 *   <li>instants are ISO-8601 strings in UTC; durations are whole milliseconds in a member whose
 *       name ends in {@code Ms} ({@code "oldestWaitingMs":0});
 *   <li>a reply is {@code {"code":451,"enhanced":"4.7.1","text":"greylisted"}} or {@code null};
 *   <li>absent values are {@code null}, never left out.
 * </ul>
 *
 * The members of each document are listed in the CLI's README ({@code queue-cli/README.md}).
 * Stateless and thread-safe.
 */
public final class QueueJson {
  private QueueJson() {}

  /**
   * {@code {"code","enhanced","text"}}, or {@code null} for no reply.
   *
   * @param reply the reply, or {@code null}
   * @return the reply's document, or {@code null}
   */
  public static Map<String, Object> reply(SmtpReply reply) {
    if (reply == null) {
      return null;
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("code", reply.code());
    o.put("enhanced", reply.enhancedStatus());
    o.put("text", reply.text());
    return o;
  }

  /**
   * {@code {"counts":{"QUEUED":n,...},"backlog","oldestWaitingMs"}}: every state counted, zero
   * included.
   *
   * @param stats the counts
   * @return the stats document
   */
  public static Map<String, Object> stats(QueueStats stats) {
    Map<String, Object> counts = new LinkedHashMap<>();
    for (MessageState s : MessageState.values()) {
      counts.put(s.name(), stats.count(s));
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("counts", counts);
    o.put("backlog", stats.backlog());
    o.put("oldestWaitingMs", stats.oldestWaiting().toMillis());
    return o;
  }

  /**
   * {@link #stats} with {@code "health"} ({@code OK} or {@code DEGRADED}) and {@code "reasons"}.
   *
   * @param health the judged stats
   * @return the health document
   */
  public static Map<String, Object> health(QueueHealth health) {
    Map<String, Object> o = stats(health.stats());
    o.put("health", health.status().name());
    o.put("reasons", List.copyOf(health.reasons()));
    return o;
  }

  /**
   * One listing row: {@code id, state, tag, priority, from, recipients, pendingRecipients,
   * sizeBytes, attempts, createdAt, dueAt, lastReply}.
   *
   * @param m the listed message
   * @return the row's document
   */
  public static Map<String, Object> summary(MessageSummary m) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("id", m.id().toString());
    o.put("state", m.state().name());
    o.put("tag", m.tag());
    o.put("priority", m.priority().name());
    o.put("from", m.envelopeFrom().address());
    o.put("recipients", m.recipients());
    o.put("pendingRecipients", m.pendingRecipients());
    o.put("sizeBytes", m.sizeBytes());
    o.put("attempts", m.attempts());
    o.put("createdAt", instant(m.createdAt()));
    o.put("dueAt", instant(m.dueAt()));
    o.put("lastReply", reply(m.lastReply()));
    return o;
  }

  /**
   * One recipient: {@code {"address","status","lastReply"}}.
   *
   * @param r the recipient
   * @return the recipient's document
   */
  public static Map<String, Object> recipient(MessageView.Recipient r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("address", r.address().address());
    o.put("status", r.status().name());
    o.put("lastReply", reply(r.lastReply()));
    return o;
  }

  /**
   * One message with everything recorded: {@code id, messageId, state, tag, priority, from,
   * attempts, uncertainAttempts, sizeBytes, createdAt, dueAt, expiresAt, leaseOwner, leaseUntil,
   * recipients[], attemptHistory[]}; an attempt is {@code finishedAt, remoteHost, outcome, reply,
   * durationMs, counted, uncertain}.
   *
   * @param d the message with its history
   * @return the message's document
   */
  public static Map<String, Object> details(MessageDetails d) {
    MessageView v = d.message();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("id", v.id().toString());
    o.put("messageId", v.messageIdHeader());
    o.put("state", v.state().name());
    o.put("tag", v.tag());
    o.put("priority", v.priority().name());
    o.put("from", v.envelopeFrom().address());
    o.put("attempts", v.attempts());
    o.put("uncertainAttempts", v.uncertainAttempts());
    o.put("sizeBytes", d.sizeBytes());
    o.put("createdAt", instant(v.createdAt()));
    o.put("dueAt", instant(v.dueAt()));
    o.put("expiresAt", instant(v.expiresAt()));
    o.put("leaseOwner", d.leaseOwner());
    o.put("leaseUntil", instant(d.leaseUntil()));
    List<Object> recipients = new ArrayList<>();
    for (MessageView.Recipient r : v.recipients()) {
      recipients.add(recipient(r));
    }
    o.put("recipients", recipients);
    List<Object> attempts = new ArrayList<>();
    for (AttemptView a : d.attempts()) {
      Map<String, Object> ao = new LinkedHashMap<>();
      ao.put("finishedAt", instant(a.finishedAt()));
      ao.put("remoteHost", a.remoteHost());
      ao.put("outcome", a.outcome().name());
      ao.put("reply", reply(a.reply()));
      ao.put("durationMs", a.duration().toMillis());
      ao.put("counted", a.counted());
      ao.put("uncertain", a.uncertain());
      attempts.add(ao);
    }
    o.put("attemptHistory", attempts);
    return o;
  }

  /**
   * {@code {"buckets":["0-5m",...],"total":row,"domains":[row...]}}, a row being {@code
   * {"domain","count","buckets":[n...]}}.
   *
   * @param shape the counts per domain and age
   * @return the shape document
   */
  public static Map<String, Object> shape(QueueShape shape) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("buckets", List.copyOf(shape.bucketLabels()));
    o.put("total", row(shape.total()));
    List<Object> rows = new ArrayList<>();
    for (QueueShape.Row r : shape.domains()) {
      rows.add(row(r));
    }
    o.put("domains", rows);
    return o;
  }

  private static Map<String, Object> row(QueueShape.Row r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("domain", r.domain());
    o.put("count", r.count());
    o.put("buckets", List.copyOf(r.buckets()));
    return o;
  }

  private static String instant(Instant i) {
    return i == null ? null : i.toString();
  }

  /**
   * Renders a tree of maps, collections, strings, numbers, booleans and nulls as compact JSON (RFC
   * 8259); an {@link Instant} as its ISO-8601 string, a {@link Duration} as milliseconds, anything
   * else as its string. C0 and C1 control characters are escaped, so that no text from the network
   * reaches a terminal raw.
   *
   * @param value a tree as the other methods return, or any value
   * @return the compact JSON text
   */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object value) {
    if (value == null) {
      sb.append("null");
    } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
      sb.append(value);
    } else if (value instanceof Duration d) {
      sb.append(d.toMillis());
    } else if (value instanceof Instant i) {
      string(sb, i.toString());
    } else if (value instanceof Map<?, ?> map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        string(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (value instanceof Collection<?> list) {
      sb.append('[');
      boolean first = true;
      for (Object o : list) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        write(sb, o);
      }
      sb.append(']');
    } else {
      string(sb, value.toString());
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          // C1 controls too: 0x9B is a terminal's CSI when the output is read on one
          if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
