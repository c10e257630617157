package dev.mailqueue.test;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.Priority;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One delivery attempt as the capturing transport saw it: the envelope, the outcome it gave each
 * recipient, and the message, decoded on first use (quoted-printable and base64 undone, charsets
 * applied, line ends as {@code \n}).
 *
 * <p>Immutable and thread-safe. A message the queue tried three times (two scripted deferrals, then
 * delivered) is captured three times, once per attempt; {@link Mailbox#sent()} holds the attempts
 * that delivered to at least one recipient.
 */
public final class CapturedMail {
  private static final Session SESSION = Session.getInstance(new Properties());

  private final MessageId id;
  private final String messageIdHeader;
  private final int attempt;
  private final MailAddress envelopeFrom;
  private final List<RecipientOutcome> outcomes;
  private final @Nullable String tag;
  private final byte[] mime;
  private final Function<MessageId, @Nullable Priority> priorities;
  private final Decoded decoded;

  CapturedMail(
      MessageId id,
      String messageIdHeader,
      int attempt,
      MailAddress envelopeFrom,
      List<RecipientOutcome> outcomes,
      @Nullable String tag,
      byte[] mime,
      Function<MessageId, @Nullable Priority> priorities) {
    this.id = Objects.requireNonNull(id, "id");
    this.messageIdHeader = messageIdHeader;
    this.attempt = attempt;
    this.envelopeFrom = envelopeFrom;
    this.outcomes = List.copyOf(outcomes);
    this.tag = tag;
    this.mime = mime.clone();
    this.priorities = priorities;
    this.decoded = Decoded.of(this.mime);
  }

  /** {@return the queue's id of the message} */
  public MessageId id() {
    return id;
  }

  /** {@return the Message-ID header, the same in every attempt of the message} */
  public String messageIdHeader() {
    return messageIdHeader;
  }

  /** {@return the attempt number, 1 for the first} */
  public int attempt() {
    return attempt;
  }

  /** {@return the envelope sender, MAIL FROM} */
  public MailAddress envelopeFrom() {
    return envelopeFrom;
  }

  /** {@return the envelope recipients of this attempt (RCPT TO), Bcc included} */
  public List<MailAddress> recipients() {
    return outcomes.stream().map(RecipientOutcome::recipient).toList();
  }

  /** {@return what the transport answered for each recipient of this attempt} */
  public List<RecipientOutcome> outcomes() {
    return outcomes;
  }

  /** {@return the recipients this attempt delivered to} */
  public List<MailAddress> deliveredTo() {
    return outcomes.stream()
        .filter(o -> o.status() == RecipientStatus.DELIVERED)
        .map(RecipientOutcome::recipient)
        .toList();
  }

  /** {@return the mail's tag, or {@code null} if it has none} */
  public @Nullable String tag() {
    return tag;
  }

  /**
   * The mail's priority, read from the queue (it is not part of the message).
   *
   * @return the priority, or {@code null} if the queue no longer knows the message (purged)
   */
  public @Nullable Priority priority() {
    return priorities.apply(id);
  }

  /** {@return a copy of the message as it would have gone over SMTP} */
  public byte[] mime() {
    return mime.clone();
  }

  /** {@return the message as Jakarta Mail reads it, for what the other accessors do not cover} */
  public MimeMessage mimeMessage() {
    try {
      return new MimeMessage(SESSION, new ByteArrayInputStream(mime));
    } catch (MessagingException e) {
      throw new IllegalStateException("the captured message cannot be parsed", e);
    }
  }

  /** {@return the From header's addresses, decoded} */
  public List<MailAddress> from() {
    return decoded.from;
  }

  /** {@return the To header's addresses, decoded} */
  public List<MailAddress> to() {
    return decoded.to;
  }

  /** {@return the Cc header's addresses, decoded} */
  public List<MailAddress> cc() {
    return decoded.cc;
  }

  /** {@return the Reply-To header's addresses, decoded} */
  public List<MailAddress> replyTo() {
    return decoded.replyTo;
  }

  /** {@return the envelope recipients in neither To nor Cc: the Bcc recipients} */
  public List<MailAddress> bcc() {
    List<String> visible = new ArrayList<>();
    decoded.to.forEach(a -> visible.add(key(a)));
    decoded.cc.forEach(a -> visible.add(key(a)));
    return recipients().stream().filter(a -> !visible.contains(key(a))).toList();
  }

  /** {@return the subject, decoded (RFC 2047), or {@code null} if there is none} */
  public @Nullable String subject() {
    return decoded.subject;
  }

  /** {@return the text/plain body, decoded, with {@code \n} line ends; {@code null} if none} */
  public @Nullable String text() {
    return decoded.text;
  }

  /** {@return the text/html body, decoded, with {@code \n} line ends; {@code null} if none} */
  public @Nullable String html() {
    return decoded.html;
  }

  /** {@return the attachments (parts with a file name or an attachment disposition), in order} */
  public List<CapturedAttachment> attachments() {
    return decoded.attachments;
  }

  /**
   * The first value of a header, unfolded and decoded (RFC 2047).
   *
   * @param name the header name, in any case
   * @return the value, or {@code null} if the message has no such header
   */
  public @Nullable String header(String name) {
    List<String> all = headers(name);
    return all.isEmpty() ? null : all.get(0);
  }

  /**
   * Every value of a header, unfolded and decoded (RFC 2047), in order.
   *
   * @param name the header name, in any case
   * @return the values; empty if the message has no such header
   */
  public List<String> headers(String name) {
    try {
      String[] values = mimeMessage().getHeader(name);
      if (values == null) {
        return List.of();
      }
      List<String> out = new ArrayList<>(values.length);
      for (String v : values) {
        out.add(MimeUtility.decodeText(MimeUtility.unfold(v)));
      }
      return out;
    } catch (MessagingException | IOException e) {
      throw new IllegalStateException("header " + name + " cannot be read", e);
    }
  }

  /**
   * Every http and https link, from the text body (as written) and from the HTML body's {@code
   * href} attributes (entities such as {@code &amp;} decoded), each once, text first.
   *
   * @return the links in order of appearance
   */
  public List<String> links() {
    return Links.find(decoded.text, decoded.html);
  }

  /**
   * The one link that contains {@code part}, e.g. the reset link: {@code link("/reset?token=")}.
   *
   * @param part what the link contains
   * @return the link
   * @throws AssertionError if no link or several different links contain it, naming the links
   */
  public String link(String part) {
    Objects.requireNonNull(part, "part");
    List<String> matching = links().stream().filter(l -> l.contains(part)).toList();
    if (matching.size() != 1) {
      throw new AssertionError(
          (matching.isEmpty() ? "no link" : matching.size() + " links")
              + " containing \""
              + part
              + "\" in message "
              + id
              + "; its links: "
              + links());
    }
    return matching.get(0);
  }

  /** {@return id, attempt, subject and outcomes, for assertion messages} */
  @Override
  public String toString() {
    StringBuilder sb =
        new StringBuilder("CapturedMail[").append(id).append(" attempt ").append(attempt);
    sb.append(", subject=").append(decoded.subject).append(", tag=").append(tag);
    for (RecipientOutcome o : outcomes) {
      sb.append(", ").append(o.recipient().address()).append(' ').append(o.status());
    }
    return sb.append(']').toString();
  }

  static String key(MailAddress a) {
    return a.address().toLowerCase(Locale.ROOT);
  }

  /** The message read once, when captured: a message that cannot be parsed fails the attempt. */
  private record Decoded(
      List<MailAddress> from,
      List<MailAddress> to,
      List<MailAddress> cc,
      List<MailAddress> replyTo,
      @Nullable String subject,
      @Nullable String text,
      @Nullable String html,
      List<CapturedAttachment> attachments) {

    static Decoded of(byte[] mime) {
      try {
        MimeMessage m = new MimeMessage(SESSION, new ByteArrayInputStream(mime));
        Bodies bodies = new Bodies();
        bodies.walk(m);
        return new Decoded(
            addresses(m.getFrom()),
            addresses(m.getRecipients(Message.RecipientType.TO)),
            addresses(m.getRecipients(Message.RecipientType.CC)),
            addresses(m.getHeader("Reply-To") == null ? null : m.getReplyTo()),
            m.getSubject(),
            bodies.text,
            bodies.html,
            List.copyOf(bodies.attachments));
      } catch (MessagingException e) {
        throw new IllegalStateException("the captured message cannot be parsed", e);
      } catch (IOException e) {
        throw new UncheckedIOException("the captured message cannot be decoded", e);
      }
    }

    private static List<MailAddress> addresses(Address @Nullable [] addresses) {
      if (addresses == null) {
        return List.of();
      }
      List<MailAddress> out = new ArrayList<>(addresses.length);
      for (Address a : addresses) {
        if (a instanceof InternetAddress ia && ia.getAddress() != null) {
          String personal = ia.getPersonal();
          out.add(
              personal == null || personal.isBlank()
                  ? MailAddress.of(ia.getAddress())
                  : MailAddress.of(ia.getAddress(), personal));
        }
      }
      return List.copyOf(out);
    }
  }

  /** Walks the part tree: the first text/plain and text/html inline parts, every attachment. */
  private static final class Bodies {
    @Nullable String text;
    @Nullable String html;
    final List<CapturedAttachment> attachments = new ArrayList<>();

    void walk(Part part) throws MessagingException, IOException {
      if (part.isMimeType("multipart/*")) {
        Multipart multipart = (Multipart) part.getContent();
        for (int i = 0; i < multipart.getCount(); i++) {
          BodyPart child = multipart.getBodyPart(i);
          walk(child);
        }
        return;
      }
      String filename = part.getFileName();
      boolean attachment = Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition());
      if (!attachment && filename == null && part.isMimeType("text/plain") && text == null) {
        text = lines(part.getContent().toString());
      } else if (!attachment && filename == null && part.isMimeType("text/html") && html == null) {
        html = lines(part.getContent().toString());
      } else {
        String type = new ContentType(part.getContentType()).getBaseType().toLowerCase(Locale.ROOT);
        try (InputStream in = part.getInputStream()) {
          attachments.add(
              new CapturedAttachment(
                  filename == null ? null : MimeUtility.decodeText(filename),
                  type,
                  in.readAllBytes()));
        }
      }
    }

    private static String lines(String s) {
      return s.replace("\r\n", "\n");
    }
  }
}
