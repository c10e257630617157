package dev.mailqueue.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The suppression list: addresses nothing is sent to. */
@Command(
    name = "suppress",
    description = "Manage the suppression list (addresses nothing is sent to).",
    subcommands = {
      SuppressAddCommand.class,
      SuppressRemoveCommand.class,
      SuppressListCommand.class
    })
final class SuppressCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: add, remove or list");
  }
}
