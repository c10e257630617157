package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * An operation on messages given by id or selected by filter flags. Given ids, it applies to each
 * id on its own and reports on stderr each id it skipped and why (unknown, or in a state the
 * operation does not apply to, or not matched by the filter flags); an unknown id makes it exit
 * with 1, as {@code show} does, after the known ones were changed.
 */
abstract class OperationCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;
  @Mixin Options.Output output;
  @Mixin Options.Filter filter;

  // Strings, converted in call(): picocli does not report a value that a converter refuses for a
  // positional parameter of arity 0..*; it leaves it unmatched ("Unmatched argument at index 1").
  @Parameters(
      paramLabel = "ID",
      arity = "0..*",
      description = "Message ids; or select with the filter flags (or --all).")
  List<String> idArgs = new ArrayList<>();

  List<MessageId> ids = new ArrayList<>();

  @Option(names = "--all", description = "Apply to every message the operation can apply to.")
  boolean all;

  abstract String verb();

  abstract int apply(MailQueueAdmin admin, MessageFilter filter);

  /** The states this operation changes. */
  abstract Set<MessageState> appliesTo();

  /**
   * Why a message in a state this operation applies to was left, e.g. a retry of mail already due.
   */
  String unchangedReason(MessageView message) {
    return "it changed while the operation ran";
  }

  @Override
  public Integer call() {
    for (String arg : idArgs) {
      try {
        ids.add(new Options.MessageIdConverter().convert(arg));
      } catch (CommandLine.TypeConversionException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
    if (ids.isEmpty() && filter.isEmpty() && !all) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "say which messages: give ids, filter flags (--state, --tag, ...) or --all");
    }
    try {
      filter.toBuilder(ids).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try (Options.Store s = db.open(spec, 1)) {
      MailQueueAdmin admin = s.admin();
      int n = 0;
      List<Map<String, Object>> skipped = new ArrayList<>();
      if (ids.isEmpty()) {
        n = apply(admin, filter.toBuilder(List.of()).build());
      } else {
        List<MessageId> distinct = new ArrayList<>(new LinkedHashSet<>(ids));
        Map<MessageId, MessageView> before = new HashMap<>();
        for (MessageView v : admin.views(distinct)) {
          before.put(v.id(), v);
        }
        for (MessageId id : distinct) {
          MessageView v = before.get(id);
          if (v == null) {
            skipped.add(skip(id, null, "no such message"));
          } else if (apply(admin, filter.toBuilder(List.of(id)).build()) == 1) {
            n++;
          } else {
            skipped.add(skip(id, v.state(), reason(v)));
          }
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        Map<String, Object> o = Json.object();
        o.put(verb(), n);
        if (!ids.isEmpty()) {
          o.put("skipped", skipped);
        }
        out.println(Json.write(o));
      } else {
        out.println(verb() + " " + n + (n == 1 ? " message" : " messages"));
      }
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      boolean unknown = false;
      for (Map<String, Object> sk : skipped) {
        unknown |= sk.get("state") == null;
        err.println(
            (sk.get("state") == null ? "error: " : "mailqueue: ")
                + sk.get("id")
                + " skipped: "
                + sk.get("reason"));
      }
      err.flush();
      return unknown ? 1 : 0;
    }
  }

  private String reason(MessageView v) {
    if (!appliesTo().contains(v.state())) {
      return "it is "
          + v.state()
          + (v.state() == MessageState.SENDING ? " (being delivered now)" : "")
          + "; "
          + spec.name()
          + " applies to "
          + appliesTo().stream()
              .map(Enum::name)
              .sorted()
              .toList()
              .toString()
              .replace("[", "")
              .replace("]", "")
          + " only";
    }
    if (!filter.isEmpty()) {
      return "not selected by the filter flags";
    }
    return unchangedReason(v);
  }

  private static Map<String, Object> skip(MessageId id, MessageState state, String reason) {
    Map<String, Object> o = Json.object();
    o.put("id", id.toString());
    o.put("state", state == null ? null : state.name());
    o.put("reason", reason);
    return o;
  }
}
