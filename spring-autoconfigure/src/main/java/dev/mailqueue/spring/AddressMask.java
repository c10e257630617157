package dev.mailqueue.spring;

import dev.mailqueue.AttemptView;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageDetails;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.MessageView;
import dev.mailqueue.SmtpReply;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What the {@code mailqueue} endpoint shows of recipients unless {@code
 * mailqueue.endpoint.show-recipients=true}: each address by its domain only, as {@code
 * ***@example.org}, without display name, and every address in an SMTP reply text the same way
 * (servers echo the recipient: {@code 550 5.1.1 <bob@example.org>: user unknown}). The envelope
 * sender, ids, states, counts and reply codes are kept as they are.
 */
final class AddressMask {
  /** Stands for a hidden local part. */
  static final String HIDDEN = "***";

  /**
   * An address in free text: a quoted local part or one without whitespace, brackets and the
   * punctuation that surrounds addresses in replies, then {@code @} and a domain (group 1).
   */
  private static final Pattern ADDRESS =
      Pattern.compile(
          "(?:\"(?:[^\"\\\\]|\\\\.)*\"|[^\\s<>()\\[\\]{},;:\"'@]+)@([^\\s<>()\\[\\]{},;:\"'@]+)");

  private AddressMask() {}

  /** {@code ***@} and the address's domain, without display name. */
  static MailAddress mask(MailAddress address) {
    return MailAddress.of(HIDDEN + "@" + address.domain());
  }

  /** The reply with every address in its text masked; null for null. */
  static @Nullable SmtpReply mask(@Nullable SmtpReply reply) {
    return reply == null
        ? null
        : new SmtpReply(reply.code(), reply.enhancedStatus(), maskText(reply.text()));
  }

  /** The text with every address in it masked. */
  static String maskText(String text) {
    Matcher m = ADDRESS.matcher(text);
    return m.find() ? m.replaceAll(r -> Matcher.quoteReplacement(HIDDEN + "@" + r.group(1))) : text;
  }

  /**
   * The listing line with the addresses in its last reply masked (it names no recipient otherwise).
   */
  static MessageSummary mask(MessageSummary s) {
    return new MessageSummary(
        s.id(),
        s.state(),
        s.tag(),
        s.priority(),
        s.envelopeFrom(),
        s.recipients(),
        s.pendingRecipients(),
        s.sizeBytes(),
        s.attempts(),
        s.createdAt(),
        s.dueAt(),
        mask(s.lastReply()));
  }

  /** The details with every recipient and every address in a reply masked. */
  static MessageDetails mask(MessageDetails d) {
    MessageView v = d.message();
    MessageView masked =
        new MessageView(
            v.id(),
            v.messageIdHeader(),
            v.state(),
            v.tag(),
            v.priority(),
            v.attempts(),
            v.uncertainAttempts(),
            v.envelopeFrom(),
            v.createdAt(),
            v.dueAt(),
            v.expiresAt(),
            v.recipients().stream()
                .map(
                    r ->
                        new MessageView.Recipient(
                            mask(r.address()), r.status(), mask(r.lastReply())))
                .toList());
    return new MessageDetails(
        masked,
        d.sizeBytes(),
        d.attempts().stream()
            .map(
                a ->
                    new AttemptView(
                        a.finishedAt(),
                        a.remoteHost(),
                        a.outcome(),
                        mask(a.reply()),
                        a.duration(),
                        a.counted(),
                        a.uncertain()))
            .toList());
  }
}
