package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** An operation on messages given by id or selected by filter flags. */
abstract class OperationCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;
  @Mixin Options.Output output;
  @Mixin Options.Filter filter;

  @Parameters(paramLabel = "ID", arity = "0..*", converter = Options.MessageIdConverter.class,
      description = "Message ids; or select with the filter flags (or --all).")
  List<MessageId> ids = new ArrayList<>();

  @Option(names = "--all", description = "Apply to every message the operation can apply to.")
  boolean all;

  abstract String verb();

  abstract int apply(MailQueueAdmin admin, MessageFilter filter);

  @Override
  public Integer call() {
    if (ids.isEmpty() && filter.isEmpty() && !all) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "say which messages: give ids, filter flags (--state, --tag, ...) or --all");
    }
    MessageFilter f;
    try {
      f = filter.toBuilder(ids).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try (Options.Store s = db.open(spec, 1)) {
      int n = apply(s.admin(), f);
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        Map<String, Object> o = Json.object();
        o.put(verb(), n);
        out.println(Json.write(o));
      } else {
        out.println(verb() + " " + n + (n == 1 ? " message" : " messages"));
      }
      out.flush();
      return 0;
    }
  }
}
