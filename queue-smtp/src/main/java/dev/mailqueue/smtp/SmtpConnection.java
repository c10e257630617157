package dev.mailqueue.smtp;

import jakarta.mail.MessagingException;

/** One connected, authenticated SMTP session, used by one thread at a time. */
final class SmtpConnection {
  final RecordingSmtpTransport transport;
  final SocketCapture socket;
  private int transactions;
  private long idleSinceNanos;

  SmtpConnection(RecordingSmtpTransport transport, SocketCapture socket) {
    this.transport = transport;
    this.socket = socket;
  }

  void countTransaction() {
    transactions++;
  }

  int transactions() {
    return transactions;
  }

  void idleSince(long nanos) {
    idleSinceNanos = nanos;
  }

  long idleNanos(long now) {
    return now - idleSinceNanos;
  }

  /** Closes politely (QUIT without waiting), then the socket; never throws. */
  void close() {
    try {
      transport.close();
    } catch (MessagingException | RuntimeException ignored) {
      // the socket is closed below in any case
    }
    socket.closeQuietly();
  }

  /** Closes the socket first (after a 421, an I/O error or a timeout nothing more is said). */
  void abandon() {
    socket.closeQuietly();
    close();
  }
}
