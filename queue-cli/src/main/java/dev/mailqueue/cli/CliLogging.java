package dev.mailqueue.cli;

import java.io.PrintStream;
import picocli.CommandLine.ParseResult;

/**
 * Where the libraries' log lines go. A dispatcher ({@code run}) logs like a daemon: timestamped
 * lines on stderr, one per delivery outcome. Every other command's stdout is for people and
 * scripts, so a library warning (PostgreSQL's autovacuum being off, say) goes to stderr once, in
 * the form of a command line tool's message: {@code mailqueue: warning: ...}; and only for {@code
 * stats}, where a postmaster looks at the queue's health: the other commands print a library's
 * errors only, not the same warning on every call.
 */
final class CliLogging {
  private static final String PREFIX = "org.slf4j.simpleLogger.";

  private CliLogging() {}

  /**
   * Sets slf4j-simple's format for the command about to run; before any logger exists, since
   * slf4j-simple reads its configuration once. System properties win over {@code
   * simplelogger.properties}.
   */
  static void configure(ParseResult parsed) {
    ParseResult leaf = parsed;
    while (leaf.subcommand() != null) {
      leaf = leaf.subcommand();
    }
    if (leaf.commandSpec().userObject() instanceof RunCommand) {
      return;
    }
    if (!(leaf.commandSpec().userObject() instanceof StatsCommand)) {
      setIfAbsent("defaultLogLevel", "error");
    }
    setIfAbsent("showDateTime", "false");
    setIfAbsent("showThreadName", "false");
    setIfAbsent("showLogName", "false");
    setIfAbsent("showShortLogName", "false");
    setIfAbsent("levelInBrackets", "false");
    // slf4j-simple 2.0 ignores its warnLevelString setting, so its level word is replaced here, on
    // the lines it prints (each one println), before anything else writes to stderr.
    System.setErr(new CliFormat(System.err));
  }

  /**
   * Rewrites slf4j-simple's {@code WARN msg} and {@code ERROR msg} lines as {@code mailqueue:
   * warning: msg}.
   */
  static final class CliFormat extends PrintStream {
    CliFormat(PrintStream err) {
      super(err, true);
    }

    @Override
    public void println(String line) {
      if (line != null && line.startsWith("WARN ")) {
        line = "mailqueue: warning: " + line.substring(5);
      } else if (line != null && line.startsWith("ERROR ")) {
        line = "mailqueue: error: " + line.substring(6);
      }
      super.println(line);
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(PREFIX + key) == null) {
      System.setProperty(PREFIX + key, value);
    }
  }
}
