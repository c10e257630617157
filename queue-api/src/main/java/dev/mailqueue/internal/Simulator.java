package dev.mailqueue.internal;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.ClaimedMail.PendingRecipient;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scripted outcomes for addresses at {@value #DOMAIN}, in front of any transport and in every mode:
 * the local part (before any {@code +tag}) names the outcome, so staging can exercise the
 * application's handling of each one through the whole pipeline (stored, retried per policy, told
 * to listeners, suppression). The domain is under {@code .invalid}, which RFC 2606 reserves and no
 * DNS resolves: nothing addressed there can be real mail, and nothing of it reaches the network.
 * Every reply is local and its text starts with "simulated".
 *
 * <p>An outcome that fails temporarily (defer, greylist, uncertain) does so while the recipient has
 * no reply recorded, that is on its first attempt, and is delivered on the next.
 */
final class Simulator {
  private static final Logger log = LoggerFactory.getLogger(Simulator.class);

  /** The simulator's domain. */
  static final String DOMAIN = "simulator.invalid";

  /**
   * How long {@code slow@} takes to be delivered; cut short when the queue closes, so that it never
   * holds up {@code close()}.
   */
  static final Duration SLOW_DELAY = Duration.ofSeconds(2);

  static final SmtpReply DELIVERED = SmtpReply.local(250, "2.0.0", "simulated: delivered");
  static final SmtpReply BOUNCED =
      SmtpReply.local(550, "5.1.1", "simulated: mailbox does not exist");
  static final SmtpReply DEFERRED =
      SmtpReply.local(451, "4.3.0", "simulated: temporary failure, try again later");
  static final SmtpReply GREYLISTED =
      SmtpReply.local(450, "4.7.1", "simulated: greylisted, try again later");
  static final SmtpReply UNCERTAIN =
      SmtpReply.local(451, "4.4.2", "simulated: no reply after end of data, delivery uncertain");
  static final SmtpReply SUPPRESSED =
      SmtpReply.local(550, "5.7.1", "simulated: recipient on the suppression list, not sent");
  static final SmtpReply UNKNOWN =
      SmtpReply.local(
          550,
          "5.1.1",
          "simulated: no such simulator address; use bounce, defer, greylist, uncertain, slow,"
              + " suppressed or delivered @"
              + DOMAIN);

  /** The reason recorded on the suppression list for {@code suppressed@}. */
  static final String SUPPRESSION_REASON = "simulator";

  /** The outcomes, by local part. */
  enum Script {
    DELIVERED,
    BOUNCE,
    DEFER,
    GREYLIST,
    UNCERTAIN,
    SLOW,
    SUPPRESSED,
    UNKNOWN
  }

  private final CountDownLatch closing = new CountDownLatch(1);
  private final Consumer<MailAddress> suppress;

  /**
   * A simulator that puts {@code suppressed@} addresses on the suppression list through {@code
   * suppress}.
   *
   * @param suppress puts an address on the store's suppression list
   */
  Simulator(Consumer<MailAddress> suppress) {
    this.suppress = suppress;
  }

  /** Whether the simulator answers for this address. */
  static boolean handles(MailAddress recipient) {
    return recipient.domain().equalsIgnoreCase(DOMAIN);
  }

  /** The outcome scripted for a simulator address. */
  static Script script(MailAddress recipient) {
    String local = recipient.localPart().toLowerCase(Locale.ROOT);
    int plus = local.indexOf('+');
    if (plus >= 0) {
      local = local.substring(0, plus);
    }
    return switch (local) {
      case "delivered", "success" -> Script.DELIVERED;
      case "bounce" -> Script.BOUNCE;
      case "defer" -> Script.DEFER;
      case "greylist" -> Script.GREYLIST;
      case "uncertain" -> Script.UNCERTAIN;
      case "slow" -> Script.SLOW;
      case "suppressed" -> Script.SUPPRESSED;
      default -> Script.UNKNOWN;
    };
  }

  /** Answers for simulator recipients (each one {@link #handles handled}), at least one. */
  DeliveryResult deliver(List<PendingRecipient> recipients) {
    List<RecipientOutcome> outcomes = new ArrayList<>(recipients.size());
    boolean uncertain = false;
    boolean slow = false;
    for (PendingRecipient p : recipients) {
      MailAddress a = p.address();
      boolean firstTry = p.lastReply() == null;
      RecipientOutcome o =
          switch (script(a)) {
            case DELIVERED -> delivered(a);
            case BOUNCE -> new RecipientOutcome(a, RecipientStatus.BOUNCED, BOUNCED);
            case DEFER ->
                firstTry
                    ? new RecipientOutcome(a, RecipientStatus.DEFERRED, DEFERRED)
                    : delivered(a);
            case GREYLIST ->
                firstTry
                    ? new RecipientOutcome(a, RecipientStatus.DEFERRED, GREYLISTED)
                    : delivered(a);
            case UNCERTAIN -> {
              uncertain |= firstTry;
              yield firstTry
                  ? new RecipientOutcome(a, RecipientStatus.DEFERRED, UNCERTAIN)
                  : delivered(a);
            }
            case SLOW -> {
              slow = true;
              yield delivered(a);
            }
            case SUPPRESSED -> {
              suppress(a);
              yield new RecipientOutcome(a, RecipientStatus.SUPPRESSED, SUPPRESSED);
            }
            case UNKNOWN -> new RecipientOutcome(a, RecipientStatus.BOUNCED, UNKNOWN);
          };
      outcomes.add(o);
    }
    if (slow) {
      awaitSlowDelay();
    }
    return new DeliveryResult(
        outcomes,
        uncertain ? DeliveryResult.Kind.UNCERTAIN : DeliveryResult.Kind.NORMAL,
        null,
        DOMAIN);
  }

  /** Stops every slow delivery waiting now or later: the queue is closing. */
  void close() {
    closing.countDown();
  }

  private static RecipientOutcome delivered(MailAddress a) {
    return new RecipientOutcome(a, RecipientStatus.DELIVERED, DELIVERED);
  }

  private void suppress(MailAddress a) {
    try {
      suppress.accept(a);
    } catch (RuntimeException e) {
      // the recipient is still recorded SUPPRESSED; only later mail to it is not suppressed at
      // enqueue
      log.warn("simulator could not put {} on the suppression list", a.address(), e);
    }
  }

  private void awaitSlowDelay() {
    try {
      if (closing.await(SLOW_DELAY.toMillis(), TimeUnit.MILLISECONDS)) {
        log.debug("queue closing: simulated slow delivery cut short");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
