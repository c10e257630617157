package dev.mailqueue.benchmarks;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Untimed passes before a measurement, until the JIT compiler has settled: a pass in which
 * compilation took less than {@link #SETTLED_SHARE} of the pass's time, after at least {@code
 * minSeconds} and at most {@code maxSeconds}. On two cores shared with PostgreSQL the C2 compiler
 * kept half a core busy for more than a minute of draining (measured per thread from /proc), so a
 * fixed 30 s left the first timed runs paying for compilation.
 */
final class WarmUp {
  /** Compilation time over pass time below which the JIT counts as settled. */
  static final double SETTLED_SHARE = 0.05;

  /** One untimed pass of the workload. */
  interface Pass {
    void run() throws Exception;
  }

  private WarmUp() {}

  /** Runs {@code pass} until the JIT has settled (see the class comment); prints what it did. */
  static void until(String what, int minSeconds, int maxSeconds, Pass pass) throws Exception {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
    long start = System.nanoTime();
    long min = start + TimeUnit.SECONDS.toNanos(minSeconds);
    long max = start + TimeUnit.SECONDS.toNanos(maxSeconds);
    int passes = 0;
    double share = 1;
    while (true) {
      long compiled0 = measurable ? jit.getTotalCompilationTime() : 0;
      long t0 = System.nanoTime();
      pass.run();
      passes++;
      long passMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      share = measurable ? (double) (jit.getTotalCompilationTime() - compiled0) / passMillis : 0;
      long now = System.nanoTime();
      if (now >= max || (now >= min && share < SETTLED_SHARE)) {
        break;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "  warm-up of %s: %d passes in %.0f s, compilation %.0f %% of the last pass%n",
        what,
        passes,
        (System.nanoTime() - start) / 1e9,
        100 * share);
  }
}
