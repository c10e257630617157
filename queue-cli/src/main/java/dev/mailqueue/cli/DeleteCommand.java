package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageState;
import java.util.EnumSet;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code mailqueue delete}: like {@code postsuper -d}. */
@Command(
    name = "delete",
    description = "Delete messages with their recipients and attempts (postsuper -d).")
final class DeleteCommand extends OperationCommand {
  @Override
  String verb() {
    return "deleted";
  }

  @Override
  int apply(MailQueueAdmin admin, MessageFilter filter) {
    return admin.delete(filter);
  }

  @Override
  Set<MessageState> appliesTo() {
    return EnumSet.allOf(MessageState.class);
  }
}
