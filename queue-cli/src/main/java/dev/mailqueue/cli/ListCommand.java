package dev.mailqueue.cli;

import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageSummary;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mailqueue list}: messages in a table or as JSON, like {@code postqueue -p}. */
@Command(name = "list", description = "List messages, like postqueue -p, filtered and paged.")
final class ListCommand implements Callable<Integer> {
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
          o.put("lastReply", MailQueueCli.replyJson(m.lastReply()));
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
            m.pendingRecipients() + "/" + m.recipients(), m.attempts(), m.sizeBytes(), MailQueueCli.reply(m.lastReply()));
      }
      t.print(out);
      out.println("-- " + rows.size() + (rows.size() == 1 ? " message" : " messages")
          + (rows.size() == limit ? " (more with --after " + rows.get(rows.size() - 1).id() + ")" : ""));
      out.flush();
      return 0;
    }
  }
}
