package dev.mailqueue.cli;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UnsupportedEncodingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What {@code show} tells of a stored message: its Subject and To headers (decoded), a one-line
 * summary of its MIME structure, and its text. A message that cannot be parsed is summarised as
 * such; this never throws.
 *
 * @param subject the decoded Subject, or {@code null}
 * @param to the decoded To header, or {@code null}
 * @param summary the structure, e.g. {@code multipart/mixed: text/plain 120 B, application/pdf
 *     "invoice.pdf" 45 KiB}
 * @param text the text/plain part (else the text/html one), or a note that there is none
 */
record MessageContent(String subject, String to, String summary, String text) {

  static MessageContent parse(byte[] mime) {
    try {
      MimeMessage m =
          new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(mime));
      String to = m.getHeader("To", ", ");
      List<String> parts = new ArrayList<>();
      describe(m, parts);
      String text = text(m, "text/plain");
      if (text == null) {
        text = text(m, "text/html");
      }
      return new MessageContent(
          m.getSubject(),
          to == null ? null : decode(to),
          type(m)
              + (parts.size() == 1 && !m.isMimeType("multipart/*")
                  ? ", " + size(mime.length)
                  : ": " + String.join(", ", parts)),
          text == null ? "(no text part)\n" : text);
    } catch (MessagingException | IOException | RuntimeException e) {
      return new MessageContent(
          null, null, "cannot be parsed: " + e.getMessage(), "(cannot be parsed)\n");
    }
  }

  /**
   * The content members of {@code show --json}: the endpoint never shows them (no subject, no
   * body).
   */
  Map<String, Object> json() {
    Map<String, Object> o = Json.object();
    o.put("subject", subject);
    o.put("to", to);
    o.put("summary", summary);
    return o;
  }

  private static void describe(Part p, List<String> into) throws MessagingException, IOException {
    if (p.isMimeType("multipart/*") && p.getContent() instanceof Multipart mp) {
      for (int i = 0; i < mp.getCount(); i++) {
        BodyPart child = mp.getBodyPart(i);
        if (child.isMimeType("multipart/*")) {
          List<String> inner = new ArrayList<>();
          describe(child, inner);
          into.add(type(child) + " (" + String.join(", ", inner) + ")");
        } else {
          describe(child, into);
        }
      }
      return;
    }
    String name = p.getFileName();
    into.add(
        type(p) + (name == null ? "" : " \"" + decode(name) + "\"") + " " + size(decodedSize(p)));
  }

  private static long decodedSize(Part p) throws MessagingException, IOException {
    long n = 0;
    try (InputStream in = p.getInputStream()) {
      byte[] buffer = new byte[8192];
      for (int r; (r = in.read(buffer)) > 0; ) {
        n += r;
      }
    }
    return n;
  }

  private static String text(Part p, String type) throws MessagingException, IOException {
    if (p.isMimeType(type) && !Part.ATTACHMENT.equalsIgnoreCase(p.getDisposition())) {
      Object content = p.getContent();
      return content instanceof String s ? s : null;
    }
    if (p.isMimeType("multipart/*") && p.getContent() instanceof Multipart mp) {
      for (int i = 0; i < mp.getCount(); i++) {
        String t = text(mp.getBodyPart(i), type);
        if (t != null) {
          return t;
        }
      }
    }
    return null;
  }

  private static String type(Part p) throws MessagingException {
    String ct = p.getContentType();
    if (ct == null) {
      return "text/plain";
    }
    int semicolon = ct.indexOf(';');
    return (semicolon < 0 ? ct : ct.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
  }

  private static String decode(String header) {
    try {
      return MimeUtility.decodeText(MimeUtility.unfold(header));
    } catch (UnsupportedEncodingException e) {
      return header;
    }
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }

  /**
   * A body for a terminal: line breaks (CRLF as LF), tabs and spaces kept, every other control
   * character (C0, DEL, C1) escaped as {@code \xNN} as {@link Table#printable} does, so that a mail
   * cannot drive the terminal.
   */
  static String printableText(String text) {
    String lf = text.replace("\r\n", "\n");
    StringBuilder sb = new StringBuilder(lf.length() + 1);
    for (int i = 0; i < lf.length(); i++) {
      char c = lf.charAt(i);
      if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7F) || c > 0x9F) {
        sb.append(c);
      } else {
        sb.append(String.format("\\x%02x", (int) c));
      }
    }
    if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '\n') {
      sb.append('\n');
    }
    return sb.toString();
  }
}
