package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageState;
import java.util.EnumSet;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code mailqueue expire}: give up on unfinished messages. */
@Command(
    name = "expire",
    description = "Give up on unfinished messages: pending recipients EXPIRED.")
final class ExpireCommand extends OperationCommand {
  @Override
  String verb() {
    return "expired";
  }

  @Override
  int apply(MailQueueAdmin admin, MessageFilter filter) {
    return admin.expire(filter);
  }

  @Override
  Set<MessageState> appliesTo() {
    return EnumSet.of(MessageState.QUEUED, MessageState.DEFERRED, MessageState.HOLD);
  }
}
