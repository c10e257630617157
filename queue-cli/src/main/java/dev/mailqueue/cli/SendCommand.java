package dev.mailqueue.cli;

import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.Priority;
import dev.mailqueue.spi.DeliveryResult;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Enqueues one mail, composed from flags or read as an RFC 5322 message (like sendmail). */
@Command(
    name = "send",
    description =
        "Enqueue one mail: composed from --subject/--text, or a whole RFC 5322 "
            + "message read from --message FILE (or - for stdin) with the envelope from --from/--to, like sendmail. "
            + "Prints the message id; a running dispatcher delivers it.")
final class SendCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;
  @Mixin Options.Output output;

  @Option(
      names = "--from",
      required = true,
      paramLabel = "ADDRESS",
      description = "Sender (envelope, and From header).")
  String from;

  @Option(
      names = "--to",
      required = true,
      split = ",",
      paramLabel = "ADDRESS",
      description = "Recipients.")
  List<String> to = new ArrayList<>();

  @Option(names = "--subject", description = "Subject (composed mail).")
  String subject;

  @Option(names = "--text", description = "Plain-text body (composed mail).")
  String text;

  @Option(
      names = "--message",
      paramLabel = "FILE",
      description = "A complete RFC 5322 message; - reads stdin.")
  String message;

  @Option(names = "--tag", description = "Tag, for retry policies, quotas and filters.")
  String tag;

  @Option(
      names = "--priority",
      defaultValue = "NORMAL",
      description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Priority priority;

  @Override
  public Integer call() throws IOException {
    Mail mail;
    try {
      mail = message != null ? fromMessage() : composed();
    } catch (InvalidMailException | IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try (Options.Store s = db.open(spec, 1);
        MailQueue queue =
            MailQueue.builder()
                .store(s.store())
                // Enqueue only: this process never delivers; a dispatcher (mailqueue run, or the
                // application) does.
                .transport(
                    m ->
                        DeliveryResult.all(
                            m.recipients(),
                            dev.mailqueue.RecipientStatus.DEFERRED,
                            dev.mailqueue.SmtpReply.local(451, "4.3.0", "the CLI does not deliver"),
                            null))
                .build()) {
      MessageId id = queue.enqueue(mail);
      if (output.json) {
        Map<String, Object> o = Json.object();
        o.put("id", id);
        spec.commandLine().getOut().println(Json.write(o));
      } else {
        spec.commandLine().getOut().println(id);
      }
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  private Mail composed() {
    if (text == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "give --text (and --subject), or --message FILE");
    }
    Mail.Builder b =
        Mail.builder().from(from).to(to.toArray(String[]::new)).text(text).priority(priority);
    if (subject != null) {
      b.subject(subject);
    }
    if (tag != null) {
      b.tag(tag);
    }
    return b.build();
  }

  private Mail fromMessage() throws IOException {
    if (subject != null || text != null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--message excludes --subject and --text");
    }
    MimeMessage parsed;
    try (InputStream in =
        message.equals("-") ? System.in : Files.newInputStream(Path.of(message))) {
      parsed = new MimeMessage(Session.getInstance(new Properties()), in);
    } catch (MessagingException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "cannot parse " + message + ": " + e.getMessage());
    }
    Mail.Builder b =
        Mail.ofMimeMessage(parsed, MailAddress.of(from))
            .to(to.toArray(String[]::new))
            .priority(priority);
    if (tag != null) {
      b.tag(tag);
    }
    return b.build();
  }
}
