package dev.mailqueue.internal;

import dev.mailqueue.Attachment;
import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.MessageId;
import jakarta.activation.DataHandler;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.ByteArrayDataSource;
import jakarta.mail.util.LineOutputStream;
import jakarta.mail.util.StreamProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Renders a {@link Mail} to the MIME bytes that every attempt will send, once, at enqueue. The
 * Message-ID is fixed here: {@code <queue-id@domain>}, or the ready message's own.
 */
public final class MimeRenderer {
  /**
   * Never written: Bcc is for the envelope only, and Content-Length would not survive the line-end
   * changes of an SMTP data stream. The one place both kinds of message are written ({@link
   * #write}).
   */
  private static final String[] OMITTED_HEADERS = {"Bcc", "Content-Length"};

  private static final ProviderLookup PROVIDER_LOOKUP =
      new ProviderLookup(MimeRenderer.class.getClassLoader());
  private static final Session ASCII_SESSION = session(false);
  private static final Session UTF8_SESSION = session(true);

  /**
   * Whether header lines may be written as UTF-8: Jakarta Mail's own default for the line stream of
   * a part (system property {@code mail.mime.allowutf8}, default true). Whether a header holds
   * UTF-8 at all is decided by the session's setting, when the headers are set.
   */
  private static final boolean ALLOW_UTF8_HEADERS =
      Boolean.parseBoolean(System.getProperty("mail.mime.allowutf8", "true"));

  private final long maxMessageSize;
  private final String messageIdDomain;

  /**
   * @param maxMessageSize largest rendered size in bytes
   * @param messageIdDomain domain for Message-IDs, or {@code null} for the From domain
   */
  public MimeRenderer(long maxMessageSize, String messageIdDomain) {
    this.maxMessageSize = maxMessageSize;
    this.messageIdDomain = messageIdDomain;
  }

  /** The rendered bytes and the Message-ID header they carry. */
  public record Rendered(byte[] mime, String messageIdHeader) {}

  /**
   * Renders {@code mail}; throws {@link InvalidMailException} if it is too large, a header is
   * unsafe, or a line cannot be brought within SMTP's limits ({@link LineRules}, {@link
   * ReadyMessage}).
   */
  public Rendered render(Mail mail, MessageId id) {
    return render(mail, id, new Date());
  }

  /** Renders {@code mail} with the given Date field (tests fix it). */
  Rendered render(Mail mail, MessageId id, Date date) {
    long attachmentBytes = 0;
    for (Attachment a : mail.attachments()) {
      attachmentBytes += a.content().length;
    }
    if (attachmentBytes > maxMessageSize) {
      throw tooLarge(attachmentBytes);
    }
    String messageId;
    byte[] mime;
    Thread thread = Thread.currentThread();
    ClassLoader callers = thread.getContextClassLoader();
    thread.setContextClassLoader(PROVIDER_LOOKUP);
    try {
      if (mail.mimeMessage() != null) {
        String existing = mail.mimeMessage().getMessageID();
        messageId = existing != null ? existing.strip() : messageId(id, mail.from());
        mime = ReadyMessage.render(mail.mimeMessage(), messageId);
      } else {
        messageId = messageId(id, mail.from());
        MimeMessage message = compose(mail, messageId, date);
        // The builder's values are checked when set; this holds what they render to (a subject or
        // header value too long to fold) to the same line rules as a ready message.
        mime =
            LineRules.checkHeaderSection(write(message, estimateSize(mail, attachmentBytes)), "");
      }
    } catch (MessagingException | IOException e) {
      throw new InvalidMailException("mime", "cannot be rendered: " + e.getMessage(), e);
    } finally {
      thread.setContextClassLoader(callers);
    }
    if (mime.length > maxMessageSize) {
      throw tooLarge(mime.length);
    }
    return new Rendered(mime, messageId);
  }

  /** The bytes of {@code message} as stored and sent: without the {@link #OMITTED_HEADERS}. */
  static byte[] write(MimeMessage message, int sizeHint) throws MessagingException, IOException {
    MimeOutput out = new MimeOutput(sizeHint, ALLOW_UTF8_HEADERS);
    message.writeTo(out, OMITTED_HEADERS);
    return out.toByteArray();
  }

  private InvalidMailException tooLarge(long size) {
    return new InvalidMailException(
        "size",
        size
            + " bytes exceeds the limit of "
            + maxMessageSize
            + " bytes; raise maxMessageSize or send a link instead of the attachment");
  }

