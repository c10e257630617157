package dev.mailqueue.internal;

import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueException;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes the commonest mail (a text body, an HTML body, or both as multipart/alternative; no
 * attachments) straight to bytes: the same bytes Angus's {@code MimeMessage} writes for it, field
 * for field and in Angus's order, without building the message object.
 *
 * <p>Why: building and writing a {@code MimeMessage} cost ~13 us per mail, most of it in
 * Angus's header list (every get or set compares the name with ~30 placeholders) and its content
 * handler machinery, while the values themselves take ~1 us. Everything that needs MIME
 * knowledge still comes from Angus: address lists ({@link InternetAddress#toString(
 * jakarta.mail.Address[], int)}), encoded words and folding ({@link MimeUtility}), the date
 * ({@link MailDateFormat}), the Content-Type parameter list ({@link ContentType}) and the
 * quoted-printable and base64 encoders. What is written here is only the order of the fields and
 * the multipart framing, and {@code DirectMimeWriterTest} checks the result byte for byte against
 * Angus's own rendering of thousands of generated mails.
 *
 * <p>Mail with attachments or inline parts, or with a Content-Disposition field, and ready
 * {@code MimeMessage}s, are rendered by Angus. Angus's system properties that change how it
 * writes ({@code mail.mime.allowutf8=false}, {@code mail.mime.setcontenttypefilename}) are not
 * read here: the bytes are those of Angus's defaults.
 */
final class DirectMimeWriter {
  /**
   * Angus's {@code InternetHeaders} placeholders, in its order. A field with one of these names
   * goes to its slot; any other field goes to the {@code ":"} slot, after the ones before it.
   */
  private static final String[] SLOTS = {"Return-Path", "Received", "Resent-Date", "Resent-From", "Resent-Sender",
      "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Message-Id", "Date", "From", "Sender", "Reply-To", "To", "Cc",
      "Bcc", "Message-Id", "In-Reply-To", "References", "Subject", "Comments", "Keywords", "Errors-To", "MIME-Version",
      "Content-Type", "Content-Transfer-Encoding", "Content-MD5", ":", "Content-Length", "Status"};
  private static final Map<String, Integer> SLOT_OF = new HashMap<>();

  static {
    for (int i = 0; i < SLOTS.length; i++) {
      SLOT_OF.put(SLOTS[i].toLowerCase(Locale.ROOT), i);
    }
  }

  private static final int DATE = SLOT_OF.get("date");
  private static final int FROM = SLOT_OF.get("from");
  private static final int REPLY_TO = SLOT_OF.get("reply-to");
  private static final int TO = SLOT_OF.get("to");
  private static final int CC = SLOT_OF.get("cc");
  private static final int MESSAGE_ID = SLOT_OF.get("message-id");
  private static final int SUBJECT = SLOT_OF.get("subject");
  private static final int MIME_VERSION = SLOT_OF.get("mime-version");
  private static final int CONTENT_TYPE = SLOT_OF.get("content-type");
  private static final int TRANSFER_ENCODING = SLOT_OF.get("content-transfer-encoding");
  private static final int OTHERS = SLOT_OF.get(":");
  /** Never written (the renderer's omitted fields). */
  private static final int CONTENT_LENGTH = SLOT_OF.get("content-length");

  private static final byte[] CRLF = {'\r', '\n'};
  private static final AtomicInteger PARTS = new AtomicInteger();

  /** MailDateFormat is not thread-safe, and the Date field only changes once a second. */
  private static final MailDateFormat DATE_FORMAT = new MailDateFormat();
  private static volatile FormattedDate lastDate = new FormattedDate(Long.MIN_VALUE, "");

  private record FormattedDate(long second, String text) {}

  private DirectMimeWriter() {}

  /**
   * Whether {@link #write} renders {@code mail}: no ready message, no attachments or inline
   * parts, and no Content-Disposition field (Angus reads it when it writes the Content-Type).
   */
  static boolean handles(Mail mail) {
    if (mail.mimeMessage() != null || !mail.attachments().isEmpty()) {
      return false;
    }
    for (String name : mail.headers().keySet()) {
      if (name.equalsIgnoreCase("Content-Disposition")) {
        return false;
      }
    }
    return true;
  }

