package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageState;
import java.util.EnumSet;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code mailqueue hold}: like {@code postsuper -h}. */
@Command(
    name = "hold",
    description =
        "Hold queued or deferred messages (postsuper -h): nothing is sent until released.")
final class HoldCommand extends OperationCommand {
  @Override
  String verb() {
    return "held";
  }

  @Override
  int apply(MailQueueAdmin admin, MessageFilter filter) {
    return admin.hold(filter);
  }

  @Override
  Set<MessageState> appliesTo() {
    return EnumSet.of(MessageState.QUEUED, MessageState.DEFERRED);
  }
}
