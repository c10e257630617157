package dev.mailqueue.cli;

import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import java.util.EnumSet;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code mailqueue retry}: like {@code postqueue -f}. */
@Command(name = "retry", description = "Make queued or deferred messages due now (postqueue -f).")
final class RetryCommand extends OperationCommand {
  @Override
  String verb() {
    return "retried";
  }

  @Override
  int apply(MailQueueAdmin admin, MessageFilter filter) {
    return admin.retryNow(filter);
  }

  @Override
  Set<MessageState> appliesTo() {
    return EnumSet.of(MessageState.QUEUED, MessageState.DEFERRED);
  }

  @Override
  String unchangedReason(MessageView message) {
    return "it is due already";
  }
}