  private static int estimateSize(Mail mail, long attachmentBytes) {
    long text =
        (mail.text() == null ? 0 : mail.text().length())
            + (mail.html() == null ? 0 : mail.html().length());
    return (int)
        Math.min(Integer.MAX_VALUE - 16, 2048 + text * 11 / 10 + attachmentBytes * 14 / 10);
  }

  private static MimeMessage compose(Mail mail, String messageId, Date date)
      throws MessagingException {
    FixedIdMimeMessage m =
        new FixedIdMimeMessage(mail.smtpUtf8() ? UTF8_SESSION : ASCII_SESSION, messageId);
    m.setFrom(internet(mail.from()));
    if (!mail.replyTo().isEmpty()) {
      m.setReplyTo(internet(mail.replyTo()));
    }
    if (!mail.to().isEmpty()) {
      m.setRecipients(MimeMessage.RecipientType.TO, internet(mail.to()));
    }
    if (!mail.cc().isEmpty()) {
      m.setRecipients(MimeMessage.RecipientType.CC, internet(mail.cc()));
    }
    if (mail.subject() != null) {
      m.setSubject(mail.subject(), "UTF-8");
    }
    m.setSentDate(date);
    for (Map.Entry<String, String> h : mail.headers().entrySet()) {
      m.setHeader(h.getKey(), encodeHeader(h.getKey(), h.getValue()));
    }

    List<Attachment> inline = new ArrayList<>();
    List<Attachment> attached = new ArrayList<>();
    for (Attachment a : mail.attachments()) {
      (a.contentId() != null && mail.html() != null ? inline : attached).add(a);
    }
    if (attached.isEmpty()) {
      fillBody(m, mail, inline);
    } else {
      MimeMultipart mixed = new MimeMultipart("mixed");
      MimeBodyPart body = new EncodedBodyPart();
      fillBody(body, mail, inline);
      mixed.addBodyPart(body);
      for (Attachment a : attached) {
        mixed.addBodyPart(attachmentPart(a, Part.ATTACHMENT));
      }
      m.setContent(mixed);
    }
    m.saveChanges();
    encodeLeaves(m);
    return m;
  }

  /** Text, HTML (with its inline parts), or both as multipart/alternative. */
  private static void fillBody(MimePart target, Mail mail, List<Attachment> inline)
      throws MessagingException {
    if (mail.text() != null && mail.html() != null) {
      MimeMultipart alternative = new MimeMultipart("alternative");
      MimeBodyPart text = new EncodedBodyPart();
      fillBody(text, mail.text(), null, List.of());
      alternative.addBodyPart(text);
      MimeBodyPart html = new EncodedBodyPart();
      fillBody(html, null, mail.html(), inline);
      alternative.addBodyPart(html);
      target.setContent(alternative);
    } else {
      fillBody(target, mail.text(), mail.html(), inline);
    }
  }

  private static void fillBody(MimePart target, String text, String html, List<Attachment> inline)
      throws MessagingException {
    if (text != null) {
      setText(target, text, "plain");
    } else if (inline.isEmpty()) {
      setText(target, html, "html");
    } else {
      MimeMultipart related = new MimeMultipart("related");
      MimeBodyPart htmlPart = new EncodedBodyPart();
      setText(htmlPart, html, "html");
      related.addBodyPart(htmlPart);
      for (Attachment a : inline) {
        related.addBodyPart(attachmentPart(a, Part.INLINE));
      }
      target.setContent(related);
    }
  }

  /**
   * Sets a UTF-8 text body from bytes prepared by {@link TextBody} (line ends and encoding choice
   * in one pass over the text, then UTF-8). Not {@code setText}: Angus's text handler writes the
   * string through a stream that passes it on one byte at a time (a fifth of the rendering time),
   * and {@code saveChanges()} would scan the content again to choose the transfer encoding. The
   * bytes on the wire are the same.
   */
  private static void setText(MimePart target, String text, String subtype)
      throws MessagingException {
    TextBody body = TextBody.of(text);
    setBytes(target, body.utf8(), textType(subtype), body.transferEncoding());
  }

  /** The Content-Type of a text body, which is always UTF-8 ({@code subtype}: plain or html). */
  private static String textType(String subtype) {
    return "text/" + subtype + "; charset=UTF-8";
  }

