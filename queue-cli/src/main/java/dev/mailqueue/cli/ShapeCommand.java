package dev.mailqueue.cli;

import dev.mailqueue.MessageState;
import dev.mailqueue.QueueJson;
import dev.mailqueue.QueueShape;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mailqueue shape}: pending mail per recipient domain and age, like {@code qshape}. */
@Command(name = "shape", description = "Pending mail per recipient domain and age, like qshape.")
final class ShapeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;
  @Mixin Options.Output output;

  @Option(
      names = "--state",
      split = ",",
      paramLabel = "STATE",
      description = "States to include (default: QUEUED,DEFERRED,SENDING,HOLD).")
  List<MessageState> states = new ArrayList<>();

  @Option(
      names = "--domains",
      defaultValue = "20",
      description = "Largest domains shown (default: ${DEFAULT-VALUE}).")
  int domains;

  @Override
  public Integer call() {
    if (domains < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--domains must be positive");
    }
    EnumSet<MessageState> selected =
        states.isEmpty()
            ? EnumSet.of(
                MessageState.QUEUED, MessageState.DEFERRED, MessageState.SENDING, MessageState.HOLD)
            : EnumSet.copyOf(states);
    try (Options.Store s = db.open(spec, 1)) {
      QueueShape shape = s.admin().shape(selected, domains);
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        Map<String, Object> o = QueueJson.shape(shape);
        out.println(Json.write(o));
        out.flush();
        return 0;
      }
      List<String> header = new ArrayList<>(List.of("DOMAIN", "TOTAL"));
      header.addAll(shape.bucketLabels());
      Table t = new Table(header.toArray(String[]::new));
      t.row(cells(shape.total()));
      for (QueueShape.Row r : shape.domains()) {
        t.row(cells(r));
      }
      t.print(out);
      return 0;
    }
  }

  private static Object[] cells(QueueShape.Row r) {
    List<Object> c = new ArrayList<>();
    c.add(r.domain());
    c.add(r.count());
    c.addAll(r.buckets());
    return c.toArray();
  }
}
