package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageState;
import java.util.EnumSet;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code mailqueue release}: like {@code postsuper -H}. */
@Command(name = "release", description = "Release held messages (postsuper -H): due now.")
final class ReleaseCommand extends OperationCommand {
  @Override
  String verb() {
    return "released";
  }

  @Override
  int apply(MailQueueAdmin admin, MessageFilter filter) {
    return admin.release(filter);
  }

  @Override
  Set<MessageState> appliesTo() {
    return EnumSet.of(MessageState.HOLD);
  }
}
