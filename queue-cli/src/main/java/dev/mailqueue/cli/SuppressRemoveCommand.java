package dev.mailqueue.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mailqueue suppress remove ADDRESS}; exits 1 when it was not on the list. */
@Command(name = "remove", description = "Remove an address from the suppression list.")
final class SuppressRemoveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;

  @Parameters(paramLabel = "ADDRESS", description = "The address.")
  String address;

  @Override
  public Integer call() {
    try (Options.Store s = db.open(spec, 1)) {
      if (!s.admin().unsuppress(address)) {
        spec.commandLine()
            .getErr()
            .println("error: " + address + " is not on the suppression list");
        spec.commandLine().getErr().flush();
        return 1;
      }
      spec.commandLine().getOut().println("removed " + address);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
