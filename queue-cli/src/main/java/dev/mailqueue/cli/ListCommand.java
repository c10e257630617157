package dev.mailqueue.cli;

import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueJson;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mailqueue list}: like {@code postqueue -p}, the pending queue (QUEUED, DEFERRED, SENDING,
 * HOLD) oldest first, each message with its Message-ID and its recipients with their last replies,
 * every line at most {@value #WIDTH} columns; {@code --all-states} or {@code --state} for finished
 * mail; {@code --json} for scripts.
 */
@Command(
    name = "list",
    description =
        "List the pending queue (QUEUED, DEFERRED, SENDING, HOLD) oldest first, like "
            + "postqueue -p: each message with its Message-ID and recipients with their last replies. --all-states or "
            + "--state for finished mail.")
final class ListCommand implements Callable<Integer> {
  /** Columns a line is cut to, with {@code ...} at its end when longer. */
  static final int WIDTH = 100;

  /** Recipients shown under one message; {@code mailqueue show ID} shows every one. */
  static final int RECIPIENTS_SHOWN = 10;

  static final Set<MessageState> PENDING =
      EnumSet.of(
          MessageState.QUEUED, MessageState.DEFERRED, MessageState.SENDING, MessageState.HOLD);

  @Spec CommandSpec spec;
  @Mixin Options.Database db;
  @Mixin Options.Output output;
  @Mixin Options.Filter filter;

  @Option(
      names = "--all-states",
      description = "Every state, finished mail included (default: the pending queue).")
  boolean allStates;

  @Option(
      names = "--limit",
      defaultValue = "100",
      description = "At most this many messages (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--offset", defaultValue = "0", description = "Skip this many messages.")
  long offset;

  @Option(
      names = "--after",
      paramLabel = "ID",
      converter = Options.MessageIdConverter.class,
      description = "Keyset paging: only ids after this one (the last id of the previous page).")
  MessageId after;

  @Override
  public Integer call() {
    if (allStates && !filter.states.isEmpty()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--all-states and --state exclude each other");
    }
    MessageFilter f;
    try {
      MessageFilter.Builder b =
          filter.toBuilder(List.of()).limit(limit).offset(offset).after(after);
      if (filter.states.isEmpty() && !allStates) {
        b.states(PENDING);
      }
      f = b.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try (Options.Store s = db.open(spec, 1)) {
      List<MessageSummary> rows = s.admin().list(f);
      Map<MessageId, MessageView> views = new HashMap<>();
      for (MessageView v : s.admin().views(rows.stream().map(MessageSummary::id).toList())) {
        views.put(v.id(), v);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        List<Object> list = new ArrayList<>();
        for (MessageSummary m : rows) {
          Map<String, Object> o = QueueJson.summary(m);
          MessageView v = views.get(m.id());
          o.put("messageId", v == null ? null : v.messageIdHeader());
          List<Object> to = new ArrayList<>();
          if (v != null) {
            v.recipients().forEach(r -> to.add(QueueJson.recipient(r)));
          }
          o.put("to", to);
          list.add(o);
        }
        out.println(Json.write(list));
        out.flush();
        return 0;
      }
      Instant now = Instant.now();
      line(
          out,
          String.format(
              "%-36s  %-9s  %-6s  %5s  %8s  %s", "ID", "STATE", "AGE", "TRIES", "SIZE", "FROM"));
      for (MessageSummary m : rows) {
        line(
            out,
            String.format(
                "%-36s  %-9s  %-6s  %5d  %8d  %s",
                m.id(),
                m.state(),
                Table.age(Duration.between(m.createdAt(), now)),
                m.attempts(),
                m.sizeBytes(),
                Table.printable(m.envelopeFrom().address())));
        MessageView v = views.get(m.id());
        if (v == null) {
          continue; // deleted between the two queries
        }
        line(
            out,
            "  message-id "
                + Table.printable(v.messageIdHeader())
                + (m.tag() == null ? "" : "  tag " + Table.printable(m.tag())));
        List<MessageView.Recipient> recipients = v.recipients();
        for (MessageView.Recipient r :
            recipients.subList(0, Math.min(RECIPIENTS_SHOWN, recipients.size()))) {
          line(
              out,
              "  "
                  + Table.printable(r.address().address())
                  + "  "
                  + r.status()
                  + (r.lastReply() == null
                      ? ""
                      : "  " + Table.printable(MailQueueCli.reply(r.lastReply()))));
        }
        if (recipients.size() > RECIPIENTS_SHOWN) {
          line(
              out,
              "  ("
                  + (recipients.size() - RECIPIENTS_SHOWN)
                  + " more recipients: mailqueue show "
                  + m.id()
                  + ")");
        }
      }
      out.println(
          "-- "
              + rows.size()
              + (rows.size() == 1 ? " message" : " messages")
              + (filter.states.isEmpty() && !allStates ? " pending" : "")
              + (rows.size() == limit
                  ? " (more with --after " + rows.get(rows.size() - 1).id() + ")"
                  : ""));
      if (filter.states.isEmpty() && !allStates) {
        // The pending default hides finished matches; one count says whether there are any, so a
        // "0 messages" for a reply code or sender does not read as "never happened".
        long finished =
            s.admin()
                .count(
                    filter.toBuilder(List.of())
                        .states(EnumSet.complementOf(EnumSet.copyOf(PENDING)))
                        .build());
        if (finished > 0) {
          out.println("-- " + finished + " more in finished states: add --all-states");
        }
      }
      out.flush();
      return 0;
    }
  }

  /** Prints {@code text} cut to {@value #WIDTH} columns. */
  private static void line(PrintWriter out, String text) {
    String t = text.stripTrailing();
    out.println(t.length() <= WIDTH ? t : t.substring(0, WIDTH - 3) + "...");
  }
}
