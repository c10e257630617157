package dev.mailqueue.spring;

import dev.mailqueue.jdbc.JdbcStoreException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

/**
 * Explains the two ways a first start of the starter typically fails, in Boot's "APPLICATION FAILED
 * TO START" report instead of a stack of nested exceptions:
 *
 * <ul>
 *   <li>the queue's tables are missing or at another schema version (on a server database the
 *       starter creates them only with {@code mailqueue.jdbc.initialize-schema=always}): the
 *       analysis names that property and the script to run with Flyway or Liquibase instead;
 *   <li>no SMTP relay is configured ({@link NoRelayConfiguredException}): the analysis names {@code
 *       mailqueue.smtp.host} and {@code spring.mail.host}.
 * </ul>
 *
 * Registered in {@code META-INF/spring.factories}; returns null for every other failure.
 */
final class MailQueueFailureAnalyzer implements FailureAnalyzer {
  /** The property that decides whether the starter creates the tables. */
  static final String INITIALIZE_SCHEMA = "mailqueue.jdbc.initialize-schema";

  private static final Pattern SCRIPT = Pattern.compile("dev/mailqueue/jdbc/[a-z0-9-]+\\.sql");
  private static final Pattern MISSING_TABLE = Pattern.compile("\\(([a-z0-9_]+)schema_version\\)");
  private static final Pattern VERSION =
      Pattern.compile("schema version (\\S+) found, (\\d+) expected");

  private final Environment environment;

  /**
   * An analyzer reading the current property values from {@code environment} (Boot passes it in).
   */
  MailQueueFailureAnalyzer(Environment environment) {
    this.environment = environment;
  }

  @Override
  public FailureAnalysis analyze(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NoRelayConfiguredException e) {
        return noRelay(e);
      }
      if (t instanceof JdbcStoreException e && e.getMessage() != null) {
        String message = e.getMessage();
        if (message.startsWith("mailqueue tables not found")) {
          return tablesMissing(e);
        }
        if (message.startsWith("mailqueue schema version")) {
          return otherSchemaVersion(e);
        }
      }
    }
    return null;
  }

  private FailureAnalysis noRelay(NoRelayConfiguredException e) {
    return new FailureAnalysis(
        "The mail queue has no SMTP relay to deliver to: neither mailqueue.smtp.host nor "
            + "spring.mail.host is set.",
        "Set mailqueue.smtp.host and mailqueue.smtp.port (or spring.mail.host and spring.mail.port, which the "
            + "queue shares with Spring's JavaMailSender). To deliver to recipients' MX hosts directly, or through "
            + "a transport of your own, define a MailTransport bean (e.g. SmtpTransport.direct()...build()). "
            + "To run without the queue, set mailqueue.enabled=false.",
        e);
  }

  private FailureAnalysis tablesMissing(JdbcStoreException e) {
    String mode = initializeSchema();
    // Not the store's own message: it speaks of the Java builder's createSchema, not of the
    // property.
    Matcher table = MISSING_TABLE.matcher(e.getMessage());
    String tables = table.find() ? " (" + table.group(1) + "*)" : "";
    return new FailureAnalysis(
        "The mail queue's tables"
            + tables
            + " do not exist in the database. "
            + INITIALIZE_SCHEMA
            + " is '"
            + mode
            + "'"
            + (mode.equals("embedded")
                ? " (the default), which creates them only in an embedded database such as H2."
                : "."),
        "Either set "
            + INITIALIZE_SCHEMA
            + "=always to let the queue create its tables at startup, or create "
            + "them with your migrations from the script "
            + script(e)
            + " in the mailqueue-jdbc jar (idempotent; "
            + "with mailqueue.jdbc.table-prefix set, replace 'mq_' in it consistently). Flyway: copy it into "
            + "db/migration as V<next>__mailqueue.sql. Liquibase: a changeSet with <sqlFile path=\""
            + script(e)
            + "\" splitStatements=\"true\"/>.",
        e);
  }

  private FailureAnalysis otherSchemaVersion(JdbcStoreException e) {
    Matcher version = VERSION.matcher(e.getMessage());
    return new FailureAnalysis(
        "The mail queue's tables are at another schema version than this version of "
            + "mailqueue expects"
            + (version.find()
                ? " (" + version.group(1) + " found, " + version.group(2) + " expected)."
                : "."),
        "With every node of the application stopped, start one node with "
            + INITIALIZE_SCHEMA
            + "=always (it "
            + "upgrades the tables), or run the script "
            + script(e)
            + " from the mailqueue-jdbc jar with your "
            + "migrations (Flyway or Liquibase), then start the nodes again.",
        e);
  }

  private String initializeSchema() {
    String mode = environment == null ? null : environment.getProperty(INITIALIZE_SCHEMA);
    return mode == null || mode.isBlank() ? "embedded" : mode.strip().toLowerCase(Locale.ROOT);
  }

  /** The script the store named, or a description of it when the message names none. */
  private static String script(JdbcStoreException e) {
    Matcher m = SCRIPT.matcher(e.getMessage());
    return m.find() ? m.group() : "dev/mailqueue/jdbc/schema-<database>.sql";
  }
}