  /**
   * The MIME bytes of {@code mail}, as Angus writes them with the given Date and Message-ID.
   *
   * @param random random bits for the multipart boundary (the message id's; the content is
   *     fixed before they are drawn, so it cannot be made to contain the boundary on purpose)
   */
  static byte[] write(Mail mail, String messageId, Date date, long random) {
    boolean utf8 = mail.smtpUtf8();
    String[] slots = new String[SLOTS.length];
    List<String> others = new ArrayList<>(mail.headers().size());
    slots[DATE] = "Date: " + format(date);
    slots[FROM] = "From: " + addresses(List.of(mail.from()), "From", utf8);
    if (!mail.replyTo().isEmpty()) {
      slots[REPLY_TO] = "Reply-To: " + addresses(mail.replyTo(), "Reply-To", utf8);
    }
    if (!mail.to().isEmpty()) {
      slots[TO] = "To: " + addresses(mail.to(), "To", utf8);
    }
    if (!mail.cc().isEmpty()) {
      slots[CC] = "Cc: " + addresses(mail.cc(), "Cc", utf8);
    }
    slots[MESSAGE_ID] = "Message-ID: " + messageId;
    if (mail.subject() != null) {
      slots[SUBJECT] = "Subject: " + MimeUtility.fold(9, encodeText(mail.subject()));
    }
    if (!mail.headers().isEmpty()) {
      placeHeaders(mail.headers(), slots, others);
    }
    slots[MIME_VERSION] = "MIME-Version: 1.0";

    MimeRenderer.TextBody text = mail.text() == null ? null : MimeRenderer.TextBody.of(mail.text());
    MimeRenderer.TextBody html = mail.html() == null ? null : MimeRenderer.TextBody.of(mail.html());
    String boundary = null;
    if (text != null && html != null) {
      boundary = "----=_Part_" + PARTS.getAndIncrement() + "_" + (random & Long.MAX_VALUE) + "."
          + System.currentTimeMillis();
      ContentType type = new ContentType("multipart", "alternative", null);
      type.setParameter("boundary", boundary);
      slots[CONTENT_TYPE] = "Content-Type: " + type;
    } else {
      MimeRenderer.TextBody only = text != null ? text : html;
      slots[CONTENT_TYPE] = "Content-Type: " + MimeRenderer.textType(text != null ? "plain" : "html");
      slots[TRANSFER_ENCODING] = "Content-Transfer-Encoding: " + only.transferEncoding();
    }

    // Sized to fit (exactly for ASCII headers and a 7bit body) so the result needs no copy.
    int size = 2 + bodySize(text, html, boundary);
    for (int i = 0; i < slots.length; i++) {
      if (i == OTHERS) {
        for (String line : others) {
          size += line.length() + 2;
        }
      } else if (slots[i] != null && i != CONTENT_LENGTH) {
        size += slots[i].length() + 2;
      }
    }
    Buffer out = new Buffer(size);
    for (int i = 0; i < slots.length; i++) {
      if (i == OTHERS) {
        for (String line : others) {
          out.line(line);
        }
      } else if (slots[i] != null && i != CONTENT_LENGTH) {
        out.line(slots[i]);
      }
    }
    out.write(CRLF, 0, 2);
    try {
      if (boundary == null) {
        out.body(text != null ? text : html);
      } else {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
        out.part(delimiter, "plain", text);
        out.part(delimiter, "html", html);
        out.write(delimiter);
        out.write('-');
        out.write('-');
        out.write(CRLF);
      }
    } catch (IOException e) {
      throw new MailQueueException("writing to memory cannot fail", e);
    }
    return out.result();
  }

  /** The size of the body as written: exact for 7bit, an upper estimate for the encodings. */
  private static int bodySize(MimeRenderer.TextBody text, MimeRenderer.TextBody html, String boundary) {
    if (boundary == null) {
      return encodedSize(text != null ? text : html);
    }
    int delimiter = boundary.length() + 4; // "--" and CRLF; the last one has "--" more
    int textHeaders = ("Content-Type: " + MimeRenderer.textType("plain") + "\r\nContent-Transfer-Encoding: \r\n\r\n")
        .length();
    int htmlHeaders = textHeaders - 1;
    return 3 * delimiter + 2 + textHeaders + htmlHeaders + 2 * 2 // CRLF after each part
        + text.transferEncoding().length() + html.transferEncoding().length() + encodedSize(text)
        + encodedSize(html);
  }

