package dev.mailqueue.cli;

import dev.mailqueue.AttemptView;
import dev.mailqueue.MessageDetails;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import dev.mailqueue.QueueJson;
import java.io.IOException;
import java.io.PrintWriter;
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
 * {@code mailqueue show ID}: one message with its headers (Subject, To), a summary of its content,
 * its recipients and every attempt, and for a message being sent the worker holding it and until
 * when; {@code --body} prints its text, {@code --raw} the stored message, like {@code postcat -q}.
 */
@Command(
    name = "show",
    description =
        "Show one message: Subject, To, a content summary, recipients with their last "
            + "replies and every attempt; the lease of a message being sent. --body prints its text, --raw the whole "
            + "stored message (postcat -q).")
final class ShowCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;

  // Plain options checked in call(), not an exclusive ArgGroup, whose message reads
  // "Error: --json, --body are mutually exclusive".
  @Option(names = "--json", description = "Print JSON (one document) instead of text.")
  boolean json;

  @Option(
      names = "--body",
      description = "Print the message's text (the text/plain part, else the text/html one).")
  boolean body;

  @Option(
      names = "--raw",
      description = "Print the stored message as it is (RFC 5322, CRLF), like postcat -q.")
  boolean raw;

  @Parameters(
      paramLabel = "ID",
      converter = Options.MessageIdConverter.class,
      description = "The message id.")
  MessageId id;

  @Override
  public Integer call() throws IOException {
    if ((json ? 1 : 0) + (body ? 1 : 0) + (raw ? 1 : 0) > 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "give one of --json, --body or --raw, not several");
    }
    try (Options.Store s = db.open(spec, 1)) {
      Optional<MessageDetails> found = s.admin().show(id);
      if (found.isEmpty()) {
        return error("no message " + id);
      }
      MessageDetails d = found.get();
      Optional<MessageContent> content = s.admin().content(id).map(MessageContent::parse);
      if ((body || raw) && content.isEmpty()) {
        return error(
            "the content of "
                + id
                + " is not stored: it was dropped when the message finished "
                + "(the store does not retain bodies)");
      }
      if (raw) {
        // The bytes as stored, for a pipe or a file: nothing escaped, nothing converted.
        System.out.write(s.admin().content(id).orElseThrow());
        System.out.flush();
        return 0;
      }
      PrintWriter out = spec.commandLine().getOut();
      if (body) {
        out.print(MessageContent.printableText(content.get().text()));
        out.flush();
        return 0;
      }
      if (json) {
        Map<String, Object> o = QueueJson.details(d);
        o.put("content", content.map(MessageContent::json).orElse(null));
        out.println(Json.write(o));
        out.flush();
        return 0;
      }
      MessageView v = d.message();
      out.println("id:          " + v.id());
      out.println("message-id:  " + Table.printable(v.messageIdHeader()));
      out.println("state:       " + v.state());
      if (d.leaseOwner() != null) {
        out.println("lease:       " + Table.printable(d.leaseOwner()) + " until " + d.leaseUntil());
      }
      out.println("from:        " + v.envelopeFrom().address());
      if (content.isPresent()) {
        MessageContent c = content.get();
        out.println("subject:     " + (c.subject() == null ? "-" : Table.printable(c.subject())));
        out.println("to:          " + (c.to() == null ? "-" : Table.printable(c.to())));
        out.println("content:     " + Table.printable(c.summary()));
      } else {
        out.println("content:     - (dropped when the message finished)");
      }
      out.println("tag:         " + (v.tag() == null ? "-" : Table.printable(v.tag())));
      out.println("priority:    " + v.priority());
      out.println("size:        " + d.sizeBytes() + " bytes");
      out.println("created:     " + v.createdAt());
      out.println("due:         " + (v.dueAt() == null ? "-" : v.dueAt()));
      out.println("expires:     " + v.expiresAt());
      out.println(
          "attempts:    "
              + v.attempts()
              + (v.uncertainAttempts() > 0 ? " (" + v.uncertainAttempts() + " uncertain)" : ""));
      out.println();
      Table r = new Table("RECIPIENT", "STATUS", "LAST REPLY");
      for (MessageView.Recipient rc : v.recipients()) {
        r.row(rc.address().address(), rc.status(), MailQueueCli.reply(rc.lastReply()));
      }
      r.print(out);
      out.println();
      Table a =
          new Table("FINISHED", "HOST", "OUTCOME", "REPLY", "DURATION", "COUNTED", "UNCERTAIN");
      for (AttemptView at : d.attempts()) {
        a.row(
            at.finishedAt(),
            at.remoteHost(),
            at.outcome(),
            MailQueueCli.reply(at.reply()),
            at.duration().toMillis() + " ms",
            at.counted(),
            at.uncertain());
      }
      a.print(out);
      return 0;
    }
  }

  private int error(String message) {
    spec.commandLine().getErr().println("error: " + message);
    spec.commandLine().getErr().flush();
    return 1;
  }
}
