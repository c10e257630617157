package dev.mailqueue.cli;

import com.zaxxer.hikari.pool.HikariPool.PoolInitializationException;
import dev.mailqueue.QueueJson;
import dev.mailqueue.SmtpReply;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code mailqueue} command: a postmaster's view of a mailqueue database. Exit codes: 0
 * success, 1 failure while running (e.g. database unreachable, message not found), 2 invalid input,
 * 3 {@code stats --check} degraded. Every command and subcommand takes {@code -h/--help}; an error
 * is one line on stderr followed by a hint to {@code --help}, never the whole usage.
 */
@Command(
    name = "mailqueue",
    mixinStandardHelpOptions = true,
    versionProvider = MailQueueCli.Version.class,
    description =
        "Inspect and operate a mailqueue database, send mail into it, or run a dispatcher.",
    subcommands = {
      ListCommand.class,
      ShowCommand.class,
      HoldCommand.class,
      ReleaseCommand.class,
      RetryCommand.class,
      ExpireCommand.class,
      DeleteCommand.class,
      ShapeCommand.class,
      StatsCommand.class,
      SuppressCommand.class,
      EraseCommand.class,
      RunCommand.class,
      SendCommand.class,
      DkimCommand.class,
      CommandLine.HelpCommand.class
    })
public final class MailQueueCli {

  /**
   * Runs the command line and exits with its exit code.
   *
   * @param args the command line's arguments, e.g. {@code list --limit 10}
   */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The configured command line, for embedding and tests.
   *
   * @return a new command line with this class's error handling, help on every subcommand and
   *     case-insensitive enum values; {@code execute} returns the exit code instead of exiting
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new MailQueueCli());
    standardHelpEverywhere(cl);
    cl.setExecutionStrategy(
        parseResult -> {
          CliLogging.configure(parseResult);
          return new CommandLine.RunLast().execute(parseResult);
        });
    cl.setExecutionExceptionHandler(
        (e, cmd, parseResult) -> {
          cmd.getErr().println("error: " + oneLine(e));
          cmd.getErr().flush();
          return cmd.getCommandSpec().exitCodeOnExecutionException();
        });
    // Postfix's tools print one line on a mistake, not their manual: the usage would push the
    // error itself off the screen and into every script's log.
    cl.setParameterExceptionHandler(
        (e, args) -> {
          CommandLine cmd = e.getCommandLine();
          PrintWriter err = cmd.getErr();
          // picocli starts some messages (an argument group's) with its own "Error: ".
          String message = e.getMessage();
          if (message != null && message.startsWith("Error: ")) {
            message = message.substring("Error: ".length());
          }
          err.println("error: " + message);
          if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println("try '" + cmd.getCommandSpec().qualifiedName() + " --help'");
          }
          err.flush();
          return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  /** {@code -h/--help} (and {@code -V/--version}) on every subcommand, at any depth. */
  private static void standardHelpEverywhere(CommandLine cl) {
    for (CommandLine sub : cl.getSubcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      if (!(spec.userObject() instanceof CommandLine.HelpCommand)
          && spec.mixins().get("mixinStandardHelpOptions") == null) {
        spec.mixinStandardHelpOptions(true);
        spec.versionProvider(new Version());
      }
      standardHelpEverywhere(sub);
    }
  }

  /**
   * The version Maven wrote into {@code version.properties} at build time (the jar's {@code
   * Implementation-Version} where that is absent).
   */
  static final class Version implements CommandLine.IVersionProvider {
    static final String RESOURCE = "/dev/mailqueue/cli/version.properties";

    @Override
    public String[] getVersion() throws IOException {
      return new String[] {"mailqueue " + version()};
    }

    static String version() throws IOException {
      Properties p = new Properties();
      try (InputStream in = MailQueueCli.class.getResourceAsStream(RESOURCE)) {
        if (in != null) {
          p.load(in);
        }
      }
      String v = p.getProperty("version");
      if (v == null || v.startsWith("${")) {
        v = MailQueueCli.class.getPackage().getImplementationVersion();
      }
      return v == null ? "(unknown version)" : v;
    }
  }

  /**
   * The reason of a failure in one line: the innermost cause's message (a driver's "database does
   * not exist", not the pool's wrapper), its first line only.
   */
  static String oneLine(Throwable e) {
    Throwable reason = e;
    while (reason.getCause() != null
        && reason.getCause() != reason
        && (reason.getMessage() == null || reason instanceof PoolInitializationException)) {
      reason = reason.getCause();
    }
    String m = reason.getMessage() == null ? reason.toString() : reason.getMessage();
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).strip();
  }

  static String reply(SmtpReply r) {
    return r == null ? null : r.toString();
  }

  static Map<String, Object> replyJson(SmtpReply r) {
    return QueueJson.reply(r);
  }
}
