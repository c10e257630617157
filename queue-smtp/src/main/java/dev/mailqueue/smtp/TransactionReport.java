package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.RecordingSmtpTransport.Exchange;
import dev.mailqueue.smtp.ReplyClassifier.Stage;
import dev.mailqueue.spi.DeliveryResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns what was said in one mail transaction (MAIL, RCPT..., DATA, ".") into one outcome per
 * recipient. Whatever Angus threw is only used to describe a failure, never to decide it.
 */
final class TransactionReport {
  private TransactionReport() {}

  /**
   * @param exchanges the replies of the transaction, in order
   * @param recipients the recipients in the order their RCPT commands were sent
   * @param endOfDataSent whether the final "." reached the socket
   * @param lost the reply for recipients whose command got no reply (connection lost, deadline)
   */
  static DeliveryResult of(
      List<Exchange> exchanges,
      List<MailAddress> recipients,
      boolean endOfDataSent,
      SmtpReply lost,
      SmtpReply uncertain,
      String host) {
    Exchange mail = null;
    Exchange data = null;
    Exchange dot = null;
    List<Exchange> rcpts = new ArrayList<>();
    SmtpReply closing = null;
    for (Exchange e : exchanges) {
      if (ReplyClassifier.closesSession(e.code())) {
        closing = ReplyClassifier.parse(e.code(), e.response());
      }
      if (e.is("MAIL FROM")) {
        mail = e;
      } else if (e.is("RCPT TO")) {
        rcpts.add(e);
      } else if (e.is("DATA")) {
        data = e;
      } else if (".".equals(e.command())) {
        dot = e;
      }
    }
    SmtpReply noReply = closing != null ? closing : lost;

    if (mail == null) {
      return DeliveryResult.all(recipients, RecipientStatus.DEFERRED, noReply, host);
    }
    SmtpReply mailReply = ReplyClassifier.parse(mail.code(), mail.response());
    if (!mailReply.isPositive()) {
      return DeliveryResult.all(
          recipients, ReplyClassifier.classify(Stage.MAIL, mailReply), mailReply, host);
    }

    RecipientOutcome[] outcomes = new RecipientOutcome[recipients.size()];
    List<Integer> accepted = new ArrayList<>();
    for (int i = 0; i < recipients.size(); i++) {
      if (i < rcpts.size()) {
        SmtpReply r = ReplyClassifier.parse(rcpts.get(i).code(), rcpts.get(i).response());
        if (r.isPositive()) {
          accepted.add(i);
        } else {
          outcomes[i] =
              new RecipientOutcome(recipients.get(i), ReplyClassifier.classify(Stage.RCPT, r), r);
        }
      } else {
        outcomes[i] = new RecipientOutcome(recipients.get(i), RecipientStatus.DEFERRED, noReply);
      }
    }

    boolean uncertainResult = false;
    SmtpReply acceptedReply;
    RecipientStatus acceptedStatus;
    if (accepted.isEmpty()) {
      return DeliveryResult.of(List.of(outcomes), host);
    } else if (data == null) {
      acceptedReply = noReply;
      acceptedStatus = RecipientStatus.DEFERRED;
    } else if (data.code() != 354) {
      acceptedReply = ReplyClassifier.parse(data.code(), data.response());
      acceptedStatus =
          acceptedReply.isPositive()
              ? RecipientStatus.DEFERRED // 2xx instead of 354: nothing was sent
              : ReplyClassifier.classify(Stage.DATA, acceptedReply);
    } else if (dot != null) {
      acceptedReply = ReplyClassifier.parse(dot.code(), dot.response());
      acceptedStatus = ReplyClassifier.classify(Stage.END_OF_DATA, acceptedReply);
    } else if (endOfDataSent && closing == null) {
      uncertainResult = true;
      acceptedReply = uncertain;
      acceptedStatus = RecipientStatus.DEFERRED;
    } else {
      acceptedReply = noReply;
      acceptedStatus = RecipientStatus.DEFERRED;
    }
    for (int i : accepted) {
      outcomes[i] = new RecipientOutcome(recipients.get(i), acceptedStatus, acceptedReply);
    }
    if (!uncertainResult) {
      return DeliveryResult.of(List.of(outcomes), host);
    }
    // uncertain describes the accepted recipients; those refused at RCPT keep their own outcome
    return new DeliveryResult(List.of(outcomes), DeliveryResult.Kind.UNCERTAIN, null, host);
  }
}