  /** A text body with CRLF line ends, as UTF-8, and the transfer encoding it needs. */
  record TextBody(byte[] utf8, String transferEncoding) {
    /** SMTP's limit: 1,000 octets per line including the CRLF (RFC 5321, 4.5.3.1.6). */
    private static final int MAX_LINE = 998;

    /**
     * Line ends become CRLF (stored bodies have CRLF only, so the bytes on the wire equal the bytes
     * stored); 7bit for short-lined ASCII, quoted-printable for mostly ASCII, base64 otherwise (by
     * UTF-16 units, as the text's characters are counted).
     */
    static TextBody of(String text) {
      // Encode first and work on bytes: for ASCII text getBytes is a plain array copy, and a
      // byte loop costs a third of a charAt loop. CR and LF never occur inside a UTF-8 sequence.
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      int n = utf8.length;
      byte[] crlf = new byte[n + n / 16 + 16];
      int length = 0;
      int units = 0;
      int nonAscii = 0;
      int lineStart = 0;
      boolean longLine = false;
      int i = 0;
      while (i < n) {
        // Printable ASCII runs are copied whole; a tight scan for the end of one is what makes
        // this fast (a loop that looks at every byte's case cost three times more).
        int run = i;
        while (i < n && utf8[i] >= 0x20) {
          i++;
        }
        int runLength = i - run;
        if (length + runLength + 2 > crlf.length) {
          crlf = Arrays.copyOf(crlf, Math.max(crlf.length * 2, length + runLength + 2));
        }
        System.arraycopy(utf8, run, crlf, length, runLength);
        length += runLength;
        units += runLength;
        if (i == n) {
          break;
        }
        byte b = utf8[i++];
        if (b == '\r' || b == '\n') {
          if (b == '\r' && i < n && utf8[i] == '\n') {
            i++;
          }
          longLine |= length - lineStart > MAX_LINE;
          crlf[length++] = '\r';
          crlf[length++] = '\n';
          units += 2;
          lineStart = length;
          continue;
        }
        if (b < 0) {
          if ((b & 0xC0) == 0xC0) { // a lead byte: one character, two UTF-16 units beyond the BMP
            int charUnits = (b & 0xF8) == 0xF0 ? 2 : 1;
            nonAscii += charUnits;
            units += charUnits;
          }
        } else {
          if (b != '\t') {
            nonAscii++;
          }
          units++;
        }
        crlf[length++] = b;
      }
      longLine |= length - lineStart > MAX_LINE;
      return new TextBody(
          length == crlf.length ? crlf : Arrays.copyOf(crlf, length),
          encoding(nonAscii, longLine, units));
    }

    private static String encoding(int nonAscii, boolean longLine, int length) {
      return nonAscii == 0 && !longLine
          ? "7bit"
          : nonAscii * 3 > length ? "base64" : "quoted-printable";
    }
  }

  private static MimeBodyPart attachmentPart(Attachment a, String disposition)
      throws MessagingException {
    EncodedBodyPart part = new EncodedBodyPart();
    setBytes(part, a.content(), a.contentType(), attachmentEncoding(a.contentType(), a.content()));
    try {
      part.setFileName(MimeUtility.encodeText(a.filename(), "UTF-8", null));
    } catch (UnsupportedEncodingException e) {
      throw new MailQueueException("UTF-8 is always supported", e);
    }
    part.setDisposition(disposition);
    if (a.contentId() != null) {
      part.setContentID("<" + a.contentId() + ">");
    }
    return part;
  }

  /**
   * The transfer encoding that brings an attachment's bytes to the recipient unchanged. Not Angus's
   * choice, which is 7bit for any content that happens to be ASCII: an SMTP data stream turns a
   * bare CR or LF into CRLF, so a binary file of ASCII bytes arrived changed. A text part is 7bit
   * only when it is already canonical ({@link LineRules#isSevenBit}), base64 otherwise; a {@code
   * message/*} part is always 7bit, as RFC 2046 5.2.1 requires ({@link Attachment} only accepts
   * canonical 7bit content for it); any other part is base64, whatever its bytes.
   */
  static String attachmentEncoding(String contentType, byte[] content) {
    String type = contentType.toLowerCase(Locale.ROOT);
    if (type.startsWith("message/")) {
      return "7bit";
    }
    return type.startsWith("text/") && LineRules.isSevenBit(content) ? "7bit" : "base64";
  }

