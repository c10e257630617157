package dev.mailqueue.cli;

import dev.mailqueue.MailQueueException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mailqueue suppress add ADDRESS}: nothing more is sent to it, neither later mail nor mail
 * already queued (its pending recipients are suppressed at once; a message being sent finishes its
 * attempt).
 */
@Command(
    name = "add",
    description =
        "Suppress an address: nothing more is sent to it, neither later mail nor mail already "
            + "queued, deferred or held (its recipient there ends SUPPRESSED at once); a message "
            + "being sent at that moment finishes its attempt.")
final class SuppressAddCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;

  @Parameters(paramLabel = "ADDRESS", description = "The address.")
  String address;

  @Option(
      names = "--scope",
      paramLabel = "TAG",
      description =
          "Suppress only mail with this tag, e.g. newsletter, so that receipts still arrive "
              + "(default: all mail).")
  String scope;

  @Option(names = "--reason", description = "Why, e.g. complaint (default: manual).")
  String reason;

  @Option(
      names = "--ttl",
      converter = Options.DurationConverter.class,
      paramLabel = "AGE",
      description = "Suppress only for this long (default: for ever).")
  Duration ttl;

  @Override
  public Integer call() {
    try (Options.Store s = db.open(spec, 1)) {
      try {
        s.admin().suppress(address, scope, reason, ttl);
      } catch (IllegalArgumentException | MailQueueException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      spec.commandLine()
          .getOut()
          .println("suppressed " + address + (scope == null ? "" : " for mail tagged " + scope));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
