package dev.mailqueue.cli;

import dev.mailqueue.AttemptView;
import dev.mailqueue.HealthThresholds;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageDetails;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueHealth;
import dev.mailqueue.QueueShape;
import dev.mailqueue.QueueStats;
import dev.mailqueue.SmtpReply;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code mailqueue} command: a postmaster's view of a mailqueue database. Exit codes follow
 * picocli: 0 success, 1 failure while running (e.g. database unreachable, message not found),
 * 2 invalid input.
 */
@Command(name = "mailqueue", mixinStandardHelpOptions = true, versionProvider = MailQueueCli.Version.class,
    description = "Inspect and operate a mailqueue database, send mail into it, or run a dispatcher.",
    subcommands = {MailQueueCli.ListCommand.class, MailQueueCli.ShowCommand.class, MailQueueCli.Hold.class,
        MailQueueCli.Release.class, MailQueueCli.Retry.class, MailQueueCli.Expire.class, MailQueueCli.Delete.class,
        MailQueueCli.ShapeCommand.class, MailQueueCli.StatsCommand.class, SuppressCommand.class, EraseCommand.class,
        RunCommand.class, SendCommand.class, CommandLine.HelpCommand.class})
public final class MailQueueCli {

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, for embedding and tests. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new MailQueueCli());
    cl.setExecutionExceptionHandler((e, cmd, parseResult) -> {
      cmd.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      cmd.getErr().flush();
      return cmd.getCommandSpec().exitCodeOnExecutionException();
    });
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = MailQueueCli.class.getPackage().getImplementationVersion();
      return new String[] {"mailqueue " + (v == null ? "(development)" : v)};
    }
  }

  static String reply(SmtpReply r) {
    return r == null ? null : r.toString();
  }

  static Map<String, Object> replyJson(SmtpReply r) {
    if (r == null) {
      return null;
    }
    Map<String, Object> m = Json.object();
    m.put("code", r.code());
    m.put("enhanced", r.enhancedStatus());
    m.put("text", r.text());
    return m;
  }

  // ---------------------------------------------------------------- list / show

  @Command(name = "list", description = "List messages, like postqueue -p, filtered and paged.")
  static final class ListCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;
    @Mixin Options.Output output;
    @Mixin Options.Filter filter;

    @Option(names = "--limit", defaultValue = "100", description = "At most this many rows (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--offset", defaultValue = "0", description = "Skip this many rows.")
    long offset;

    @Option(names = "--after", paramLabel = "ID", converter = Options.MessageIdConverter.class,
        description = "Keyset paging: only ids after this one (the last id of the previous page).")
    MessageId after;

    @Override
    public Integer call() {
      MessageFilter f;
      try {
        f = filter.toBuilder(List.of()).limit(limit).offset(offset).after(after).build();
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      try (Options.Store s = db.open(spec, 1)) {
        List<MessageSummary> rows = s.admin().list(f);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
          List<Object> list = new ArrayList<>();
          for (MessageSummary m : rows) {
            Map<String, Object> o = Json.object();
            o.put("id", m.id());
            o.put("state", m.state());
            o.put("tag", m.tag());
            o.put("priority", m.priority());
            o.put("from", m.envelopeFrom().address());
            o.put("recipients", m.recipients());
            o.put("pendingRecipients", m.pendingRecipients());
            o.put("sizeBytes", m.sizeBytes());
            o.put("attempts", m.attempts());
            o.put("createdAt", m.createdAt());
            o.put("dueAt", m.dueAt());
            o.put("lastReply", replyJson(m.lastReply()));
            list.add(o);
          }
          out.println(Json.write(list));
          out.flush();
          return 0;
        }
        Instant now = Instant.now();
        Table t = new Table("ID", "STATE", "AGE", "TAG", "FROM", "RCPT", "TRIES", "SIZE", "LAST REPLY");
        for (MessageSummary m : rows) {
          t.row(m.id(), m.state(), Table.age(Duration.between(m.createdAt(), now)), m.tag(), m.envelopeFrom().address(),
              m.pendingRecipients() + "/" + m.recipients(), m.attempts(), m.sizeBytes(), reply(m.lastReply()));
        }
        t.print(out);
        out.println("-- " + rows.size() + (rows.size() == 1 ? " message" : " messages")
            + (rows.size() == limit ? " (more with --after " + rows.get(rows.size() - 1).id() + ")" : ""));
        out.flush();
        return 0;
      }
    }
  }

  @Command(name = "show", description = "Show one message: recipients with their last replies, and every attempt.")
  static final class ShowCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;
    @Mixin Options.Output output;

    @Parameters(paramLabel = "ID", converter = Options.MessageIdConverter.class, description = "The message id.")
    MessageId id;

    @Override
    public Integer call() {
      try (Options.Store s = db.open(spec, 1)) {
        Optional<MessageDetails> found = s.admin().show(id);
        if (found.isEmpty()) {
          spec.commandLine().getErr().println("error: no message " + id);
          spec.commandLine().getErr().flush();
          return 1;
        }
        MessageDetails d = found.get();
        MessageView v = d.message();
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
          Map<String, Object> o = Json.object();
          o.put("id", v.id());
          o.put("messageId", v.messageIdHeader());
          o.put("state", v.state());
          o.put("tag", v.tag());
          o.put("priority", v.priority());
          o.put("from", v.envelopeFrom().address());
          o.put("attempts", v.attempts());
          o.put("uncertainAttempts", v.uncertainAttempts());
          o.put("sizeBytes", d.sizeBytes());
          o.put("createdAt", v.createdAt());
          o.put("dueAt", v.dueAt());
          o.put("expiresAt", v.expiresAt());
          List<Object> rcpts = new ArrayList<>();
          for (MessageView.Recipient r : v.recipients()) {
            Map<String, Object> ro = Json.object();
            ro.put("address", r.address().address());
            ro.put("status", r.status());
            ro.put("lastReply", replyJson(r.lastReply()));
            rcpts.add(ro);
          }
          o.put("recipients", rcpts);
          List<Object> attempts = new ArrayList<>();
          for (AttemptView a : d.attempts()) {
            Map<String, Object> ao = Json.object();
            ao.put("finishedAt", a.finishedAt());
            ao.put("remoteHost", a.remoteHost());
            ao.put("outcome", a.outcome());
            ao.put("reply", replyJson(a.reply()));
            ao.put("durationMs", a.duration());
            ao.put("counted", a.counted());
            ao.put("uncertain", a.uncertain());
            attempts.add(ao);
          }
          o.put("attemptHistory", attempts);
          out.println(Json.write(o));
          out.flush();
          return 0;
        }
        out.println("id:          " + v.id());
        out.println("message-id:  " + Table.printable(v.messageIdHeader()));
        out.println("state:       " + v.state());
        out.println("from:        " + v.envelopeFrom().address());
        out.println("tag:         " + (v.tag() == null ? "-" : Table.printable(v.tag())));
        out.println("priority:    " + v.priority());
        out.println("size:        " + d.sizeBytes() + " bytes");
        out.println("created:     " + v.createdAt());
        out.println("due:         " + (v.dueAt() == null ? "-" : v.dueAt()));
        out.println("expires:     " + v.expiresAt());
        out.println("attempts:    " + v.attempts() + (v.uncertainAttempts() > 0
            ? " (" + v.uncertainAttempts() + " uncertain)" : ""));
        out.println();
        Table r = new Table("RECIPIENT", "STATUS", "LAST REPLY");
        for (MessageView.Recipient rc : v.recipients()) {
          r.row(rc.address().address(), rc.status(), reply(rc.lastReply()));
        }
        r.print(out);
        out.println();
        Table a = new Table("FINISHED", "HOST", "OUTCOME", "REPLY", "DURATION", "COUNTED", "UNCERTAIN");
        for (AttemptView at : d.attempts()) {
          a.row(at.finishedAt(), at.remoteHost(), at.outcome(), reply(at.reply()), at.duration().toMillis() + " ms",
              at.counted(), at.uncertain());
        }
        a.print(out);
        return 0;
      }
    }
  }

  // ---------------------------------------------------------------- hold / release / retry / expire / delete

  /** An operation on messages given by id or selected by filter flags. */
  abstract static class Operation implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;
    @Mixin Options.Output output;
    @Mixin Options.Filter filter;

    @Parameters(paramLabel = "ID", arity = "0..*", converter = Options.MessageIdConverter.class,
        description = "Message ids; or select with the filter flags (or --all).")
    List<MessageId> ids = new ArrayList<>();

    @Option(names = "--all", description = "Apply to every message the operation can apply to.")
    boolean all;

    abstract String verb();

    abstract int apply(MailQueueAdmin admin, MessageFilter filter);

    @Override
    public Integer call() {
      if (ids.isEmpty() && filter.isEmpty() && !all) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "say which messages: give ids, filter flags (--state, --tag, ...) or --all");
      }
      MessageFilter f;
      try {
        f = filter.toBuilder(ids).build();
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      try (Options.Store s = db.open(spec, 1)) {
        int n = apply(s.admin(), f);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
          Map<String, Object> o = Json.object();
          o.put(verb(), n);
          out.println(Json.write(o));
        } else {
          out.println(verb() + " " + n + (n == 1 ? " message" : " messages"));
        }
        out.flush();
        return 0;
      }
    }
  }

  @Command(name = "hold", description = "Hold queued or deferred messages (postsuper -h): nothing is sent until released.")
  static final class Hold extends Operation {
    @Override
    String verb() {
      return "held";
    }

    @Override
    int apply(MailQueueAdmin admin, MessageFilter filter) {
      return admin.hold(filter);
    }
  }

  @Command(name = "release", description = "Release held messages (postsuper -H): due now.")
  static final class Release extends Operation {
    @Override
    String verb() {
      return "released";
    }

    @Override
    int apply(MailQueueAdmin admin, MessageFilter filter) {
      return admin.release(filter);
    }
  }

  @Command(name = "retry", description = "Make queued or deferred messages due now (postqueue -f).")
  static final class Retry extends Operation {
    @Override
    String verb() {
      return "retried";
    }

    @Override
    int apply(MailQueueAdmin admin, MessageFilter filter) {
      return admin.retryNow(filter);
    }
  }

  @Command(name = "expire", description = "Give up on unfinished messages: pending recipients EXPIRED.")
  static final class Expire extends Operation {
    @Override
    String verb() {
      return "expired";
    }

    @Override
    int apply(MailQueueAdmin admin, MessageFilter filter) {
      return admin.expire(filter);
    }
  }

  @Command(name = "delete", description = "Delete messages with their recipients and attempts (postsuper -d).")
  static final class Delete extends Operation {
    @Override
    String verb() {
      return "deleted";
    }

    @Override
    int apply(MailQueueAdmin admin, MessageFilter filter) {
      return admin.delete(filter);
    }
  }

  // ---------------------------------------------------------------- shape / stats

  @Command(name = "shape", description = "Pending mail per recipient domain and age, like qshape.")
  static final class ShapeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;
    @Mixin Options.Output output;

    @Option(names = "--state", split = ",", paramLabel = "STATE",
        description = "States to include (default: QUEUED,DEFERRED,SENDING,HOLD).")
    List<MessageState> states = new ArrayList<>();

    @Option(names = "--domains", defaultValue = "20", description = "Largest domains shown (default: ${DEFAULT-VALUE}).")
    int domains;

    @Override
    public Integer call() {
      if (domains < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--domains must be positive");
      }
      EnumSet<MessageState> selected = states.isEmpty()
          ? EnumSet.of(MessageState.QUEUED, MessageState.DEFERRED, MessageState.SENDING, MessageState.HOLD)
          : EnumSet.copyOf(states);
      try (Options.Store s = db.open(spec, 1)) {
        QueueShape shape = s.admin().shape(selected, domains);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
          Map<String, Object> o = Json.object();
          o.put("buckets", shape.bucketLabels());
          List<Object> rows = new ArrayList<>();
          for (QueueShape.Row r : shape.domains()) {
            rows.add(rowJson(r));
          }
          o.put("total", rowJson(shape.total()));
          o.put("domains", rows);
          out.println(Json.write(o));
          out.flush();
          return 0;
        }
        List<String> header = new ArrayList<>(List.of("DOMAIN", "TOTAL"));
        header.addAll(shape.bucketLabels());
        Table t = new Table(header.toArray(String[]::new));
        t.row(cells(shape.total()));
        for (QueueShape.Row r : shape.domains()) {
          t.row(cells(r));
        }
        t.print(out);
        return 0;
      }
    }

    private static Object[] cells(QueueShape.Row r) {
      List<Object> c = new ArrayList<>();
      c.add(r.domain());
      c.add(r.count());
      c.addAll(r.buckets());
      return c.toArray();
    }

    private static Map<String, Object> rowJson(QueueShape.Row r) {
      Map<String, Object> o = Json.object();
      o.put("domain", r.domain());
      o.put("count", r.count());
      o.put("buckets", r.buckets());
      return o;
    }
  }

  @Command(name = "stats", description = "Counts per state, the oldest waiting message, and health.")
  static final class StatsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Options.Database db;
    @Mixin Options.Output output;

    @Option(names = "--max-oldest", defaultValue = "15m", converter = Options.DurationConverter.class,
        paramLabel = "AGE", description = "Degraded when the oldest waiting message is older (default: ${DEFAULT-VALUE}).")
    Duration maxOldest;

    @Option(names = "--max-deferred", defaultValue = "1000", paramLabel = "N",
        description = "Degraded when more messages are deferred (default: ${DEFAULT-VALUE}).")
    long maxDeferred;

    @Option(names = "--check", description = "Exit with 3 when the queue is degraded (for monitoring scripts).")
    boolean check;

    @Override
    public Integer call() {
      HealthThresholds thresholds;
      try {
        thresholds = new HealthThresholds(maxOldest, maxDeferred);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      try (Options.Store s = db.open(spec, 1)) {
        QueueHealth health = s.admin().health(thresholds);
        QueueStats stats = health.stats();
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
          Map<String, Object> o = Json.object();
          Map<String, Object> counts = Json.object();
          for (MessageState st : MessageState.values()) {
            counts.put(st.name(), stats.count(st));
          }
          o.put("counts", counts);
          o.put("backlog", stats.backlog());
          o.put("oldestWaitingMs", stats.oldestWaiting());
          o.put("health", health.status());
          o.put("reasons", health.reasons());
          out.println(Json.write(o));
        } else {
          Table t = new Table("STATE", "MESSAGES");
          for (MessageState st : MessageState.values()) {
            t.row(st, stats.count(st));
          }
          t.print(out);
          out.println("backlog: " + stats.backlog() + ", oldest waiting: " + Table.age(stats.oldestWaiting()));
          out.println("health: " + health.status() + (health.reasons().isEmpty() ? ""
              : " (" + String.join("; ", health.reasons()) + ")"));
        }
        out.flush();
        return check && !health.isOk() ? 3 : 0;
      }
    }
  }
}