  private String messageId(MessageId id, MailAddress from) {
    String domain = messageIdDomain != null ? messageIdDomain : from.domain();
    return "<" + id + "@" + domain + ">";
  }

  private static String encodeHeader(String name, String value) {
    try {
      return MimeUtility.fold(name.length() + 2, MimeUtility.encodeText(value, "UTF-8", null));
    } catch (UnsupportedEncodingException e) {
      throw new MailQueueException("UTF-8 is always supported", e);
    }
  }

  private static InternetAddress internet(MailAddress a) {
    try {
      return a.displayName() == null
          ? new InternetAddress(a.address(), null, "UTF-8")
          : new InternetAddress(a.address(), a.displayName(), "UTF-8");
    } catch (UnsupportedEncodingException e) {
      throw new MailQueueException("UTF-8 is always supported", e);
    }
  }

  private static InternetAddress[] internet(List<MailAddress> list) {
    InternetAddress[] result = new InternetAddress[list.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = internet(list.get(i));
    }
    return result;
  }

  /**
   * A session for composing. Of the {@code mail.mime.*} settings, {@code MimeMessage} reads only
   * {@code allowutf8} and {@code address.strict} from its session; the rest, and the choice of
   * {@code jakarta.mail.util.StreamProvider}, are read from system properties, which are the
   * application's to set: this class sets none.
   */
  private static Session session(boolean utf8) {
    Properties p = new Properties();
    p.setProperty("mail.mime.allowutf8", Boolean.toString(utf8));
    return Session.getInstance(p);
  }

  /**
   * The context class loader while rendering. Jakarta Mail looks its {@code StreamProvider} up anew
   * for every body part and multipart it creates, and for every part it writes or encodes: from the
   * system property {@code jakarta.mail.util.StreamProvider} if set, else by a {@code
   * ServiceLoader} scan of the context class loader's whole class path (measured: ~100 us a lookup
   * on the benchmarks' class path). No {@code Session} property names it, and a system property
   * would change the whole JVM. Writing and encoding no longer look it up ({@link MimeOutput},
   * {@link #encodeLeaves}); for the lookups left, one per part created, this loader answers that
   * one scan from memory with the provider the scan would find in Angus's jar, and leaves
   * everything else to {@code parent}. An application's system property still wins: it is read
   * before any scan.
   */
  private static final class ProviderLookup extends ClassLoader {
    private static final String SERVICE = "META-INF/services/jakarta.mail.util.StreamProvider";
    private static final String ANGUS_PROVIDER = "org.eclipse.angus.mail.util.MailStreamProvider";

    static {
      registerAsParallelCapable();
    }

    private final URL angusProvider;

    ProviderLookup(ClassLoader parent) {
      super("mailqueue-mime", parent);
      URL found = null;
      try {
        for (URL url : Collections.list(parent.getResources(SERVICE))) {
          if (url.toString().contains("angus")) {
            found = url;
          }
        }
      } catch (IOException e) {
        // no answer from memory: the scan runs as it would without this loader
      }
      angusProvider = found != null && providerIn(found) ? inMemory(found) : null;
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      if (angusProvider != null && SERVICE.equals(name)) {
        return Collections.enumeration(List.of(angusProvider));
      }
      return super.getResources(name);
    }

    private static boolean providerIn(URL url) {
      try (InputStream in = url.openStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8).contains(ANGUS_PROVIDER);
      } catch (IOException e) {
        return false;
      }
    }

