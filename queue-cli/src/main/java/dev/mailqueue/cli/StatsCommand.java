package dev.mailqueue.cli;

import dev.mailqueue.HealthThresholds;
import dev.mailqueue.MessageState;
import dev.mailqueue.QueueHealth;
import dev.mailqueue.QueueJson;
import dev.mailqueue.QueueStats;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mailqueue stats}: counts per state, the oldest waiting message and health; {@code --check}
 * for monitoring.
 */
@Command(name = "stats", description = "Counts per state, the oldest waiting message, and health.")
final class StatsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;
  @Mixin Options.Output output;

  @Option(
      names = "--max-oldest",
      defaultValue = "15m",
      converter = Options.DurationConverter.class,
      paramLabel = "AGE",
      description =
          "Degraded when the oldest waiting message is older (default: ${DEFAULT-VALUE}).")
  Duration maxOldest;

  @Option(
      names = "--max-deferred",
      defaultValue = "1000",
      paramLabel = "N",
      description = "Degraded when more messages are deferred (default: ${DEFAULT-VALUE}).")
  long maxDeferred;

  @Option(
      names = "--check",
      description = "Exit with 3 when the queue is degraded (for monitoring scripts).")
  boolean check;

  @Override
  public Integer call() {
    HealthThresholds thresholds;
    try {
      thresholds = new HealthThresholds(maxOldest, maxDeferred);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try (Options.Store s = db.open(spec, 1)) {
      QueueHealth health = s.admin().health(thresholds);
      QueueStats stats = health.stats();
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        Map<String, Object> o = QueueJson.health(health);
        out.println(Json.write(o));
      } else {
        Table t = new Table("STATE", "MESSAGES");
        for (MessageState st : MessageState.values()) {
          t.row(st, stats.count(st));
        }
        t.print(out);
        out.println(
            "backlog: "
                + stats.backlog()
                + ", oldest waiting: "
                + Table.age(stats.oldestWaiting()));
        out.println(
            "health: "
                + health.status()
                + (health.reasons().isEmpty()
                    ? ""
                    : " (" + String.join("; ", health.reasons()) + ")"));
      }
      out.flush();
      return check && !health.isOk() ? 3 : 0;
    }
  }
}
