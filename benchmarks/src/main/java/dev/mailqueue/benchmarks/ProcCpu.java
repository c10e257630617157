package dev.mailqueue.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time from /proc (Linux): of one process, of its threads by name, and of the PostgreSQL
 * backends serving one application name. The machine is shared, so whole-server CPU would count
 * other clients; a backend serves one connection, and a pool whose connections carry their own
 * {@code ApplicationName} can be measured alone. Everything reads 0 (or empty) where there is no
 * /proc or the server runs elsewhere.
 */
final class ProcCpu {
  /** USER_HZ is 100 on Linux: one tick is 10 ms. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private ProcCpu() {}

  /** User plus system CPU nanoseconds of process {@code pid}, all its threads; 0 if unreadable. */
  static long process(long pid) {
    try {
      return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * CPU nanoseconds of the threads of process {@code pid} summed by thread name (as the kernel
   * keeps it: 15 characters), digits replaced by N; empty where there is no /proc.
   */
  static Map<String, Long> threadsByName(long pid) {
    Map<String, Long> byName = new TreeMap<>();
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : tasks) {
        try {
          String name = Files.readString(t.resolve("comm")).strip().replaceAll("\\d+", "N");
          byName.merge(
              name, ticks(Files.readString(t.resolve("stat"))) * NANOS_PER_TICK, Long::sum);
        } catch (IOException | RuntimeException e) {
          // the thread ended while being read
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return byName;
  }

  /**
   * "name us" pairs, per message, of the threads that used at least 2 % of the CPU between the two
   * snapshots; the biggest first.
   */
  static String breakdown(Map<String, Long> before, Map<String, Long> after, int messages) {
    long total = 0;
    Map<String, Long> used = new HashMap<>();
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long u = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      used.put(e.getKey(), u);
      total += u;
    }
    long all = total;
    StringBuilder line = new StringBuilder();
    used.entrySet().stream()
        .filter(e -> e.getValue() * 50 >= all)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(
            e ->
                line.append(
                    String.format(
                        Locale.ROOT, "[%s] %.0f ", e.getKey(), e.getValue() / 1e3 / messages)));
    return line.toString().strip();
  }

  /**
   * CPU nanoseconds of each PostgreSQL backend whose {@code application_name} is {@code
   * application}, by pid (read over a connection of its own, so that the query is not counted).
   */
  static Map<Long, Long> backends(String jdbcUrl, String application) {
    Map<Long, Long> byPid = new HashMap<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement s =
            c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
      s.setString(1, application);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          byPid.put(r.getLong(1), process(r.getLong(1)));
        }
      }
    } catch (Exception e) {
      return Map.of();
    }
    return byPid;
  }

  /**
   * The CPU nanoseconds the backends of {@code after} used since {@code before}; a backend that was
   * not there before counts whole, one that ended in between is lost (the pools here keep their
   * connections).
   */
  static long used(Map<Long, Long> before, Map<Long, Long> after) {
    long sum = 0;
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    }
    return sum;
  }

  /**
   * Busy CPU nanoseconds of the whole machine, all cores (user, nice, system, irq, softirq, steal
   * from /proc/stat; not idle or iowait); 0 if unreadable.
   */
  static long machine() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(f[i]);
      }
      return busy * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** utime + stime (fields 14 and 15) of a /proc stat line, in clock ticks. */
  private static long ticks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