    /** A URL for the service file's content that opens without touching a jar. */
    private static URL inMemory(URL source) {
      byte[] content = (ANGUS_PROVIDER + "\n").getBytes(StandardCharsets.UTF_8);
      URLStreamHandler handler =
          new URLStreamHandler() {
            @Override
            protected URLConnection openConnection(URL u) {
              return new URLConnection(u) {
                @Override
                public void connect() {
                  connected = true;
                }

                @Override
                public InputStream getInputStream() {
                  return new ByteArrayInputStream(content);
                }
              };
            }
          };
      try {
        return new URL(null, "mailqueue-mime:" + source, handler);
      } catch (MalformedURLException e) {
        return null;
      }
    }
  }

  /**
   * The buffer a message is written into. It is also the line stream Jakarta Mail would otherwise
   * wrap around it: handed one, {@code writeTo} writes header lines into it rather than looking its
   * {@code StreamProvider} up again (see {@link ProviderLookup}) to make one, and the body goes in
   * as whole arrays rather than a byte at a time through a filter. Header lines are written as
   * Angus's line stream writes them: UTF-8 when allowed, else one byte per character.
   */
  private static final class MimeOutput extends ByteArrayOutputStream implements LineOutputStream {
    private static final byte[] CRLF = {'\r', '\n'};
    private final boolean allowUtf8;

    MimeOutput(int size, boolean allowUtf8) {
      super(size);
      this.allowUtf8 = allowUtf8;
    }

    @Override
    public void writeln(String line) {
      writeBytes(allowUtf8 ? line.getBytes(StandardCharsets.UTF_8) : oneBytePerChar(line));
      writeBytes(CRLF);
    }

    @Override
    public void writeln() {
      writeBytes(CRLF);
    }

    private static byte[] oneBytePerChar(String line) {
      byte[] bytes = new byte[line.length()];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) line.charAt(i);
      }
      return bytes;
    }
  }

  /**
   * Replaces the content of every part that holds bytes by those bytes in their transfer encoding,
   * once {@code saveChanges()} has set the headers from the content. Jakarta Mail looks its {@code
   * StreamProvider} up anew each time it encodes a part's content, even for 7bit (see {@link
   * ProviderLookup}); content that is already encoded it copies as it is. The encoder streams are
   * the ones it would use, and they are flushed, not closed, as it flushes them: the bytes are the
   * same.
   */
  private static void encodeLeaves(MimePart part) throws MessagingException {
    try {
      DataHandler content = part.getDataHandler();
      if (part instanceof Leaf leaf && content.getDataSource() instanceof LeafSource source) {
        leaf.encodeBytes(encoded(source.bytes, part.getEncoding()));
        return;
      }
      if (content.getContent() instanceof MimeMultipart multipart) {
        for (int i = 0; i < multipart.getCount(); i++) {
          encodeLeaves((MimePart) multipart.getBodyPart(i));
        }
      }
    } catch (IOException e) {
      throw new MessagingException("cannot encode a part", e);
    }
  }

  private static byte[] encoded(byte[] bytes, String transferEncoding) throws IOException {
    StreamProvider provider = ASCII_SESSION.getStreamProvider();
    String encoding = transferEncoding.toLowerCase(Locale.ROOT);
    if (!encoding.equals("base64") && !encoding.equals("quoted-printable")) {
      return bytes; // 7bit and 8bit are written as they are
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 14 / 10 + 64);
    OutputStream encoder =
        encoding.equals("base64") ? provider.outputBase64(out) : provider.outputQP(out);
    encoder.write(bytes);
    encoder.flush();
    return out.toByteArray();
  }

  /**
   * A part whose content can be replaced by its bytes in their transfer encoding ({@link
   * #encodeLeaves}); its content is set by {@link #setBytes}.
   */
  private interface Leaf extends MimePart {
    /** Makes {@code encoded} the content, written as it is. */
    void encodeBytes(byte[] encoded);
  }

  /** The data source of a {@link Leaf}'s content, which keeps the bytes to encode them later. */
  private static final class LeafSource extends ByteArrayDataSource {
    private final byte[] bytes;

    LeafSource(byte[] bytes, String contentType) {
      super(bytes, contentType);
      this.bytes = bytes;
    }
  }

  /** Sets the content of {@code target}, its Content-Type and its Content-Transfer-Encoding. */
  private static void setBytes(
      MimePart target, byte[] bytes, String contentType, String transferEncoding)
      throws MessagingException {
    target.setDataHandler(new DataHandler(new LeafSource(bytes, contentType)));
    target.setHeader("Content-Transfer-Encoding", transferEncoding);
  }

  /** A body part that can be a {@link Leaf}. */
  private static final class EncodedBodyPart extends MimeBodyPart implements Leaf {
    @Override
    public void encodeBytes(byte[] encoded) {
      content = encoded;
      dh = null;
      cachedContent = null;
    }
  }

  /** A message whose Message-ID is ours, not regenerated by {@code saveChanges()}. */
  private static final class FixedIdMimeMessage extends MimeMessage implements Leaf {
    private final String messageId;

    FixedIdMimeMessage(Session session, String messageId) {
      super(session);
      this.messageId = messageId;
    }

    @Override
    protected void updateMessageID() throws MessagingException {
      setHeader("Message-ID", messageId);
    }

    @Override
    public void encodeBytes(byte[] encoded) {
      content = encoded;
      dh = null;
      cachedContent = null;
    }
  }
}
