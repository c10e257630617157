package dev.mailqueue.smtp;

import jakarta.mail.Session;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.eclipse.angus.mail.smtp.SMTPMessage;

/**
 * A message whose bytes are written exactly as stored, except that the Bcc and Content-Length
 * header fields are left out (what Angus leaves out when it sends a parsed message). Angus only
 * asks it for its envelope sender and its bytes, so the stored MIME is never parsed: parsing a
 * message per attempt cost as much as sending it (jakarta.mail-api looks up its stream provider
 * with a class path scan for every parse), and could only reproduce the same bytes anyway.
 *
 * <p>Line endings and leading dots are not handled here: Angus's data stream turns CR, LF and CRLF
 * into CRLF and doubles leading dots for every byte written to it, which is what keeps stored bytes
 * from ending the data early (SMTP smuggling).
 */
final class StoredMessage extends SMTPMessage {
  /** Never sent, whatever the caller's ignore list says. */
  private static final String[] OMITTED = {"Bcc", "Content-Length"};

  private static final byte[] CRLF = {'\r', '\n'};

  private final byte[] mime;

  /**
   * With {@code smtpUtf8}, {@code MAIL FROM} carries the {@code SMTPUTF8} parameter (Angus's
   * per-message mail extension); the caller checked that the server offers it.
   */
  StoredMessage(Session session, byte[] mime, String envelopeFrom, boolean smtpUtf8) {
    super(session);
    this.mime = mime;
    setEnvelopeFrom(envelopeFrom);
    if (smtpUtf8) {
      setMailExtension("SMTPUTF8");
    }
  }

  @Override
  public void writeTo(OutputStream out) throws IOException {
    writeTo(out, null);
  }

  /**
   * Writes the stored bytes without the Bcc and Content-Length fields and those named in {@code
   * ignoreList}.
   */
  @Override
  public void writeTo(OutputStream out, String[] ignoreList) throws IOException {
    String[] names = OMITTED;
    if (ignoreList != null && ignoreList.length > 0) {
      names = Arrays.copyOf(OMITTED, OMITTED.length + ignoreList.length);
      System.arraycopy(ignoreList, 0, names, OMITTED.length, ignoreList.length);
    }
    int end = mime.length;
    int pos = 0;
    int copyFrom = 0;
    boolean skipping = false;
    boolean body = false;
    int keptEnd = 0;
    while (pos < end) {
      int next = nextLine(mime, pos);
      if (next - pos == lineBreakLength(mime, pos)) { // the empty line: the body follows unchanged
        body = true;
        break;
      }
      boolean continuation = mime[pos] == ' ' || mime[pos] == '\t';
      boolean omit = continuation ? skipping : isOmitted(mime, pos, next, names);
      if (omit && !skipping) {
        out.write(mime, copyFrom, pos - copyFrom);
      } else if (!omit && skipping) {
        copyFrom = pos;
      }
      skipping = omit;
      if (!omit) {
        keptEnd = next;
      }
      pos = next;
    }
    if (skipping) {
      copyFrom = pos;
    }
    out.write(mime, copyFrom, end - copyFrom);
    if (!body) {
      // headers only: end them as Angus does, with the line break the last one may lack and an
      // empty line
      if (keptEnd > 0 && mime[keptEnd - 1] != '\n' && mime[keptEnd - 1] != '\r') {
        out.write(CRLF);
      }
      out.write(CRLF);
    }
  }

  /**
   * The index after the line starting at {@code from}, its CRLF, CR or LF included (as Angus splits
   * lines).
   */
  static int nextLine(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == '\n') {
        return i + 1;
      }
      if (b[i] == '\r') {
        return i + 1 < b.length && b[i + 1] == '\n' ? i + 2 : i + 1;
      }
    }
    return b.length;
  }

  private static int lineBreakLength(byte[] b, int from) {
    if (from < b.length && b[from] == '\r') {
      return from + 1 < b.length && b[from + 1] == '\n' ? 2 : 1;
    }
    return from < b.length && b[from] == '\n' ? 1 : 0;
  }

  /**
   * Whether the field starting at {@code from} has one of {@code names} (ASCII case-insensitive;
   * blanks before the colon are allowed, as Angus's parser trims them).
   */
  private static boolean isOmitted(byte[] b, int from, int to, String[] names) {
    int colon = from;
    while (colon < to && b[colon] != ':') {
      colon++;
    }
    if (colon == to) {
      return false;
    }
    int nameEnd = colon;
    while (nameEnd > from && (b[nameEnd - 1] == ' ' || b[nameEnd - 1] == '\t')) {
      nameEnd--;
    }
    for (String name : names) {
      if (name != null && sameName(b, from, nameEnd, name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameName(byte[] b, int from, int to, String name) {
    if (to - from != name.length()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      int c = b[from + i] & 0xff;
      if (Character.toLowerCase(c) != Character.toLowerCase(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
