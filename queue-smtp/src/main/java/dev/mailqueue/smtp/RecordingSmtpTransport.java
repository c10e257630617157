package dev.mailqueue.smtp;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus's SMTP client, recording every reply next to the command it answers, so that the outcome of
 * each recipient is decided from what the server actually said (not from which exception Angus
 * chose to throw). Inside a mail transaction it stops at the first 421 or lost connection instead
 * of carrying on with the next command. Confined to one thread at a time (the pool hands it out
 * exclusively); Angus's own methods are synchronized anyway.
 *
 * <p>It also owns the encoding of commands. The session keeps {@code mail.mime.allowutf8} off: that
 * property holds for every connection of a pool and makes Angus add {@code SMTPUTF8} to every
 * {@code MAIL FROM} the server allows it on, while only some messages need it. With it off Angus
 * writes each character of a command as one byte, which would truncate a non-ASCII address into
 * another one (U+0140 becomes {@code @}, U+013E {@code >}). So a command with a non-ASCII character
 * is written as UTF-8 in a transaction begun as a UTF-8 one (the caller checked that the server
 * offers SMTPUTF8 and sends the parameter), and refused in any other.
 */
final class RecordingSmtpTransport extends SMTPTransport {

  /**
   * One reply and the command it answered ({@code null} for the greeting or an AUTH continuation).
   */
  record Exchange(String command, int code, String response) {
    boolean is(String verb) {
      return command != null && command.regionMatches(true, 0, verb, 0, verb.length());
    }
  }

  /**
   * A command with a non-ASCII character outside a UTF-8 transaction: nothing of it was written.
   */
  static final class NonAsciiCommandException extends MessagingException {
    private static final long serialVersionUID = 1L;

    NonAsciiCommandException(String message) {
      super(message);
    }
  }

  /** Thrown inside a transaction to stop Angus at a 421 or a lost connection. */
  static final class SessionLostException extends MessagingException {
    private static final long serialVersionUID = 1L;

    SessionLostException(String message) {
      super(message);
    }
  }

  private final ArrayDeque<String> awaitingReply = new ArrayDeque<>();
  private final List<Exchange> exchanges = new ArrayList<>();
  private boolean inTransaction;
  private boolean utf8;
  private boolean endOfDataSent;
  private boolean startTlsAttempted;
  private boolean broken;

  RecordingSmtpTransport(Session session, URLName url, String protocol, boolean implicitTls) {
    super(session, url, protocol, implicitTls);
  }

  /**
   * Forgets earlier exchanges; the following ones belong to a new connect or transaction. In a
   * {@code utf8} transaction commands are written in UTF-8; otherwise a non-ASCII one is refused.
   */
  synchronized void begin(boolean transaction, boolean utf8) {
    awaitingReply.clear();
    exchanges.clear();
    endOfDataSent = false;
    inTransaction = transaction;
    this.utf8 = transaction && utf8;
  }

  /** Ends the transaction and returns what was said in it. */
  synchronized List<Exchange> end() {
    inTransaction = false;
    utf8 = false;
    return List.copyOf(exchanges);
  }

  /** Whether the final "." was written to the socket in the current transaction. */
  synchronized boolean endOfDataSent() {
    return endOfDataSent;
  }

  /** Whether STARTTLS was issued during connect. */
  synchronized boolean startTlsAttempted() {
    return startTlsAttempted;
  }

  /** Whether the session saw a 421, an I/O error or an EOF: it must not be used again. */
  synchronized boolean isBroken() {
    return broken;
  }

  synchronized void markBroken() {
    broken = true;
  }

  @Override
  protected void sendCommand(String cmd) throws MessagingException {
    String wire = cmd;
    if (!isAscii(cmd)) {
      if (!utf8) {
        broken = true; // a transaction may be open half way: the session is not used again
        int verb = cmd.indexOf(' ');
        throw new NonAsciiCommandException(
            "refused to write a "
                + (verb < 0 ? "command" : cmd.substring(0, verb))
                + " command with a non-ASCII character outside an SMTPUTF8 transaction");
      }
      // One char per octet: Angus writes each as its low byte, so the server gets exactly the
      // UTF-8.
      wire = new String(cmd.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }
    try {
      super.sendCommand(wire);
    } catch (MessagingException e) {
      broken = true;
      throw e;
    }
    // AUTH lines carry credentials: keep the mechanism only.
    awaitingReply.addLast(cmd.regionMatches(true, 0, "AUTH", 0, 4) ? redactAuth(cmd) : cmd);
    if (".".equals(cmd)) {
      endOfDataSent = true;
    }
  }

  @Override
  protected int readServerResponse() throws MessagingException {
    String command = awaitingReply.pollFirst();
    int code;
    try {
      code = super.readServerResponse();
    } catch (MessagingException e) {
      broken = true;
      throw e;
    }
    if (code < 200 || code > 599) {
      broken = true;
      if (inTransaction) {
        throw new SessionLostException(
            "connection closed by the server without a reply"
                + (command == null ? "" : " to " + command));
      }
      return code;
    }
    exchanges.add(new Exchange(command, code, getLastServerResponse()));
    if (ReplyClassifier.closesSession(code)) {
      broken = true;
      if (inTransaction) {
        throw new SessionLostException(
            "server is closing the session: " + getLastServerResponse().strip());
      }
    }
    return code;
  }

  @Override
  protected void startTLS() throws MessagingException {
    startTlsAttempted = true;
    super.startTLS();
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 127) {
        return false;
      }
    }
    return true;
  }

  private static String redactAuth(String cmd) {
    String[] words = cmd.split(" ", 3);
    return words.length >= 2 ? "AUTH " + words[1].toUpperCase(Locale.ROOT) : "AUTH";
  }
}
