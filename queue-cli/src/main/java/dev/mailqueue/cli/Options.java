package dev.mailqueue.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool.PoolInitializationException;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.JdbcStoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Options shared by the commands, as picocli mixins, and the converters they use. */
final class Options {
  private Options() {}

  /** Where the queue's database is. */
  static final class Database {
    @Option(
        names = "--jdbc-url",
        defaultValue = "${env:MAILQUEUE_JDBC_URL}",
        paramLabel = "URL",
        description =
            "JDBC URL of the queue's database, credentials included (default: env MAILQUEUE_JDBC_URL), "
                + "e.g. jdbc:postgresql://db:5432/app?user=mq&password=...")
    String jdbcUrl;

    @Option(
        names = "--table-prefix",
        defaultValue = JdbcMailStore.DEFAULT_TABLE_PREFIX,
        paramLabel = "PREFIX",
        description = "Prefix of the queue's tables (default: ${DEFAULT-VALUE}).")
    String tablePrefix;

    @Option(
        names = "--create-schema",
        description =
            "Create missing tables from the bundled script, or upgrade tables at an earlier "
                + "schema version (stop every node that uses them first).")
    boolean createSchema;

    /** The URLs the CLI's drivers accept. */
    static final List<String> JDBC_URL_PREFIXES =
        List.of("jdbc:postgresql:", "jdbc:mariadb:", "jdbc:mysql:", "jdbc:h2:");

    /** Socket read timeout of the CLI's own pool: 60 seconds, twice the store's query timeout. */
    static final int SOCKET_TIMEOUT_SECONDS = 60;

    /**
     * The same with --create-schema: 35 minutes, above the 30 a schema script's statement may take.
     */
    static final int SCHEMA_SOCKET_TIMEOUT_SECONDS = 35 * 60;

