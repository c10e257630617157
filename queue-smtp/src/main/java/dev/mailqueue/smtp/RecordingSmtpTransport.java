package dev.mailqueue.smtp;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus's SMTP client, recording every reply next to the command it answers, so that the outcome
 * of each recipient is decided from what the server actually said (not from which exception Angus
 * chose to throw). Inside a mail transaction it stops at the first 421 or lost connection instead
 * of carrying on with the next command. Confined to one thread at a time (the pool hands it out
 * exclusively); Angus's own methods are synchronized anyway.
 */
final class RecordingSmtpTransport extends SMTPTransport {

  /** One reply and the command it answered ({@code null} for the greeting or an AUTH continuation). */
  record Exchange(String command, int code, String response) {
    boolean is(String verb) {
      return command != null && command.regionMatches(true, 0, verb, 0, verb.length());
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
  private boolean endOfDataSent;
  private boolean startTlsAttempted;
  private boolean broken;

  RecordingSmtpTransport(Session session, URLName url, String protocol, boolean implicitTls) {
    super(session, url, protocol, implicitTls);
  }

  /** Forgets earlier exchanges; the following ones belong to a new connect or transaction. */
  synchronized void begin(boolean transaction) {
    awaitingReply.clear();
    exchanges.clear();
    endOfDataSent = false;
    inTransaction = transaction;
  }

  /** Ends the transaction and returns what was said in it. */
  synchronized List<Exchange> end() {
    inTransaction = false;
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
    try {
      super.sendCommand(cmd);
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
        throw new SessionLostException("connection closed by the server without a reply"
            + (command == null ? "" : " to " + command));
      }
      return code;
    }
    exchanges.add(new Exchange(command, code, getLastServerResponse()));
    if (code == 421) {
      broken = true;
      if (inTransaction) {
        throw new SessionLostException("server is closing the session: " + getLastServerResponse().strip());
      }
    }
    return code;
  }

  @Override
  protected void startTLS() throws MessagingException {
    startTlsAttempted = true;
    super.startTLS();
  }

  private static String redactAuth(String cmd) {
    String[] words = cmd.split(" ", 3);
    return words.length >= 2 ? "AUTH " + words[1].toUpperCase(Locale.ROOT) : "AUTH";
  }
}
