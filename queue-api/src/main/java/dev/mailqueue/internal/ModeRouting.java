package dev.mailqueue.internal;

import dev.mailqueue.DeliveryMode;
import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each recipient of an attempt goes, in front of the transport: simulator addresses to the
 * {@link Simulator} (every mode), recipients the {@link DeliveryMode} keeps are captured, the rest
 * go to the transport (to the redirect inboxes in redirect mode). The parts' results are merged
 * into one; {@link RetryDecision} turns it into states as for any transport.
 */
final class ModeRouting {
  /** The header naming the original recipients of a redirected message. */
  static final String ORIGINAL_TO = "X-Mailqueue-Original-To";

  /** Longest header line written, without CRLF (RFC 5322's recommended 78). */
  private static final int FOLD_AT = 78;

  private final DeliveryMode mode;
  private final Simulator simulator;
  private final SmtpReply capturedReply;

  ModeRouting(DeliveryMode mode, Simulator simulator) {
    this.mode = mode;
    this.simulator = simulator;
    this.capturedReply =
        SmtpReply.local(
            250,
            "2.0.0",
            mode.kind() == DeliveryMode.Kind.ALLOW
                ? "captured (mode allow: address and domain not listed), not sent"
                : "captured (mode " + mode.kind().label() + "), not sent");
  }

  DeliveryMode mode() {
    return mode;
  }

  /** Stops simulated slow deliveries from waiting: the queue is closing. */
  void close() {
    simulator.close();
  }

  /**
   * Delivers one attempt: {@code out}'s recipients are {@code mail}'s pending recipients, in order.
   * A transport that throws is the caller's to handle, as without modes.
   */
  DeliveryResult deliver(ClaimedMail mail, OutboundMail out, MailTransport transport) {
    List<PendingRecipient> simulated = new ArrayList<>();
    List<MailAddress> captured = new ArrayList<>();
    List<MailAddress> sent = new ArrayList<>();
    for (PendingRecipient p : mail.recipients()) {
      if (Simulator.handles(p.address())) {
        simulated.add(p);
      } else if (mode.sends(p.address())) {
        sent.add(p.address());
      } else {
        captured.add(p.address());
      }
    }
    if (simulated.isEmpty() && captured.isEmpty() && mode.isLive()) {
      return transport.deliver(out); // the production path, unchanged
    }
    List<DeliveryResult> parts = new ArrayList<>(3);
    if (!simulated.isEmpty()) {
      parts.add(simulator.deliver(simulated));
    }
    if (!captured.isEmpty()) {
      parts.add(DeliveryResult.all(captured, RecipientStatus.CAPTURED, capturedReply, null));
    }
    if (!sent.isEmpty()) {
      OutboundMail part = out.withRecipients(sent);
      parts.add(
          mode.kind() == DeliveryMode.Kind.REDIRECT
              ? redirect(part, transport)
              : transport.deliver(part));
    }
    return parts.size() == 1 ? parts.get(0) : DeliveryResult.merge(out.recipients(), parts);
  }

  /**
   * Sends {@code out} to the inboxes with a header naming its recipients, and gives each original
   * recipient the redirected delivery's outcome: deferred if an inbox was deferred (the whole
   * message is sent again), else bounced if one bounced, else delivered.
   */
  private DeliveryResult redirect(OutboundMail out, MailTransport transport) {
    byte[] header = originalToHeader(out.recipients());
    byte[] mime = new byte[header.length + out.mime().length];
    System.arraycopy(header, 0, mime, 0, header.length);
    System.arraycopy(out.mime(), 0, mime, header.length, out.mime().length);
    List<MailAddress> inboxes = mode.redirectTo();
    OutboundMail redirected =
        new OutboundMail(
            out.id(),
            out.messageIdHeader(),
            out.envelopeFrom(),
            inboxes,
            mime,
            out.attempt(),
            out.tag(),
            SmtpUtf8.required(out.envelopeFrom(), inboxes, mime));
    DeliveryResult result = transport.deliver(redirected);
    RecipientOutcome worst = null;
    for (RecipientOutcome o : result.recipients()) {
      if (worst == null || rank(o.status()) > rank(worst.status())) {
        worst = o;
      }
    }
    List<RecipientOutcome> outcomes = new ArrayList<>(out.recipients().size());
    for (MailAddress original : out.recipients()) {
      outcomes.add(
          worst == null
              ? new RecipientOutcome(original, RecipientStatus.DEFERRED, RetryDecision.NOT_REPORTED)
              : new RecipientOutcome(original, worst.status(), worst.reply()));
    }
    boolean deferred = worst == null || worst.status() == RecipientStatus.DEFERRED;
    return new DeliveryResult(
        outcomes,
        deferred ? result.kind() : DeliveryResult.Kind.NORMAL,
        deferred ? result.retryAfter() : null,
        result.remoteHost());
  }

  private static int rank(RecipientStatus s) {
    return switch (s) {
      case DEFERRED -> 2;
      case BOUNCED -> 1;
      default -> 0;
    };
  }

  /**
   * {@code X-Mailqueue-Original-To: a@x, b@y} folded at commas to lines of at most 78 characters
   * where the addresses allow. Addresses cannot hold CR or LF ({@link MailAddress} refuses them),
   * so no header can be injected; display names are left out.
   */
  static byte[] originalToHeader(List<MailAddress> recipients) {
    StringBuilder sb = new StringBuilder(ORIGINAL_TO).append(':');
    int lineLength = sb.length();
    for (int i = 0; i < recipients.size(); i++) {
      String a = recipients.get(i).address();
      String piece = a + (i < recipients.size() - 1 ? "," : "");
      if (lineLength + 1 + piece.length() > FOLD_AT && lineLength > ORIGINAL_TO.length() + 1) {
        sb.append("\r\n");
        lineLength = 0;
      }
      sb.append(' ').append(piece);
      lineLength += 1 + piece.length();
    }
    return sb.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
  }
}
