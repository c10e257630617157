package dev.mailqueue.spi;

import dev.mailqueue.MessageState;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.SmtpReply;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of one attempt as the engine asks a {@link MailStore} to record it.
 *
 * @param newState the message's new state: DELIVERED, BOUNCED or EXPIRED when finished, DEFERRED
 *     (or QUEUED, when the attempt did not count) when due again after {@code retryDelay}
 * @param retryDelay for an unfinished message, the delay from now (database clock) to its next
 *     attempt; otherwise {@code null}
 * @param countsAsAttempt whether the attempt counter advances (not for configuration faults,
 *     throttling or an open circuit breaker)
 * @param uncertain whether the server gave no reply after the end of data
 * @param recipients the recipients whose status changed, with the reply that changed it
 * @param remoteHost the host that answered, or {@code null}; sanitised and capped at {@value
 *     DeliveryResult#MAX_REMOTE_HOST} characters
 * @param duration how long the attempt took
 * @param summary the reply that best describes the attempt (the first failure, else the final
 *     reply)
 */
public record Completion(
    MessageState newState,
    Duration retryDelay,
    boolean countsAsAttempt,
    boolean uncertain,
    List<RecipientUpdate> recipients,
    @Nullable String remoteHost,
    Duration duration,
    SmtpReply summary) {
  /**
   * Validates consistency of state and delay.
   *
   * @param newState the message's new state: DELIVERED, BOUNCED or EXPIRED when finished, DEFERRED
   *     (or QUEUED, when the attempt did not count) when due again after {@code retryDelay}
   * @param retryDelay for an unfinished message, the delay from now (database clock) to its next
   *     attempt; otherwise {@code null}
   * @param countsAsAttempt whether the attempt counter advances (not for configuration faults,
   *     throttling or an open circuit breaker)
   * @param uncertain whether the server gave no reply after the end of data
   * @param recipients the recipients whose status changed, with the reply that changed it
   * @param remoteHost the host that answered, or {@code null}; sanitised and capped at {@value
   *     DeliveryResult#MAX_REMOTE_HOST} characters
   * @param duration how long the attempt took
   * @param summary the reply that best describes the attempt (the first failure, else the final
   *     reply)
   * @throws IllegalArgumentException if {@code retryDelay} is missing for an unfinished state or
   *     present for a finished one
   */
  public Completion {
    Objects.requireNonNull(newState, "newState");
    if (newState.isTerminal() != (retryDelay == null)) {
      throw new IllegalArgumentException(
          "a retry delay is required exactly when the message is not finished");
    }
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(duration, "duration");
    remoteHost = NetworkText.sanitize(remoteHost, DeliveryResult.MAX_REMOTE_HOST);
  }

  /**
   * The same outcome without anything that came from the network but the reply codes: no reply
   * texts, no remote host. The engine records this when the full completion cannot be written (a
   * value a database refuses), so that a decided outcome is recorded rather than sent again.
   *
   * @return the completion with reply texts and the remote host removed
   */
  public Completion reduced() {
    List<RecipientUpdate> bare = new java.util.ArrayList<>(recipients.size());
    for (RecipientUpdate r : recipients) {
      bare.add(new RecipientUpdate(r.index(), r.status(), codesOnly(r.reply()), r.block()));
    }
    return new Completion(
        newState, retryDelay, countsAsAttempt, uncertain, bare, null, duration, codesOnly(summary));
  }

  private static SmtpReply codesOnly(SmtpReply reply) {
    return reply == null ? null : new SmtpReply(reply.code(), reply.enhancedStatus(), "");
  }

  /**
   * One recipient's new status.
   *
   * @param index the recipient's index (see {@link ClaimedMail.PendingRecipient#index()})
   * @param status its new status
   * @param reply the reply that decided it
   * @param block how the reply blocked the sender, or {@code null}: a store never puts a blocked
   *     recipient on the suppression list, whatever the reply's codes
   */
  public record RecipientUpdate(
      int index, RecipientStatus status, SmtpReply reply, @Nullable SenderBlock block) {
    /**
     * An update that is not a block against the sender.
     *
     * @param index the recipient's index (see {@link ClaimedMail.PendingRecipient#index()})
     * @param status its new status
     * @param reply the reply that decided it
     */
    public RecipientUpdate(int index, RecipientStatus status, SmtpReply reply) {
      this(index, status, reply, null);
    }
  }
}
