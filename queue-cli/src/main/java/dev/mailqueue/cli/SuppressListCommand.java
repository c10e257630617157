package dev.mailqueue.cli;

import dev.mailqueue.Suppression;
import dev.mailqueue.UnsubscribeTokens;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mailqueue suppress list}: the entries in effect, ordered by address. */
@Command(name = "list", description = "List suppressed addresses in effect, ordered by address.")
final class SuppressListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;
  @Mixin Options.Output output;

  @Option(
      names = "--after",
      paramLabel = "ADDRESS",
      description = "Start after this address (paging).")
  String after;

  @Option(
      names = "--limit",
      defaultValue = "100",
      description = "At most this many (default: ${DEFAULT-VALUE}).")
  int limit;

  @Override
  public Integer call() {
    if (limit < 1 || limit > 10_000) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be 1..10000");
    }
    try (Options.Store s = db.open(spec, 1)) {
      List<Suppression> entries = s.admin().suppressions(after, limit);
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        List<Object> list = new ArrayList<>();
        for (Suppression e : entries) {
          Map<String, Object> o = Json.object();
          o.put("address", e.address());
          o.put("scope", e.scope());
          o.put("reason", e.reason());
          o.put("reply", MailQueueCli.replyJson(e.reply()));
          o.put("createdAt", e.createdAt());
          o.put("expiresAt", e.expiresAt());
          list.add(o);
        }
        out.println(Json.write(list));
      } else {
        // SCOPE is * for all mail, else the tag of the mail suppressed
        Table t = new Table("ADDRESS", "REASON", "SCOPE", "SINCE", "EXPIRES", "REPLY");
        for (Suppression e : entries) {
          t.row(
              e.address(),
              e.reason(),
              e.scope() == null ? UnsubscribeTokens.ALL_MAIL : e.scope(),
              e.createdAt(),
              e.expiresAt(),
              MailQueueCli.reply(e.reply()));
        }
        t.print(out);
      }
      out.flush();
      return 0;
    }
  }
}
