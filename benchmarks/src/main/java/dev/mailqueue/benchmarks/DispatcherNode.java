package dev.mailqueue.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One dispatcher in a JVM of its own, started by {@link PeerBenchmark}: for the cold start (timed
 * from the JVM's start, nothing warmed up) and for several dispatcher nodes draining one database.
 * It talks to its parent through lines on standard output and input.
 *
 * <p>Arguments: {@code cold <prefix> <sinkPort> <count> <workers> <connections> <first>} drains
 * {@code count} queued messages and prints, every 1,000, {@code AT <delivered> <ms since JVM
 * start>}, then the CPU by thread of the first {@code first} ({@code FIRST}) and of the rest
 * ({@code REST}). {@code node <prefix> <sinkPort> <warmupSeconds> <workers> <connections>} drains
 * backlogs of its own for the warm-up, prints {@code READY}, starts on {@code prefix} at {@code
 * GO}, and at {@code STOP} prints {@code DONE <delivered> <JVM CPU ns> <breakdown>} and ends.
 */
public final class DispatcherNode {
  /** The {@code ApplicationName} of its connections: their backends are measured by it. */
  static final String APPLICATION = "mq-bench-node";

  private DispatcherNode() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String prefix = args[1];
    int sinkPort = Integer.parseInt(args[2]);
    int n = Integer.parseInt(args[3]);
    int workers = Integer.parseInt(args[4]);
    int connections = Integer.parseInt(args[5]);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(BenchSetup.POSTGRESQL_URL);
    config.setMaximumPoolSize(workers + 4);
    config.addDataSourceProperty("ApplicationName", APPLICATION);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      if (mode.equals("cold")) {
        cold(ds, prefix, sinkPort, n, workers, connections, Integer.parseInt(args[6]));
      } else {
        node(ds, prefix, sinkPort, n, workers, connections);
      }
    }
    System.out.flush();
    System.exit(0);
  }

  private static void cold(
      HikariDataSource ds,
      String prefix,
      int sinkPort,
      int count,
      int workers,
      int connections,
      int first)
      throws Exception {
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    long inMain = System.currentTimeMillis() - jvmStart;
    long[] firstDelivery = new long[1];
    long pid = ProcessHandle.current().pid();
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger delivered = new AtomicInteger();
    long[] at = new long[count / 1_000 + 1];
    List<Map<String, Long>> snapshots = new ArrayList<>();
    snapshots.add(ProcCpu.threadsByName(pid));
    MailQueue queue =
        queue(
            ds,
            prefix,
            sinkPort,
            workers,
            connections,
            event -> {
              for (int i = 0; i < event.recipients().size(); i++) {
                int d = delivered.incrementAndGet();
                if (d == 1) {
                  firstDelivery[0] = System.currentTimeMillis() - jvmStart;
                }
                if (d % 1_000 == 0) {
                  at[d / 1_000] = System.currentTimeMillis() - jvmStart;
                  if (d == first) {
                    snapshots.add(ProcCpu.threadsByName(pid));
                  }
                }
                if (d == count) {
                  done.countDown();
                }
              }
            });
    long built = System.currentTimeMillis() - jvmStart;
    queue.start();
    long started = System.currentTimeMillis() - jvmStart;
    if (!done.await(20, TimeUnit.MINUTES)) {
      throw new IllegalStateException("not drained within 20 minutes");
    }
    snapshots.add(ProcCpu.threadsByName(pid));
    queue.close();
    for (int i = 1; i < at.length; i++) {
      System.out.println("AT " + i * 1_000 + " " + at[i]);
    }
    if (snapshots.size() == 3) {
      System.out.println("FIRST " + ProcCpu.breakdown(snapshots.get(0), snapshots.get(1), first));
      System.out.println(
          "REST " + ProcCpu.breakdown(snapshots.get(1), snapshots.get(2), count - first));
    }
    System.out.printf(
        Locale.ROOT,
        "START ms from JVM start: main %d (pool open), queue built %d, started %d, first delivery"
            + " %d%n",
        inMain,
        built,
        started,
        firstDelivery[0]);
    System.out.printf(
        Locale.ROOT,
        "JIT %d ms, %d classes loaded%n",
        ManagementFactory.getCompilationMXBean().getTotalCompilationTime(),
        ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount());
  }

  private static void node(
      HikariDataSource ds,
      String prefix,
      int sinkPort,
      int warmupSeconds,
      int workers,
      int connections)
      throws Exception {
    String own = prefix + "w" + ProcessHandle.current().pid() + "_";
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
    while (System.nanoTime() < end) {
      int size = 5_000;
      BenchmarkSuite.fillWithSql(ds, own, size);
      CountDownLatch drained = new CountDownLatch(size);
      MailQueue warm =
          queue(
              ds,
              own,
              sinkPort,
              workers,
              connections,
              e -> e.recipients().forEach(r -> drained.countDown()));
      warm.start();
      drained.await(5, TimeUnit.MINUTES);
      warm.close();
    }
    BenchTables.drop(ds, own);
    long pid = ProcessHandle.current().pid();
    AtomicInteger delivered = new AtomicInteger();
    MailQueue queue =
        queue(
            ds,
            prefix,
            sinkPort,
            workers,
            connections,
            e -> delivered.addAndGet(e.recipients().size()));
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("READY");
    System.out.flush();
    if (!"GO".equals(in.readLine())) {
      return;
    }
    Map<String, Long> threads0 = ProcCpu.threadsByName(pid);
    long cpu0 = ProcCpu.process(pid);
    queue.start();
    in.readLine(); // STOP, or the parent's end
    long cpu = ProcCpu.process(pid) - cpu0;
    Map<String, Long> threads = ProcCpu.threadsByName(pid);
    queue.close();
    System.out.println(
        "DONE "
            + delivered.get()
            + " "
            + cpu
            + " "
            + ProcCpu.breakdown(threads0, threads, Math.max(1, delivered.get())));
  }

  private static MailQueue queue(
      HikariDataSource ds,
      String prefix,
      int sinkPort,
      int workers,
      int connections,
      DeliveryListenerFunction listener) {
    return MailQueue.builder()
        .store(JdbcMailStore.builder(ds).tablePrefix(prefix).build())
        .transport(
            SmtpTransport.relay("127.0.0.1", sinkPort)
                .security(Security.NONE)
                .maxConnectionsPerServer(connections)
                .build())
        .workers(workers)
        .listener(
            new DeliveryListener() {
              @Override
              public void delivered(DeliveryEvent event) {
                listener.delivered(event);
              }
            })
        .build();
  }

  /** What the listener does with each delivery. */
  private interface DeliveryListenerFunction {
    void delivered(DeliveryEvent event);
  }

  /**
   * The command that starts this class in a new JVM: the running JVM's java and this class's
   * classpath (under {@code exec:java} that is the plugin's class loader, not java.class.path).
   */
  static List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    StringBuilder cp = new StringBuilder();
    if (DispatcherNode.class.getClassLoader() instanceof URLClassLoader loader) {
      for (URL url : loader.getURLs()) {
        try {
          cp.append(Path.of(url.toURI())).append(java.io.File.pathSeparator);
        } catch (Exception e) {
          throw new IllegalStateException("classpath entry " + url, e);
        }
      }
    }
    cp.append(System.getProperty("java.class.path"));
    command.add(cp.toString());
    command.add(DispatcherNode.class.getName());
    command.addAll(List.of(args));
    return command;
  }
}
