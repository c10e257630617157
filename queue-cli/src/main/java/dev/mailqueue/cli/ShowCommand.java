package dev.mailqueue.cli;

import dev.mailqueue.AttemptView;
import dev.mailqueue.MessageDetails;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageView;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mailqueue show ID}: one message with its recipients and attempts, like {@code postcat -q}. */
@Command(name = "show", description = "Show one message: recipients with their last replies, and every attempt.")
final class ShowCommand implements Callable<Integer> {
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
          ro.put("lastReply", MailQueueCli.replyJson(r.lastReply()));
          rcpts.add(ro);
        }
        o.put("recipients", rcpts);
        List<Object> attempts = new ArrayList<>();
        for (AttemptView a : d.attempts()) {
          Map<String, Object> ao = Json.object();
          ao.put("finishedAt", a.finishedAt());
          ao.put("remoteHost", a.remoteHost());
          ao.put("outcome", a.outcome());
          ao.put("reply", MailQueueCli.replyJson(a.reply()));
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
        r.row(rc.address().address(), rc.status(), MailQueueCli.reply(rc.lastReply()));
      }
      r.print(out);
      out.println();
      Table a = new Table("FINISHED", "HOST", "OUTCOME", "REPLY", "DURATION", "COUNTED", "UNCERTAIN");
      for (AttemptView at : d.attempts()) {
        a.row(at.finishedAt(), at.remoteHost(), at.outcome(), MailQueueCli.reply(at.reply()), at.duration().toMillis() + " ms",
            at.counted(), at.uncertain());
      }
      a.print(out);
      return 0;
    }
  }
}
