package dev.mailqueue.benchmarks;

import dev.mailqueue.smtp.DkimKey;
import dev.mailqueue.smtp.DkimSigning;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Random;

/**
 * The CPU time of DKIM signing per message, which the transport adds to every attempt: rsa-sha256
 * (2048 bits) and ed25519-sha256, a 2 KB text message and one with a 100 KB attachment. One thread;
 * the median of 5 windows of {@code bench.dkimSeconds} (default 2) after a warm-up of as long.
 *
 * <p>{@code mvn -q -pl benchmarks -DskipTests package exec:java
 * -Dexec.mainClass=dev.mailqueue.benchmarks.DkimBenchmark}
 */
public final class DkimBenchmark {
  private static final int WINDOWS = 5;
  private static final long WINDOW_NANOS = Long.getLong("bench.dkimSeconds", 2) * 1_000_000_000L;

  /**
   * CPU time, not wall time: on a shared machine other processes stretch the wall clock, while the
   * signing thread's own CPU time is what the dispatcher pays.
   */
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private DkimBenchmark() {}

  /**
   * Prints the table.
   *
   * @param args none
   * @throws Exception when the JDK lacks RSA or Ed25519
   */
  public static void main(String[] args) throws Exception {
    KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
    rsaGen.initialize(2048);
    DkimKey rsa = DkimKey.of("example.com", "rsa", rsaGen.generateKeyPair().getPrivate());
    DkimKey ed =
        DkimKey.of(
            "example.com",
            "ed",
            KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate());
    byte[] text = message(2_000, 0);
    byte[] attachment = message(2_000, 100 * 1024);
    System.out.printf(
        Locale.ROOT, "%-16s %-22s %12s %14s%n", "key", "message", "CPU us/msg", "min-max");
    for (DkimKey key : new DkimKey[] {rsa, ed}) {
      DkimSigning signing = DkimSigning.builder().key(key).checkDnsAtStart(false).build();
      for (byte[] m : new byte[][] {text, attachment}) {
        String name = m == text ? "text (" + m.length / 1024 + " KB)" : "100 KB attachment";
        report(key.algorithm().tag(), name, measure(signing, m));
      }
    }
  }

  private static void report(String key, String message, double[] us) {
    System.out.printf(
        Locale.ROOT,
        "%-16s %-22s %12.1f %6.1f-%-7.1f%n",
        key,
        message,
        us[WINDOWS / 2],
        us[0],
        us[WINDOWS - 1]);
  }

  /** CPU microseconds of this thread per signature in each window, sorted. */
  private static double[] measure(DkimSigning signing, byte[] message) {
    Instant now = Instant.now();
    long sink = 0;
    long end = System.nanoTime() + WINDOW_NANOS; // warm-up
    while (System.nanoTime() < end) {
      sink += signing.sign(message, now).length;
    }
    double[] us = new double[WINDOWS];
    for (int w = 0; w < WINDOWS; w++) {
      long start = System.nanoTime();
      long cpuStart = THREADS.getCurrentThreadCpuTime();
      long n = 0;
      long stop = start + WINDOW_NANOS;
      do {
        sink += signing.sign(message, now).length;
        n++;
      } while (System.nanoTime() < stop);
      us[w] = (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1000.0 / n;
    }
    if (sink == 42) {
      System.out.println(); // keeps the JIT from dropping the work
    }
    Arrays.sort(us);
    return us;
  }

  /** A multipart message: a text part of {@code textBytes} and an attachment of that size. */
  private static byte[] message(int textBytes, int attachmentBytes) {
    StringBuilder s = new StringBuilder();
    s.append("From: Bench <bench@example.com>\r\nTo: sink@example.net\r\n")
        .append("Subject: DKIM benchmark\r\nDate: Wed, 2 Dec 2026 07:00:00 +0000\r\n")
        .append("Message-ID: <bench@example.com>\r\nMIME-Version: 1.0\r\n")
        .append("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n")
        .append("Content-Type: text/plain; charset=UTF-8\r\n\r\n");
    String line = "The quick brown fox jumps over the lazy dog, and again, and again.\r\n";
    for (int n = 0; n < textBytes; n += line.length()) {
      s.append(line);
    }
    if (attachmentBytes > 0) {
      byte[] data = new byte[attachmentBytes];
      new Random(6376).nextBytes(data);
      s.append("--b\r\nContent-Type: application/octet-stream\r\n")
          .append("Content-Transfer-Encoding: base64\r\n\r\n")
          .append(Base64.getMimeEncoder().encodeToString(data))
          .append("\r\n");
    }
    s.append("--b--\r\n");
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }
}
