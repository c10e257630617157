package dev.mailqueue.internal;

import dev.mailqueue.DeliveryListener;
import dev.mailqueue.DeliveryMode;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.spi.MailStore;
import dev.mailqueue.spi.MailTransport;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The engine's one entry point from the API package: {@link MailQueue.Builder} builds the queue
 * here, and {@code Mail} and {@code Attachment} apply the engine's line rules here, so the API
 * depends on this one type and nothing else of the implementation. Not an API: it changes without
 * notice, and the module does not export its package.
 */
public final class Engine {
  /** SMTP's longest line without its CRLF (RFC 5321, 4.5.3.1.6). */
  public static final int MAX_LINE = LineRules.MAX_LINE;

  private Engine() {}

  /** A queue with the builder's values, already validated by it; not started. */
  public static MailQueue newQueue(
      MailStore store,
      @Nullable MailTransport transport,
      DeliveryListener listener,
      int workers,
      Duration pollInterval,
      Duration lease,
      Duration shutdownTimeout,
      long maxMessageSize,
      Duration retention,
      RetryPolicy retryPolicy,
      Map<String, RetryPolicy> retryPolicyByTag,
      @Nullable String messageIdDomain,
      String workerId,
      Duration heartbeatInterval,
      int listenerThreads,
      int listenerQueueCapacity,
      DeliveryMode mode) {
    return new DefaultMailQueue(
        new DefaultMailQueue.Settings(
            store,
            transport,
            listener,
            workers,
            pollInterval,
            lease,
            shutdownTimeout,
            maxMessageSize,
            retention,
            retryPolicy,
            retryPolicyByTag,
            messageIdDomain,
            workerId,
            heartbeatInterval,
            listenerThreads,
            listenerQueueCapacity,
            mode));
  }

  /** Whether {@code content} is canonical 7bit text: ASCII without NUL, CRLF only, short lines. */
  public static boolean isSevenBit(byte[] content) {
    return LineRules.isSevenBit(content);
  }

  /**
   * Checks one header field as it will be written; throws {@code InvalidMailException} naming
   * {@code field}.
   */
  public static void checkHeaderField(String field, String line) {
    LineRules.checkHeaderField(field, line);
  }

  /**
   * Checks a ready message's own header fields; throws {@code InvalidMailException} naming the
   * field.
   */
  public static void checkHeaders(MimeMessage message) {
    ReadyMessage.checkHeaders(message);
  }
}
