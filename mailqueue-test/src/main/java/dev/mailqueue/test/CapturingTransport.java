package dev.mailqueue.test;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.util.ArrayList;
import java.util.List;

/**
 * A transport that sends nothing: it answers each recipient as the mailbox's script for it says
 * (delivered by default) and hands the attempt to the mailbox.
 */
final class CapturingTransport implements MailTransport {
  /** The remote host the engine records, so that views and logs say where the mail "went". */
  static final String HOST = "mailbox.mailqueue-test.invalid";

  private final Mailbox mailbox;

  CapturingTransport(Mailbox mailbox) {
    this.mailbox = mailbox;
  }

  @Override
  public DeliveryResult deliver(OutboundMail mail) {
    List<RecipientOutcome> outcomes = new ArrayList<>(mail.recipients().size());
    boolean uncertain = false;
    for (var recipient : mail.recipients()) {
      RecipientScript.Step step = mailbox.scriptFor(recipient).next();
      RecipientStatus status =
          switch (step.kind()) {
            case DELIVER -> RecipientStatus.DELIVERED;
            case BOUNCE -> RecipientStatus.BOUNCED;
            case DEFER, UNCERTAIN -> RecipientStatus.DEFERRED;
          };
      uncertain |= step.kind() == RecipientScript.Kind.UNCERTAIN;
      outcomes.add(new RecipientOutcome(recipient, status, step.reply()));
    }
    // Captured before the result goes back, so that awaitDelivered() waits for its events.
    mailbox.capture(mail, outcomes);
    return new DeliveryResult(
        outcomes,
        uncertain ? DeliveryResult.Kind.UNCERTAIN : DeliveryResult.Kind.NORMAL,
        null,
        HOST);
  }

  @Override
  public String toString() {
    return "mailqueue-test capturing transport";
  }
}
