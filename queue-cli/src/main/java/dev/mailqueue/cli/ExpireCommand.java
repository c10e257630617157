package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import picocli.CommandLine.Command;

/** {@code mailqueue expire}: give up on unfinished messages. */
@Command(name = "expire", description = "Give up on unfinished messages: pending recipients EXPIRED.")
final class ExpireCommand extends OperationCommand {
  @Override
  String verb() {
    return "expired";
  }

  @Override
  int apply(MailQueueAdmin admin, MessageFilter filter) {
    return admin.expire(filter);
  }
}
