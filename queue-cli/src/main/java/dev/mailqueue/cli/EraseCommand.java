package dev.mailqueue.cli;

import dev.mailqueue.Erasure;
import dev.mailqueue.MailQueueException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Erases every trace of one address (a data subject's request); see {@code MailQueueAdmin.erase}.
 */
@Command(
    name = "erase",
    description =
        "Erase every trace of an address (data subject request): every message "
            + "to or from it, with bodies, recipients and attempts, whatever its state, and its suppression entry. Exits 1 "
            + "when a message was being sent and was left: run it again when that one has finished.")
final class EraseCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;

  @Parameters(paramLabel = "ADDRESS", description = "The address (case-insensitive).")
  String address;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Override
  public Integer call() {
    try (Options.Store s = db.open(spec, 1)) {
      Erasure e;
      try {
        e = s.admin().erase(address);
      } catch (IllegalArgumentException | MailQueueException ex) {
        throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        Map<String, Object> o = Json.object();
        o.put("address", address);
        o.put("messagesErased", e.messagesErased());
        o.put("messagesBeingSent", e.messagesBeingSent());
        o.put("suppressionRemoved", e.suppressionRemoved());
        out.println(Json.write(o));
      } else {
        out.println(
            "erased "
                + e.messagesErased()
                + (e.messagesErased() == 1 ? " message" : " messages")
                + (e.suppressionRemoved() ? " and the suppression entry" : "")
                + " of "
                + Table.printable(address));
      }
      out.flush();
      if (!e.complete()) {
        spec.commandLine()
            .getErr()
            .println(
                "error: "
                    + e.messagesBeingSent()
                    + " being sent right now were left; run erase again when they have finished");
        spec.commandLine().getErr().flush();
        return 1;
      }
      return 0;
    }
  }
}
