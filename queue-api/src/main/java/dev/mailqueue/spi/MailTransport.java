package dev.mailqueue.spi;

import java.util.List;

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

  /**
   * What keeps this transport from delivering right now for a reason on this side, e.g. a relay
   * that refuses the configured credentials or TLS; the queue's health reports them. Cheap: read
   * from memory, never from the network.
   *
   * @return one line per problem, empty when there is none (the default)
   */
  default List<String> problems() {
    return List.of();
  }

  /** Closes any cached connections. Idempotent. */
  @Override
  default void close() {}
}
