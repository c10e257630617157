package dev.mailqueue.spi;

/**
 * Sends one message over the network. Called by queue workers concurrently; implementations are
 * thread-safe and may keep connections open between calls (closed by {@link #close()}).
 *
 * <p>A transport never throws for anything the network or the server did: every such failure is a
 * {@link DeliveryResult} with the reply that caused it (a real one, or one synthesised with {@link
 * dev.mailqueue.SmtpReply#local}). It returns within a bounded time: every connect, read and write
 * has a timeout.
 */
public interface MailTransport extends AutoCloseable {
  /**
   * Attempts delivery to every recipient of {@code mail} and reports each one's outcome.
   *
   * @param mail the attempt: message, envelope and the recipients to try
   * @return an outcome for every recipient of {@code mail}
   */
  DeliveryResult deliver(OutboundMail mail);

  /** Closes any cached connections. Idempotent. */
  @Override
  default void close() {}
}
