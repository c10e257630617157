package dev.mailqueue.cli;

import dev.mailqueue.MailQueueException;
import dev.mailqueue.Suppression;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The suppression list: addresses nothing is sent to. */
@Command(name = "suppress", description = "Manage the suppression list (addresses nothing is sent to).",
    subcommands = {SuppressCommand.Add.class, SuppressCommand.Remove.class, SuppressCommand.ListEntries.class})
final class SuppressCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: add, remove or list");
  }

  @Command(name = "add", description = "Suppress an address: later mail to it is not sent to it.")
  static final class Add implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;

    @Parameters(paramLabel = "ADDRESS", description = "The address.")
    String address;

    @Option(names = "--reason", description = "Why, e.g. complaint (default: manual).")
    String reason;

    @Option(names = "--ttl", converter = Options.DurationConverter.class, paramLabel = "AGE",
        description = "Suppress only for this long (default: for ever).")
    Duration ttl;

    @Override
    public Integer call() {
      try (Options.Store s = db.open(spec, 1)) {
        try {
          s.admin().suppress(address, reason, ttl);
        } catch (IllegalArgumentException | MailQueueException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        spec.commandLine().getOut().println("suppressed " + address);
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }

  @Command(name = "remove", description = "Remove an address from the suppression list.")
  static final class Remove implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;

    @Parameters(paramLabel = "ADDRESS", description = "The address.")
    String address;

    @Override
    public Integer call() {
      try (Options.Store s = db.open(spec, 1)) {
        if (!s.admin().unsuppress(address)) {
          spec.commandLine().getErr().println("error: " + address + " is not on the suppression list");
          spec.commandLine().getErr().flush();
          return 1;
        }
        spec.commandLine().getOut().println("removed " + address);
        spec.commandLine().getOut().flush();
        return 0;
      }
    }
  }

  @Command(name = "list", description = "List suppressed addresses in effect, ordered by address.")
  static final class ListEntries implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;
    @Mixin Options.Output output;

    @Option(names = "--after", paramLabel = "ADDRESS", description = "Start after this address (paging).")
    String after;

    @Option(names = "--limit", defaultValue = "100", description = "At most this many (default: ${DEFAULT-VALUE}).")
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
            o.put("reason", e.reason());
            o.put("reply", MailQueueCli.replyJson(e.reply()));
            o.put("createdAt", e.createdAt());
            o.put("expiresAt", e.expiresAt());
            list.add(o);
          }
          out.println(Json.write(list));
        } else {
          Table t = new Table("ADDRESS", "REASON", "SINCE", "EXPIRES", "REPLY");
          for (Suppression e : entries) {
            t.row(e.address(), e.reason(), e.createdAt(), e.expiresAt(), MailQueueCli.reply(e.reply()));
          }
          t.print(out);
        }
        out.flush();
        return 0;
      }
    }
  }
}
