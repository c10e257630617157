package dev.mailqueue.smtp;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The one place that decides what an SMTP reply means (RFC 5321, RFC 3463): for a recipient, for
 * the session it came on, and for the health of its destination ({@link DestinationHealth} sums the
 * latter up per attempt); what the {@linkplain ReplyRule reply rules} make of it (a block against
 * the sender, a rate limit); and the replies this transport synthesises when the server said
 * nothing. Whether a reply is local is read from its {@link SmtpReply#origin()}, never its text.
 */
final class ReplyClassifier {
  /** Where in the SMTP dialogue a reply was received. */
  enum Stage {
    GREETING,
    MAIL,
    RCPT,
    DATA,
    END_OF_DATA
  }

  private static final Pattern LINES = Pattern.compile("\r?\n");
  private static final Pattern LINE_PREFIX = Pattern.compile("^\\d{3}[ -]?");
  private static final Pattern ENHANCED = Pattern.compile("^[245]\\.\\d{1,3}\\.\\d{1,3}\\b\\s*");

  private ReplyClassifier() {}

  /**
   * What {@code reply} at {@code stage} means for the recipients it concerns: 2xx DELIVERED (at
   * RCPT: accepted, pending the end of data), 4xx (or an unexpected 3xx) DEFERRED, 5xx BOUNCED,
   * except "552 too many recipients" at RCPT (temporary, RFC 5321 4.5.3.1.10) and any greeting,
   * which say nothing about the message and are DEFERRED.
   */
  static RecipientStatus classify(Stage stage, SmtpReply reply) {
    if (reply.isPositive()) {
      return RecipientStatus.DELIVERED;
    }
    if (!reply.isPermanent() || stage == Stage.GREETING) {
      return RecipientStatus.DEFERRED; // 4xx, or an unexpected 3xx
    }
    if (stage == Stage.RCPT && reply.code() == 552) {
      return RecipientStatus.DEFERRED;
    }
    return RecipientStatus.BOUNCED;
  }

  /**
   * The first of {@code rules} that matches {@code reply}, or {@code null}: only a server's
   * negative reply can match (never a positive or a {@linkplain SmtpReply#isLocal() local} one). A
   * rule matches when each of its patterns does: the code and the enhanced code as a whole, the
   * text anywhere.
   */
  static @Nullable ReplyRule ruleFor(SmtpReply reply, List<ReplyRule> rules) {
    if (reply.isPositive() || reply.isLocal() || reply.code() < 400) {
      return null;
    }
    String code = Integer.toString(reply.code());
    String enhanced = reply.enhancedStatus();
    for (ReplyRule r : rules) {
      if (r.code() != null && !r.code().matcher(code).matches()) {
        continue;
      }
      if (r.enhancedCode() != null
          && (enhanced == null || !r.enhancedCode().matcher(enhanced).matches())) {
        continue;
      }
      if (r.text() != null && !r.text().matcher(reply.text()).find()) {
        continue;
      }
      return r;
    }
    return null;
  }

  /**
   * The result with {@code rules} applied to every BOUNCED or DEFERRED recipient whose reply one of
   * them matches: its status follows the rule's {@link ReplyAction} ({@link ReplyAction#BY_CODE}
   * keeps the status the reply's code and stage gave), and it records the rule's {@link
   * ReplyClass#block()}. Recipients no rule matches are left as they are, and so are the deferred
   * recipients of a {@link DeliveryResult.Kind#NOT_COUNTED} result (held back untried, e.g. after
   * our login was refused); so are the result's kind and retry time, unless no recipient is left
   * deferred (then the result is an ordinary one) or a rule deferred a recipient the server
   * answered (then the attempt counts).
   */
  static DeliveryResult applyRules(DeliveryResult result, List<ReplyRule> rules) {
    List<RecipientOutcome> outcomes = null;
    boolean triedAndDeferred = false;
    for (int i = 0; i < result.recipients().size(); i++) {
      RecipientOutcome o = result.recipients().get(i);
      if (o.status() != RecipientStatus.BOUNCED && o.status() != RecipientStatus.DEFERRED) {
        continue;
      }
      if (o.status() == RecipientStatus.DEFERRED
          && result.kind() == DeliveryResult.Kind.NOT_COUNTED) {
        // held back untried for a fault of our own (e.g. "535 5.7.8" to our login): the server
        // said nothing about this message, so no rule may make it a block or an attempt
        continue;
      }
      ReplyRule rule = ruleFor(o.reply(), rules);
      if (rule == null) {
        continue;
      }
      RecipientStatus status =
          switch (rule.action()) {
            case BY_CODE -> o.status();
            case BOUNCE -> RecipientStatus.BOUNCED;
            case DEFER, SUSPEND_DESTINATION -> RecipientStatus.DEFERRED;
          };
      if (outcomes == null) {
        outcomes = new ArrayList<>(result.recipients());
      }
      triedAndDeferred |= status == RecipientStatus.DEFERRED;
      outcomes.set(
          i, new RecipientOutcome(o.recipient(), status, o.reply(), rule.replyClass().block()));
    }
    if (outcomes == null) {
      return result;
    }
    boolean anyDeferred = false;
    for (RecipientOutcome o : outcomes) {
      anyDeferred |= o.status() == RecipientStatus.DEFERRED;
    }
    if (!anyDeferred) {
      return DeliveryResult.of(outcomes, result.remoteHost());
    }
    // a recipient the server answered and a rule deferred was tried: the attempt counts
    DeliveryResult.Kind kind =
        triedAndDeferred && result.kind() == DeliveryResult.Kind.NOT_COUNTED
            ? DeliveryResult.Kind.NORMAL
            : result.kind();
    return new DeliveryResult(outcomes, kind, result.retryAfter(), result.remoteHost());
  }

  /**
   * The class of a blocked recipient's outcome: its rule's, or, when no rule matches (a transport
   * that marked the block itself), the class of its {@link RecipientOutcome#block()}.
   */
  static ReplyClass blockClass(RecipientOutcome blocked, List<ReplyRule> rules) {
    ReplyRule rule = ruleFor(blocked.reply(), rules);
    if (rule != null && rule.replyClass().block() != null) {
      return rule.replyClass();
    }
    return blocked.block() == SenderBlock.POLICY
        ? ReplyClass.POLICY_BLOCK
        : ReplyClass.REPUTATION_BLOCK;
  }

  /** The reply code of a server closing the session (RFC 5321 3.8). */
  private static final int SERVICE_CLOSING = 421;

  /** Whether the server is closing the session (421): everything pending on it is deferred. */
  static boolean closesSession(SmtpReply reply) {
    return closesSession(reply.code());
  }

  /** Whether a reply with this code closes the session (421), for code that has only the code. */
  static boolean closesSession(int code) {
    return code == SERVICE_CLOSING;
  }

  /**
   * Whether a recipient deferred with {@code reply} says that the destination did not respond (a
   * failure for its circuit breaker): the server closed the session (421), or, locally, the
   * connection could not be made (4.4.1) or broke or timed out before the server answered (4.4.2:
   * dropped, deadline, greeting timeout, no reply after the data, time budget used up).
   */
  static boolean meansNotResponding(SmtpReply reply) {
    if (closesSession(reply)) {
      return true;
    }
    return reply.isLocal()
        && ("4.4.1".equals(reply.enhancedStatus()) || "4.4.2".equals(reply.enhancedStatus()));
  }

  /** Whether the reply is a policy or security rejection (enhanced status 5.7.x). */
  static boolean isPolicyRejection(SmtpReply reply) {
    return reply.enhancedStatus() != null && reply.enhancedStatus().startsWith("5.7.");
  }

  /**
   * Parses a reply as Angus Mail reports it: one or more lines, each starting with the code ({@code
   * "550-5.1.1 first\n550 5.1.1 second\n"}). The enhanced status is taken from the first line and
   * removed from the following ones; the texts are joined with a space.
   */
  static SmtpReply parse(int code, String serverResponse) {
    String raw = serverResponse == null ? "" : serverResponse;
    int end = raw.length();
    while (end > 0 && (raw.charAt(end - 1) == '\n' || raw.charAt(end - 1) == '\r')) {
      end--;
    }
    if (raw.lastIndexOf('\n', end - 1) < 0) {
      // one line, nearly every reply: the same result without the regular expressions (3 per
      // message)
      String line = raw.substring(0, end);
      return SmtpReply.parse(code, line.isBlank() ? "" : withoutCode(line).strip());
    }
    StringBuilder text = new StringBuilder();
    String firstEnhanced = null;
    boolean first = true;
    for (String line : LINES.split(raw)) {
      if (line.isBlank()) {
        continue;
      }
      String t = LINE_PREFIX.matcher(line).replaceFirst("").strip();
      if (first) {
        Matcher m = ENHANCED.matcher(t);
        firstEnhanced = m.find() ? m.group().strip() : null;
        first = false;
      } else {
        if (firstEnhanced != null && t.startsWith(firstEnhanced)) {
          t = t.substring(firstEnhanced.length()).strip();
        }
        if (t.isEmpty()) {
          continue;
        }
        text.append(' ');
      }
      text.append(t);
    }
    return SmtpReply.parse(code, text.toString());
  }

  /**
   * The line without its leading reply code and separator, as {@link #LINE_PREFIX} removes them.
   */
  private static String withoutCode(String line) {
    if (line.length() < 3
        || !isDigit(line.charAt(0))
        || !isDigit(line.charAt(1))
        || !isDigit(line.charAt(2))) {
      return line;
    }
    boolean separator = line.length() > 3 && (line.charAt(3) == ' ' || line.charAt(3) == '-');
    return line.substring(separator ? 4 : 3);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** Nothing could be connected: refused, unreachable, timed out before the greeting. */
  static SmtpReply connectFailed(String detail) {
    return SmtpReply.local(451, "4.4.1", "connect failed: " + detail);
  }

  /** The connection broke (or a read timed out) before the end of data was sent. */
  static SmtpReply connectionDropped(String detail) {
    return SmtpReply.local(451, "4.4.2", "connection dropped: " + detail);
  }

  /** The end of data was sent and no reply came: the message may have been delivered. */
  static SmtpReply noReplyToEndOfData(String detail) {
    return SmtpReply.local(
        451, "4.4.2", "no reply after end of data, delivery uncertain: " + detail);
  }

  /**
   * The server sent more than a reply may have ({@link ServerInputLimits}): the session is broken
   * and closed, as after a protocol error; the recipients are deferred (the next attempt may find a
   * server that behaves).
   *
   * @param what what was too long, e.g. "a reply of more than 65536 bytes"
   */
  static SmtpReply replyTooLong(String what) {
    return SmtpReply.local(
        451, "4.5.0", "reply too long: server sent " + what + "; connection closed");
  }

  /** The reply to the end of data was too long: the message may have been delivered. */
  static SmtpReply replyToEndOfDataTooLong(String what) {
    return SmtpReply.local(
        451, "4.5.0", "reply to end of data too long, delivery uncertain: server sent " + what);
  }

  /** The watchdog closed the connection because the attempt ran past its deadline. */
  static SmtpReply deadlineExceeded(Duration deadline) {
    return SmtpReply.local(
        451, "4.4.2", "attempt deadline of " + deadline.toMillis() + " ms exceeded");
  }

  /**
   * The watchdog closed the connection because the session was not ready (connected, greeted, EHLO
   * answered, TLS started) within the greeting timeout: a server that accepts connections and then
   * stays silent or drips bytes.
   */
  static SmtpReply greetingTimeout(Duration timeout) {
    return SmtpReply.local(
        451,
        "4.4.2",
        "greeting timeout: session not ready within " + timeout.toMillis() + " ms of connecting");
  }

  /**
   * The watchdog closed the connection because the time budget of the message or of its mail to one
   * domain was used up during the attempt (direct mode).
   */
  static SmtpReply timeBudgetUsedUp(TimeBudget budget) {
    return SmtpReply.local(
        451,
        "4.4.2",
        "time budget of "
            + budget.length().toMillis()
            + " ms for "
            + budget.scope()
            + " used up; connection closed");
  }

  /**
   * The time budget was used up before {@code what} was tried (direct mode): nothing was sent for
   * it in this attempt (4.4.7: delivery time expired, here for this attempt only).
   */
  static SmtpReply timeBudgetUsedUpBeforeTrying(TimeBudget budget, String what) {
    return SmtpReply.local(
        451,
        "4.4.7",
        "time budget of "
            + budget.length().toMillis()
            + " ms for "
            + budget.scope()
            + " used up before "
            + what
            + " was tried");
  }

  /** The server's advertised SIZE is smaller than the message. */
  static SmtpReply messageTooBig(long size, long limit) {
    return SmtpReply.local(
        552,
        "5.3.4",
        "message size "
            + size
            + " exceeds the fixed maximum message size "
            + limit
            + " of the server");
  }

  /**
   * The message needs SMTPUTF8 (RFC 6531) and the server does not offer it, so nothing was sent
   * (Postfix's wording; 5.6.7: non-ASCII addresses not permitted).
   */
  static SmtpReply smtpUtf8NotOffered(String host) {
    return SmtpReply.local(
        550,
        "5.6.7",
        "SMTPUTF8 is required, but was not offered by host " + host + "; nothing was sent");
  }

  /**
   * A non-ASCII envelope address in a message not marked as needing SMTPUTF8: refused, since
   * without the extension it could only be written as another address.
   */
  static SmtpReply nonAsciiWithoutSmtpUtf8(String address) {
    return SmtpReply.local(
        550,
        "5.6.7",
        "non-ASCII address <"
            + address
            + ">"
            + " in the envelope of a message not marked as needing SMTPUTF8; nothing was sent");
  }

  /** STARTTLS was required and the server did not offer it. */
  static SmtpReply startTlsNotOffered() {
    return SmtpReply.local(
        454, "4.7.10", "server does not offer STARTTLS, which is required; nothing was sent");
  }

  /**
   * STARTTLS was required of a relay (the default for one that is not on this machine) and it did
   * not offer it; says how to opt out on purpose.
   */
  static SmtpReply relayWithoutStartTls(boolean withCredentials) {
    // Credentials never travel in plain text, so with them the only ways out are TLS on the relay
    // or no credentials (a relay that trusts this host's address); security NONE would be refused.
    String way =
        withCredentials
            ? "Enable TLS on the relay, or, if it relays for this host without a login, remove the "
                + "credentials (Spring: spring.mail.username / mailqueue.smtp.username; CLI: --username)"
            : "Enable TLS on the relay, or send in plain text on purpose with security(Security.NONE) "
                + "(Spring: mailqueue.smtp.security=none; CLI: --security NONE)";
    return SmtpReply.local(
        454,
        "4.7.10",
        "relay does not offer STARTTLS, which is required; nothing was sent. " + way);
  }

  /** The TLS handshake or certificate verification failed. */
  static SmtpReply tlsFailed(String detail) {
    return SmtpReply.local(454, "4.7.5", "TLS failed: " + detail);
  }

  /**
   * The reply recorded for mail held back, without a connection, because the relay's last check
   * failed for a configuration fault: the fault's codes (so it classifies as the fault does), and a
   * text that names the fault and says what happens to the mail.
   */
  static SmtpReply heldByConfigurationFault(
      String relay, SmtpReply fault, Duration sinceCheck, Duration recheck) {
    return SmtpReply.local(
        fault.code(),
        fault.enhancedStatus(),
        "held: relay "
            + relay
            + " failed its check "
            + sinceCheck.toSeconds()
            + " s ago with "
            + fault
            + "; not counted as an attempt, checked again every "
            + recheck.toSeconds()
            + " s until the relay or its configuration (credentials, TLS, trust store) works");
  }

  /** Credentials are configured and the server offers no AUTH. */
  static SmtpReply authNotOffered() {
    return SmtpReply.local(
        454, "4.7.0", "server does not offer AUTH, which the configured credentials need");
  }

  /** Authentication failed without a usable reply (e.g. the token supplier failed). */
  static SmtpReply authFailed(String detail) {
    return SmtpReply.local(454, "4.7.0", "authentication failed: " + detail);
  }

  /** Every connection to the relay is busy. */
  static SmtpReply noConnectionAvailable(int max) {
    return SmtpReply.local(451, "4.4.5", "all " + max + " connections to the relay are busy");
  }

  /**
   * Every session the cap allows to one MX host (over all its addresses) is in use (direct mode).
   */
  static SmtpReply mxHostBusy(String host, int max) {
    return SmtpReply.local(
        451, "4.4.5", "all " + max + " connections to MX host " + host + " are busy");
  }

  /** RFC 7505: the domain publishes a null MX, it accepts no mail. */
  static SmtpReply nullMx(String domain) {
    return SmtpReply.local(
        556, "5.1.10", "domain " + domain + " accepts no mail (null MX, RFC 7505)");
  }

  /** The domain does not exist (NXDOMAIN). */
  static SmtpReply noSuchDomain(String domain, String detail) {
    return SmtpReply.local(550, "5.1.2", "domain " + domain + " does not exist: " + detail);
  }

  /** The domain exists, but neither it nor its MX hosts have an address. */
  static SmtpReply noAddress(String domain, String detail) {
    return SmtpReply.local(
        550, "5.4.4", "no address to deliver mail for " + domain + ": " + detail);
  }

  /** DNS did not answer (timeout, SERVFAIL): never a reason to bounce. */
  static SmtpReply dnsFailure(String domain, String detail) {
    return SmtpReply.local(451, "4.4.3", "DNS lookup for " + domain + " failed: " + detail);
  }

  /**
   * Every MX address is loopback or unspecified: the mail would come back here (Postfix wording).
   */
  static SmtpReply loopsBack(String domain, String detail) {
    return SmtpReply.local(550, "5.4.6", "mail for " + domain + " loops back to myself: " + detail);
  }

  /** Every MX address is in private, link-local or multicast space and none is allowed. */
  static SmtpReply restrictedAddress(String domain, String detail) {
    return SmtpReply.local(
        451,
        "4.4.4",
        "refusing to deliver mail for "
            + domain
            + " to a non-public address: "
            + detail
            + " (allow it with allowDestinations)");
  }

  /**
   * MTA-STS (RFC 8461) in enforce mode: no MX host of the domain matches the policy's {@code mx}
   * patterns, so none is tried. A deferral, never a bounce: a policy and MX records out of step are
   * usually mended within the message's lifetime.
   */
  static SmtpReply mtaStsNoMatchingMx(String domain, String mxHosts) {
    return SmtpReply.local(
        451,
        "4.7.0",
        "MTA-STS policy of "
            + domain
            + " (enforce) names none of its MX hosts ("
            + mxHosts
            + "); nothing was sent");
  }

  /**
   * MTA-STS in enforce mode: a local TLS failure (STARTTLS not offered, handshake or certificate
   * refused: 4.7.x) becomes a deferral that names the policy, with the same codes; every other
   * reply is returned as it is.
   */
  static SmtpReply underMtaSts(String domain, SmtpReply reply) {
    if (!reply.isLocal()
        || !reply.isTransient()
        || reply.enhancedStatus() == null
        || !reply.enhancedStatus().startsWith("4.7.")) {
      return reply;
    }
    return SmtpReply.local(
        reply.code(),
        reply.enhancedStatus(),
        "MTA-STS policy of "
            + domain
            + " (enforce) requires verified TLS; "
            + reply.text().substring(SmtpReply.LOCAL_PREFIX.length()));
  }
}
