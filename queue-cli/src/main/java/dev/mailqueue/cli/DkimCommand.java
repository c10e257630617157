package dev.mailqueue.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** DKIM keys: {@code mailqueue dkim check}. */
@Command(
    name = "dkim",
    description = "DKIM signing keys: check that a selector's public key is published in DNS.",
    subcommands = {DkimCheckCommand.class})
final class DkimCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: check");
  }
}