  private static int encodedSize(MimeRenderer.TextBody body) {
    int n = body.utf8().length;
    return switch (body.transferEncoding()) {
      case "7bit" -> n;
      case "base64" -> (n + 2) / 3 * 4 + (n / 57 + 1) * 2;
      default -> n + n / 8 + 16;
    };
  }

  /**
   * The caller's fields, where Angus's {@code setHeader} puts them: a name with a placeholder in
   * its slot, others in insertion order; a repeated name (ignoring case) replaces the value and
   * keeps the first spelling of the name.
   */
  private static void placeHeaders(Map<String, String> headers, String[] slots, List<String> others) {
    Map<String, Integer> otherIndex = new HashMap<>();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = h.getKey();
      String key = name.toLowerCase(Locale.ROOT);
      String value = MimeRenderer.encodeHeader(name, h.getValue());
      Integer slot = SLOT_OF.get(key);
      if (slot != null && slot != OTHERS) {
        slots[slot] = slots[slot] == null ? name + ": " + value : keepName(slots[slot], value);
      } else {
        Integer at = otherIndex.get(key);
        if (at == null) {
          otherIndex.put(key, others.size());
          others.add(name + ": " + value);
        } else {
          others.set(at, keepName(others.get(at), value));
        }
      }
    }
  }

  private static String keepName(String line, String value) {
    return line.substring(0, line.indexOf(':') + 1) + " " + value;
  }

  private static String format(Date date) {
    long second = Math.floorDiv(date.getTime(), 1000);
    FormattedDate last = lastDate;
    if (last.second() == second) {
      return last.text();
    }
    String text;
    synchronized (DATE_FORMAT) {
      text = DATE_FORMAT.format(date);
    }
    lastDate = new FormattedDate(second, text);
    return text;
  }

  private static String addresses(List<MailAddress> list, String name, boolean utf8) {
    InternetAddress[] addresses = new InternetAddress[list.size()];
    for (int i = 0; i < addresses.length; i++) {
      addresses[i] = MimeRenderer.internet(list.get(i));
    }
    return utf8 ? InternetAddress.toUnicodeString(addresses, name.length() + 2)
        : InternetAddress.toString(addresses, name.length() + 2);
  }

  private static String encodeText(String text) {
    try {
      return MimeUtility.encodeText(text, "UTF-8", null);
    } catch (UnsupportedEncodingException e) {
      throw new MailQueueException("UTF-8 is always supported", e);
    }
  }

  /** A byte buffer that writes header lines as Angus's line stream does. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer(int size) {
      super(size);
    }

    /** The bytes written, without a copy when the buffer is full. */
    byte[] result() {
      return count == buf.length ? buf : toByteArray();
    }

    /**
     * A header line and CRLF, in UTF-8 as Angus writes header lines (its {@code
     * mail.mime.allowutf8} system property, true unless set). The lines are ASCII unless the
     * message allows SMTPUTF8.
     */
    void line(String line) {
      int n = line.length();
      ensure(n + 2);
      for (int i = 0; i < n; i++) {
        char c = line.charAt(i);
        if (c >= 0x80) {
          count -= i;
          byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
          write(bytes, 0, bytes.length);
          break;
        }
        buf[count++] = (byte) c;
      }
      write(CRLF, 0, 2);
    }

    private void ensure(int more) {
      if (count + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
      }
    }

    /** A body part of multipart/alternative: delimiter, its two fields, its content, a line break. */
    void part(byte[] delimiter, String subtype, MimeRenderer.TextBody body) throws IOException {
      write(delimiter);
      write(CRLF);
      line("Content-Type: " + MimeRenderer.textType(subtype));
      line("Content-Transfer-Encoding: " + body.transferEncoding());
      write(CRLF);
      body(body);
      write(CRLF);
    }

    /** The content in its transfer encoding, by Angus's encoders for quoted-printable and base64. */
    void body(MimeRenderer.TextBody body) throws IOException {
      if ("7bit".equals(body.transferEncoding())) {
        write(body.utf8());
        return;
      }
      OutputStream encoder;
      try {
        encoder = MimeUtility.encode(this, body.transferEncoding());
      } catch (MessagingException e) {
        throw new IOException(e);
      }
      encoder.write(body.utf8());
      encoder.flush();
    }
  }
}
