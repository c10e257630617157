package dev.mailqueue.internal;

import dev.mailqueue.InvalidMailException;
import jakarta.activation.DataHandler;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimePart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * A ready {@link MimeMessage} ({@code Mail.ofMimeMessage}) held to the rules a mail composed by the
 * builder meets, then rendered to the bytes stored and sent. Part of the engine, not of the API:
 * public only so that {@code Mail} can check the headers when it is built.
 *
 * <ul>
 *   <li>Header fields, of the message and of every body part: no NUL or other control character but
 *       HTAB, no CR or LF but folding, names of printable ASCII without colon. Refused.
 *   <li>A header line over 998 octets is folded before a space or tab; one with no space or tab to
 *       fold at is refused.
 *   <li>A body part that its transfer encoding cannot carry through SMTP (binary, or a NUL or a
 *       line over 998 octets under 7bit, 8bit or a malformed encoding) is decoded and re-encoded: a
 *       text part as quoted-printable (base64 when most of it is not ASCII), with CRLF line ends;
 *       any other part as base64, byte for byte. A {@code message/*} part may not be encoded (RFC
 *       2046 5.2.1), so such a part, or such a line outside the parts, is refused.
 *   <li>Every other bare CR or bare LF becomes CRLF, as an SMTP data stream would send it, so the
 *       bytes stored are the bytes a server receives.
 * </ul>
 */
final class ReadyMessage {
  /** For our copy of a rendered message: Angus's defaults, as for any message parsed from bytes. */
  private static final Session COPY_SESSION = Session.getInstance(new Properties());

  private ReadyMessage() {}

  /**
   * Checks the message's own header fields as they will be written; throws {@link
   * InvalidMailException} naming the field ({@code header[Name]}).
   */
  public static void checkHeaders(MimeMessage message) {
    try {
      checkHeaders(message, "");
    } catch (MessagingException e) {
      throw new InvalidMailException("mime", "cannot read the headers: " + e.getMessage(), e);
    }
  }

  /**
   * The bytes of {@code message}, with {@code messageId} as its Message-ID, written by {@link
   * MimeRenderer#write} and held to the rules above. Saves the message's changes, as sending it
   * would; anything re-encoded is re-encoded in a copy.
   */
  static byte[] render(MimeMessage message, String messageId)
      throws MessagingException, IOException {
    checkHeaders(message, "");
    message.saveChanges();
    message.setHeader("Message-ID", messageId);
    byte[] raw = MimeRenderer.write(message, 8192);
    if (message.isMimeType("multipart/*")
        || isBinary(message.getEncoding())
        || LineRules.hasNulOrLongLine(raw, LineRules.bodyStart(raw))) {
      raw = reencodeParts(raw);
    }
    byte[] mime = LineRules.checkHeaderSection(LineRules.canonicalLineEnds(raw), "");
    if (LineRules.hasNulOrLongLine(mime, LineRules.bodyStart(mime))) {
      throw new InvalidMailException(
          "body",
          "has a NUL or a line over "
              + LineRules.MAX_LINE
              + " octets where it cannot be re-encoded (in a message/* part, or around the parts of a multipart)");
    }
    return mime;
  }

  /**
   * Checks the header fields of every body part in a copy parsed from {@code raw}, re-encodes the
   * parts that need it, and returns the copy's bytes, or {@code raw} when nothing changed.
   */
  private static byte[] reencodeParts(byte[] raw) throws MessagingException, IOException {
    ParsedCopy copy = new ParsedCopy(raw);
    if (!fix(copy, "")) {
      return raw;
    }
    copy.saveChanges();
    return MimeRenderer.write(copy, raw.length);
  }

  /** Checks and repairs {@code part} and the parts inside it; whether anything changed. */
  private static boolean fix(MimePart part, String path) throws MessagingException, IOException {
    String field = path.isEmpty() ? "body" : "body.part[" + path + "]";
    boolean changed = false;
    if (!path.isEmpty()) { // the message's own header section is checked and folded as bytes
      checkHeaders(part, field + ".");
      changed = foldHeaders(part);
    }
    if (part.isMimeType("multipart/*")) {
      if (part.getContent() instanceof Multipart multipart) {
        for (int i = 0; i < multipart.getCount(); i++) {
          String child = path.isEmpty() ? String.valueOf(i + 1) : path + "." + (i + 1);
          changed |= fix((MimePart) multipart.getBodyPart(i), child);
        }
      }
      return changed;
    }
    if (part.isMimeType("message/*")) {
      return changed; // may not be encoded; what SMTP cannot carry is refused after rendering
    }
    if (!isBinary(part.getEncoding()) && !LineRules.hasNulOrLongLine(rawContent(part), 0)) {
      return changed;
    }
    reencode(part, field);
    return true;
  }

  private static void reencode(MimePart part, String field) throws MessagingException {
    byte[] content;
    try (InputStream in = part.getInputStream()) {
      content = in.readAllBytes();
    } catch (IOException | MessagingException e) {
      throw new InvalidMailException(
          field,
          "cannot be decoded from its transfer encoding "
              + part.getEncoding()
              + " to re-encode it for SMTP: "
              + e.getMessage(),
          e);
    }
    String type = part.getContentType();
    String encoding = "base64";
    if (part.isMimeType("text/*")) {
      content = LineRules.canonicalLineEnds(content);
      int nonAscii = 0;
      for (byte b : content) {
        if (b < 0) {
          nonAscii++;
        }
      }
      encoding = nonAscii * 3 > content.length ? "base64" : "quoted-printable";
    }
    part.setDataHandler(
        new DataHandler(new ByteArrayDataSource(content, type))); // drops both fields
    part.setHeader("Content-Type", type);
    part.setHeader("Content-Transfer-Encoding", encoding);
  }

  private static byte[] rawContent(MimePart part) throws MessagingException, IOException {
    InputStream in =
        part instanceof MimeMessage m
            ? m.getRawInputStream()
            : ((MimeBodyPart) part).getRawInputStream();
    try (in) {
      return in.readAllBytes();
    }
  }

  /** Binary content may have any bytes and any lines: SMTP without BINARYMIME cannot carry it. */
  private static boolean isBinary(String encoding) {
    return encoding != null && encoding.trim().toLowerCase(Locale.ROOT).equals("binary");
  }

  private static void checkHeaders(MimePart part, String prefix) throws MessagingException {
    Enumeration<Header> headers = part.getAllHeaders();
    while (headers.hasMoreElements()) {
      Header h = headers.nextElement();
      String name = h.getName();
      String field = prefix + "header[" + printable(name) + "]";
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c <= ' ' || c == ':' || c > '~') {
          throw new InvalidMailException(
              field, "header name has a character not allowed in a header name");
        }
      }
      if (h.getValue() != null) {
        LineRules.checkHeaderField(field, name + ": " + h.getValue());
      }
    }
  }

  /** Folds the header lines of a body part that are over 998 octets (checked foldable before). */
  private static boolean foldHeaders(MimePart part) throws MessagingException {
    List<String> names = new ArrayList<>();
    Enumeration<Header> headers = part.getAllHeaders();
    while (headers.hasMoreElements()) {
      Header h = headers.nextElement();
      if (h.getValue() == null || names.contains(h.getName())) {
        continue;
      }
      String line = h.getName() + ": " + h.getValue();
      String folded = LineRules.foldHeaderLine(line);
      if (folded != null && !folded.equals(line)) {
        names.add(h.getName());
      }
    }
    for (String name : names) {
      String[] values = part.getHeader(name);
      part.removeHeader(name);
      for (String value : values) {
        String prefix = name + ": ";
        part.addHeader(name, LineRules.foldHeaderLine(prefix + value).substring(prefix.length()));
      }
    }
    return !names.isEmpty();
  }

  private static String printable(String name) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < name.length() && s.length() < 76; i++) {
      char c = name.charAt(i);
      s.append(c > ' ' && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return s.toString();
  }

  /** Our copy of the rendered message; its Message-ID is the one rendered, never a new one. */
  private static final class ParsedCopy extends MimeMessage {
    ParsedCopy(byte[] mime) throws MessagingException {
      super(COPY_SESSION, new ByteArrayInputStream(mime));
    }

    @Override
    protected void updateMessageID() {
      // keep the Message-ID parsed from the rendered bytes
    }
  }
}