    /** Opens a small pool and the store on it; the caller closes both. */
    Store open(CommandLine.Model.CommandSpec spec, int poolSize) {
      if (jdbcUrl == null || jdbcUrl.isBlank()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "no database: pass --jdbc-url or set MAILQUEUE_JDBC_URL");
      }
      if (JDBC_URL_PREFIXES.stream().noneMatch(jdbcUrl::startsWith)) {
        // Checked here: the pool's own report ("Failed to get driver instance for jdbcUrl=...")
        // neither says what is wrong nor what would be right.
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "'"
                + jdbcUrl
                + "' is not a JDBC URL the CLI has a driver for: it starts with "
                + String.join(", ", JDBC_URL_PREFIXES.subList(0, JDBC_URL_PREFIXES.size() - 1))
                + " or "
                + JDBC_URL_PREFIXES.get(JDBC_URL_PREFIXES.size() - 1)
                + ", e.g. jdbc:postgresql://db:5432/app");
      }
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(jdbcUrl);
      config.setMaximumPoolSize(poolSize);
      config.setMinimumIdle(1);
      config.setPoolName("mailqueue-cli");
      config.setConnectionTimeout(10_000);
      // One try: a wrong URL, database or password, or a server that refuses, does not get better
      // by retrying for seconds; the driver's reason is printed at once.
      config.setInitializationFailTimeout(1);
      // The drivers wait for a reply for ever by default; a vanished server (failover, a dropped
      // NAT mapping) would hang the command. Longer than the store's query timeout, and than a
      // schema upgrade's statements when this command may run one. A socketTimeout in the URL wins.
      int socketSeconds = createSchema ? SCHEMA_SOCKET_TIMEOUT_SECONDS : SOCKET_TIMEOUT_SECONDS;
      if (jdbcUrl.startsWith("jdbc:postgresql:")) {
        config.addDataSourceProperty("socketTimeout", String.valueOf(socketSeconds));
      } else if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
        config.addDataSourceProperty("socketTimeout", String.valueOf(socketSeconds * 1000));
      }
      HikariDataSource ds;
      try {
        ds = new HikariDataSource(config);
      } catch (PoolInitializationException e) {
        throw new IllegalStateException(
            "cannot connect to the database: " + MailQueueCli.oneLine(e));
      }
      try {
        JdbcMailStore store =
            JdbcMailStore.builder(ds).tablePrefix(tablePrefix).createSchema(createSchema).build();
        store.start();
        return new Store(ds, store);
      } catch (JdbcStoreException e) {
        ds.close();
        throw inCliTerms(e);
      } catch (RuntimeException e) {
        ds.close();
        throw e;
      }
    }

    /**
     * The store's advice names its builder option ({@code createSchema}); the CLI's user has {@code
     * --create-schema}, and a script to edit when the tables have another prefix.
     */
    private RuntimeException inCliTerms(JdbcStoreException e) {
      String m = e.getMessage();
      if (m == null || !m.endsWith(", or enable createSchema")) {
        return e;
      }
      String advice = m.substring(0, m.length() - ", or enable createSchema".length());
      if (!tablePrefix.equals(JdbcMailStore.DEFAULT_TABLE_PREFIX)) {
        advice +=
            " with its "
                + JdbcMailStore.DEFAULT_TABLE_PREFIX
                + " prefix replaced by "
                + tablePrefix;
      }
      return new IllegalStateException(advice + ", or pass --create-schema", e);
    }
  }

  /** An open pool and store. */
  record Store(HikariDataSource dataSource, JdbcMailStore store) implements AutoCloseable {
    MailQueueAdmin admin() {
      return store.admin();
    }

    @Override
    public void close() {
      store.close();
      dataSource.close();
    }
  }

  /** How to print. */
  static final class Output {
    @Option(names = "--json", description = "Print JSON (one document) instead of a table.")
    boolean json;
  }

  /** The selection flags, mapped onto a {@link MessageFilter}. */
  static final class Filter {
    @Option(
        names = "--state",
        paramLabel = "STATE",
        split = ",",
        description =
            "Only these states (repeatable or comma-separated): ${COMPLETION-CANDIDATES}.")
    List<MessageState> states = new ArrayList<>();

    @Option(names = "--tag", description = "Only this tag.")
    String tag;

    @Option(names = "--sender", paramLabel = "ADDRESS", description = "Only this envelope sender.")
    String sender;

    @Option(
        names = "--domain",
        paramLabel = "DOMAIN",
        description = "Only mail with a recipient in this domain.")
    String domain;

    @Option(
        names = "--older-than",
        paramLabel = "AGE",
        converter = DurationConverter.class,
        description = "Only mail enqueued at least this long ago: 90s, 15m, 2h, 3d or ISO-8601.")
    Duration olderThan;

    @Option(
        names = "--younger-than",
        paramLabel = "AGE",
        converter = DurationConverter.class,
        description = "Only mail enqueued less than this long ago.")
    Duration youngerThan;

    @Option(
        names = "--reply-code",
        paramLabel = "CODE",
        description = "Only mail whose last reply had this code.")
    Integer replyCode;

    @Option(
        names = "--reply-contains",
        paramLabel = "TEXT",
        description =
            "Only mail whose last reply text contains TEXT (literally; %% and _ are not wildcards).")
    String replyContains;

    boolean isEmpty() {
      return states.isEmpty()
          && tag == null
          && sender == null
          && domain == null
          && olderThan == null
          && youngerThan == null
          && replyCode == null
          && replyContains == null;
    }

    MessageFilter.Builder toBuilder(List<MessageId> ids) {
      return MessageFilter.builder()
          .ids(ids)
          .states(states)
          .tag(tag)
          .sender(sender)
          .recipientDomain(domain)
          .olderThan(olderThan)
          .youngerThan(youngerThan)
          .lastReplyCode(replyCode)
          .lastReplyContains(replyContains);
    }
  }

  /** Parses {@code 90s}, {@code 15m}, {@code 2h}, {@code 3d} or ISO-8601 ({@code PT15M}). */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      Matcher m = SHORT.matcher(v);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      }
      try {
        return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
      } catch (RuntimeException e) {
        throw new TypeConversionException(
            "'" + value + "' is not a duration: use 90s, 15m, 2h, 3d or PT15M");
      }
    }
  }

  /** Parses a message id. */
  static final class MessageIdConverter implements ITypeConverter<MessageId> {
    @Override
    public MessageId convert(String value) {
      try {
        return new MessageId(UUID.fromString(value.strip()));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(
            "'"
                + value
                + "' is not a message id (a UUID such as "
                + "01a2234f-8e28-779c-b8c1-ae654c82dbc3)");
      }
    }
  }
}
