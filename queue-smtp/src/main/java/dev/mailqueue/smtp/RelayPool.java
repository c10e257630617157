package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.RecordingSmtpTransport.Exchange;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.OutboundMail;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import jakarta.mail.internet.InternetAddress;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections to one relay (in direct mode: to one address of one MX host): at most {@code
 * maxConnectionsPerServer} at a time, idle ones kept for reuse (LIFO) until they are idle too long,
 * have carried their share of messages or have read more than {@link
 * ServerInputLimits#RETIRE_AFTER_BYTES} from the server. Thread-safe; each connection is used by
 * one thread at a time.
 *
 * <p>In direct mode a TLS failure or a missing STARTTLS is the destination's doing, not a fault in
 * this configuration: it defers (counted) and lets the next MX be tried.
 */
final class RelayPool {
  /**
   * How often a relay that failed for a configuration fault (authentication, TLS, AUTH not offered)
   * is tried again, and when the mail it held back is due again.
   */
  static final Duration CONFIGURATION_FAULT_RECHECK = Duration.ofSeconds(60);

  /** Held mail comes back just after the next check may run, so that it is the check. */
  private static final Duration HELD_SLACK = Duration.ofMillis(100);

  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  /** A connection idle for longer than this is checked with RSET before it is reused. */
  private static final long PROBE_AFTER_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Relay relay;
  private final Settings settings;
  private final ScheduledExecutorService scheduler;

  /** One Angus session for every connection of the pool: creating one scans the class path. */
  private final Session session;

  private final Deque<SmtpConnection> idle = new ConcurrentLinkedDeque<>();
  private final Semaphore permits;
  private final AtomicReference<String> activeFault = new AtomicReference<>();

  /**
   * The reply of the configuration fault last seen by a connection, or null while the relay works.
   */
  private volatile SmtpReply heldReply;

  /** When a connection last confirmed {@link #heldReply}, in {@link System#nanoTime()}. */
  private volatile long heldSinceNanos;

  private final String kind;
  private volatile long lastUsedNanos = System.nanoTime();
  private volatile boolean closed;

  /** What one attempt on this relay produced, and whether the next relay should be tried. */
  record Attempt(DeliveryResult result, boolean tryNextRelay) {}

  /** A new connection, or why there is none. */
  private record Opened(SmtpConnection connection, Attempt failure) {
    static Opened failed(Attempt failure) {
      return new Opened(null, failure);
    }
  }

  RelayPool(Relay relay, Settings settings, ScheduledExecutorService scheduler) {
    this.relay = relay;
    this.settings = settings;
    this.scheduler = scheduler;
    this.permits = new Semaphore(settings.maxConnectionsPerServer(), true);
    this.kind = settings.direct() ? "MX host" : "SMTP relay";
    this.session = Session.getInstance(settings.sessionProperties(scheduler));
  }

  /**
   * Delivers {@code mail} over one of this pool's connections.
   *
   * @param budget in direct mode, the time budget of the message or domain (whichever ends first):
   *     the wait for a connection and the attempt end when it is used up; {@code null} in relay
   *     mode
   */
  Attempt deliver(OutboundMail mail, TimeBudget budget) {
    lastUsedNanos = System.nanoTime();
    Attempt held = heldByConfigurationFault(mail.recipients());
    if (held != null) {
      return held;
    }
    long waitNanos = settings.connectTimeout().toNanos();
    if (budget != null) {
      waitNanos = Math.max(0, Math.min(waitNanos, budget.remainingNanos()));
    }
    try {
      if (!permits.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
        return new Attempt(
            DeliveryResult.notCounted(
                mail.recipients(),
                ReplyClassifier.noConnectionAvailable(settings.maxConnectionsPerServer()),
                Duration.ofSeconds(1),
                relay.remoteHost()),
            false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Attempt(
          DeliveryResult.notCounted(
              mail.recipients(),
              ReplyClassifier.noConnectionAvailable(settings.maxConnectionsPerServer()),
              null,
              relay.remoteHost()),
          false);
    }
    Watchdog watchdog = new Watchdog(budget);
    try {
      return deliverWithPermit(mail, watchdog);
    } finally {
      watchdog.cancel();
      permits.release();
    }
  }

  private Attempt deliverWithPermit(OutboundMail mail, Watchdog watchdog) {
    watchdog.armForTransaction();
    SmtpConnection conn = reuse(watchdog);
    if (conn == null) {
      Opened opened = open(watchdog, mail.recipients());
      if (opened.failure() != null) {
        return opened.failure();
      }
      conn = opened.connection();
    }
    boolean reusable = false;
    try {
      String sizeLimit = conn.transport.getExtensionParameter("SIZE");
      long limit = parseSize(sizeLimit);
      if (limit > 0 && mail.mime().length > limit) {
        reusable = true;
        return new Attempt(
            DeliveryResult.all(
                mail.recipients(),
                RecipientStatus.BOUNCED,
                ReplyClassifier.messageTooBig(mail.mime().length, limit),
                relay.remoteHost()),
            false);
      }
      if (mail.smtpUtf8() && !conn.transport.supportsExtension("SMTPUTF8")) {
        reusable = true;
        // Another relay or MX host may offer it; the last one's bounce stands.
        return new Attempt(
            DeliveryResult.all(
                mail.recipients(),
                RecipientStatus.BOUNCED,
                ReplyClassifier.smtpUtf8NotOffered(relay.remoteHost()),
                relay.remoteHost()),
            true);
      }
      StoredMessage message =
          new StoredMessage(session, mail.mime(), mail.envelopeFrom().address(), mail.smtpUtf8());
      InternetAddress[] rcpts = new InternetAddress[mail.recipients().size()];
      for (int i = 0; i < rcpts.length; i++) {
        rcpts[i] = new InternetAddress();
        rcpts[i].setAddress(mail.recipients().get(i).address());
      }

      RecordingSmtpTransport t = conn.transport;
      MessagingException failure = null;
      t.begin(true, mail.smtpUtf8());
      try {
        t.sendMessage(message, rcpts);
      } catch (MessagingException e) {
        failure = e;
      }
      List<Exchange> exchanges = t.end();
      conn.countTransaction();
      String detail = failure == null ? "no reply" : describe(failure);
      ServerInputLimits.Exceeded tooLong = cause(failure, ServerInputLimits.Exceeded.class);
      SmtpReply lost =
          watchdog.fired()
              ? watchdog.reason()
              : tooLong != null
                  ? ReplyClassifier.replyTooLong(tooLong.what())
                  : ReplyClassifier.connectionDropped(detail);
      SmtpReply uncertain =
          watchdog.fired()
              ? watchdog.reason()
              : tooLong != null
                  ? ReplyClassifier.replyToEndOfDataTooLong(tooLong.what())
                  : ReplyClassifier.noReplyToEndOfData(detail);
      DeliveryResult result =
          TransactionReport.of(
              exchanges, mail.recipients(), t.endOfDataSent(), lost, uncertain, relay.remoteHost());
      reusable = !t.isBroken() && !watchdog.fired() && !hasCause(failure, IOException.class);
      logResult(mail, result);
      boolean sessionLost =
          !reusable
              && result.kind() == DeliveryResult.Kind.NORMAL
              && result.recipients().stream().allMatch(o -> o.status() == RecipientStatus.DEFERRED)
              && exchanges.stream().anyMatch(e -> ReplyClassifier.closesSession(e.code()));
      return new Attempt(result, sessionLost);
    } finally {
      release(conn, reusable);
    }
  }

  /** Takes an idle connection that may still be used, closing the stale ones met on the way. */
  private SmtpConnection reuse(Watchdog watchdog) {
    long now = System.nanoTime();
    for (SmtpConnection c; (c = idle.pollFirst()) != null; ) {
      long idleNanos = c.idleNanos(now);
      if (idleNanos > settings.idleTimeout().toNanos()
          || c.transactions() >= settings.maxMessagesPerConnection()
          || c.socket.bytesRead() > ServerInputLimits.RETIRE_AFTER_BYTES) {
        c.close();
        continue;
      }
      watchdog.watch(c.socket);
      if (idleNanos < PROBE_AFTER_IDLE_NANOS || c.transport.isConnected()) {
        return c;
      }
      c.abandon();
    }
    return null;
  }

  private void release(SmtpConnection conn, boolean reusable) {
    if (reusable && !closed && conn.transactions() < settings.maxMessagesPerConnection()) {
      conn.idleSince(System.nanoTime());
      idle.addFirst(conn);
      if (closed && idle.remove(conn)) {
        conn.close();
      }
    } else if (reusable) {
      conn.close();
    } else {
      conn.abandon();
    }
  }

  /** Connects, says EHLO, starts TLS and authenticates. */
  private Opened open(Watchdog watchdog, List<MailAddress> recipients) {
    SocketCapture capture =
        settings.direct()
            ? new SocketCapture(relay.host(), settings.verifyCertificates())
            : new SocketCapture();
    watchdog.watch(capture);
    String protocol = settings.protocol();
    RecordingSmtpTransport t =
        new RecordingSmtpTransport(
            session,
            new URLName(protocol, relay.connectHost(), relay.port(), null, null, null),
            protocol,
            settings.security() == Security.IMPLICIT_TLS);
    SmtpConnection conn = new SmtpConnection(t, capture);
    Credentials credentials = settings.credentials();
    String user = null;
    String secret = null;
    if (credentials != null) {
      user = credentials.username();
      try {
        secret = credentials.secret().get();
      } catch (RuntimeException e) {
        return Opened.failed(
            configFault(
                recipients,
                ReplyClassifier.authFailed("the secret supplier threw " + e.getClass().getName())));
      }
      if (secret == null) {
        return Opened.failed(
            configFault(
                recipients, ReplyClassifier.authFailed("the secret supplier returned null")));
      }
    }
    watchdog.armForSetup();
    t.begin(false, false);
    capture.bind();
    try {
      t.connect(relay.connectHost(), relay.port(), user, secret);
    } catch (MessagingException | RuntimeException e) {
      List<Exchange> exchanges = t.end();
      conn.abandon();
      return Opened.failed(connectFailure(e, exchanges, t, watchdog, recipients));
    } finally {
      SocketCapture.unbind();
    }
    t.end();
    watchdog.armForTransaction();
    if (credentials != null && !t.supportsExtension("AUTH")) {
      conn.abandon();
      return Opened.failed(configFault(recipients, ReplyClassifier.authNotOffered()));
    }
    heldReply = null;
    if (activeFault.getAndSet(null) != null) {
      log.info("{} {} accepts connections again", kind, relay);
    }
    return new Opened(conn, null);
  }

  private Attempt connectFailure(
      Exception e,
      List<Exchange> exchanges,
      RecordingSmtpTransport t,
      Watchdog watchdog,
      List<MailAddress> recipients) {
    if (watchdog.fired()) {
      return transientFailure(recipients, watchdog.reason());
    }
    ServerInputLimits.Exceeded tooLong = cause(e, ServerInputLimits.Exceeded.class);
    if (tooLong != null) {
      return transientFailure(recipients, ReplyClassifier.replyTooLong(tooLong.what()));
    }
    if (e instanceof AuthenticationFailedException) {
      SmtpReply reply = null;
      for (Exchange x : exchanges) {
        if (x.code() >= 400) {
          reply = ReplyClassifier.parse(x.code(), x.response());
        }
      }
      return configFault(
          recipients, reply != null ? reply : ReplyClassifier.authFailed(describe(e)));
    }
    if (hasCause(e, SSLException.class)
        || hasCause(e, CertificateException.class)
        || String.valueOf(e.getMessage()).contains("verify identity")) {
      return configFault(recipients, ReplyClassifier.tlsFailed(describe(e)));
    }
    Exchange greeting =
        exchanges.isEmpty() || exchanges.get(0).command() != null ? null : exchanges.get(0);
    if (greeting == null) {
      return transientFailure(recipients, ReplyClassifier.connectFailed(describe(e)));
    }
    if (greeting.code() != 220) {
      return transientFailure(
          recipients, ReplyClassifier.parse(greeting.code(), greeting.response()));
    }
    for (Exchange x : exchanges) {
      if (x.is("STARTTLS") && x.code() != 220) {
        return configFault(
            recipients,
            ReplyClassifier.tlsFailed(
                "server refused STARTTLS: " + ReplyClassifier.parse(x.code(), x.response())));
      }
      if (ReplyClassifier.closesSession(x.code())) {
        return transientFailure(recipients, ReplyClassifier.parse(x.code(), x.response()));
      }
    }
    if (settings.security() == Security.STARTTLS_REQUIRED
        && !t.startTlsAttempted()
        && !t.isBroken()) {
      return configFault(
          recipients,
          settings.direct()
              ? ReplyClassifier.startTlsNotOffered()
              : ReplyClassifier.relayWithoutStartTls(settings.credentials() != null));
    }
    return transientFailure(recipients, ReplyClassifier.connectionDropped(describe(e)));
  }

  private Attempt transientFailure(List<MailAddress> recipients, SmtpReply reply) {
    log.warn("{} {} unavailable: {}", kind, relay, reply);
    return new Attempt(
        DeliveryResult.all(recipients, RecipientStatus.DEFERRED, reply, relay.remoteHost()), true);
  }

  /**
   * A configuration fault: logged once as an error until the relay works again; the attempt does
   * not count. In direct mode the same failures are the MX host's: deferred, next MX tried.
   */
  private Attempt configFault(List<MailAddress> recipients, SmtpReply reply) {
    if (settings.direct()) {
      return transientFailure(recipients, reply);
    }
    String description = reply.toString();
    if (!description.equals(activeFault.getAndSet(description))) {
      log.error(
          "SMTP relay {} cannot be used: {}. Messages stay queued, attempts are not counted, and one "
              + "connection every {} s checks the relay again until the configuration (credentials, TLS, trust "
              + "store) or the relay is fixed; a restart with a working configuration sends them within {} s.",
          relay,
          description,
          CONFIGURATION_FAULT_RECHECK.toSeconds(),
          CONFIGURATION_FAULT_RECHECK.toSeconds());
    }
    heldSinceNanos = System.nanoTime();
    heldReply = reply;
    return new Attempt(
        DeliveryResult.notCounted(
            recipients, reply, CONFIGURATION_FAULT_RECHECK, relay.remoteHost()),
        false);
  }

  /**
   * While a configuration fault is fresh, mail is held without a connection: a relay that refuses
   * the credentials should see one failed login per {@link #CONFIGURATION_FAULT_RECHECK}, not one
   * per queued message (providers lock accounts after a burst of them). The mail is due again when
   * the next check may run, so a fixed relay, or a restart with a fixed configuration, sends it
   * within that interval instead of after the retry policy's backoff.
   */
  /**
   * The configuration fault this relay failed its last check with, as one line for the health view,
   * or {@code null} while it works.
   */
  @Nullable String problem() {
    SmtpReply fault = heldReply;
    return fault == null ? null : "relay " + relay + " cannot be used: " + fault;
  }

  private Attempt heldByConfigurationFault(List<MailAddress> recipients) {
    SmtpReply fault = heldReply;
    if (fault == null) {
      return null;
    }
    long elapsedNanos = System.nanoTime() - heldSinceNanos;
    long remainingNanos = CONFIGURATION_FAULT_RECHECK.toNanos() - elapsedNanos;
    if (remainingNanos <= 0) {
      return null;
    }
    SmtpReply held =
        ReplyClassifier.heldByConfigurationFault(
            relay.toString(), fault, Duration.ofNanos(elapsedNanos), CONFIGURATION_FAULT_RECHECK);
    return new Attempt(
        DeliveryResult.notCounted(
            recipients,
            held,
            Duration.ofNanos(remainingNanos).plus(HELD_SLACK),
            relay.remoteHost()),
        false);
  }

  private void logResult(OutboundMail mail, DeliveryResult result) {
    if (log.isDebugEnabled()) {
      log.debug("message {} via {}: {} {}", mail.id(), relay, result.kind(), result.recipients());
    }
    for (var o : result.recipients()) {
      if (ReplyClassifier.isPolicyRejection(o.reply())) {
        log.warn(
            "message {} to {} rejected by policy at {} {}: {}",
            mail.id(),
            o.recipient().address(),
            kind,
            relay,
            o.reply());
      }
    }
  }

  /**
   * Closes connections idle for longer than the idle timeout. Called periodically by the scheduler.
   */
  void evictIdle() {
    long now = System.nanoTime();
    for (SmtpConnection c : idle) {
      if (c.idleNanos(now) > settings.idleTimeout().toNanos() && idle.remove(c)) {
        c.close();
      }
    }
  }

  void close() {
    closed = true;
    for (SmtpConnection c; (c = idle.pollFirst()) != null; ) {
      c.close();
    }
  }

  /**
   * Whether this pool has neither idle nor busy connections and was last used longer than the idle
   * timeout ago (direct mode drops such pools, so that one pool per MX ever seen is not kept).
   */
  boolean isUnused(long now) {
    return idle.isEmpty()
        && permits.availablePermits() == settings.maxConnectionsPerServer()
        && now - lastUsedNanos > settings.idleTimeout().toNanos();
  }

  /** Number of idle connections (for tests). */
  int idleCount() {
    return idle.size();
  }

  private static long parseSize(String value) {
    if (value == null) {
      return 0;
    }
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    return cause(t, type) != null;
  }

  /** The first of {@code t} and its causes that is a {@code type}, or {@code null}. */
  static <T extends Throwable> T cause(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = next(c)) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }

  private static Throwable next(Throwable t) {
    if (t instanceof MessagingException m
        && m.getNextException() != null
        && m.getNextException() != t) {
      return m.getNextException();
    }
    return t.getCause() == t ? null : t.getCause();
  }

  /** The innermost cause as "Type: message"; Angus messages never contain credentials. */
  static String describe(Throwable t) {
    Throwable root = t;
    for (Throwable c = t; c != null; c = next(c)) {
      root = c;
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message.strip());
  }

  /**
   * Closes the attempt's socket when the attempt runs past its deadline, the session is not ready
   * within the greeting timeout, or the time budget (direct mode) is used up, whichever comes
   * first, and remembers which it was.
   */
  private final class Watchdog {
    /** What ended the attempt; the earlier limit wins, the attempt deadline on a tie. */
    private enum Limit {
      ATTEMPT,
      GREETING,
      BUDGET
    }

    private final AtomicReference<SocketCapture> target = new AtomicReference<>();
    private final long attemptEnd = System.nanoTime() + settings.attemptDeadline().toNanos();
    private final TimeBudget budget;
    private volatile Limit fired;
    private ScheduledFuture<?> future;

    Watchdog(TimeBudget budget) {
      this.budget = budget;
    }

    /** From now until {@link #armForTransaction()}: the greeting timeout applies too. */
    void armForSetup() {
      arm(true);
    }

    /** The attempt deadline and the budget only. */
    void armForTransaction() {
      arm(false);
    }

    private void arm(boolean settingUp) {
      if (future != null) {
        future.cancel(false);
      }
      long now = System.nanoTime();
      long end = attemptEnd;
      Limit limit = Limit.ATTEMPT;
      if (budget != null && budget.endNanos() - end < 0) {
        end = budget.endNanos();
        limit = Limit.BUDGET;
      }
      long setupEnd = now + settings.greetingTimeout().toNanos();
      if (settingUp && setupEnd - end < 0) {
        end = setupEnd;
        limit = Limit.GREETING;
      }
      Limit firing = limit;
      future = scheduler.schedule(() -> fire(firing), Math.max(0, end - now), TimeUnit.NANOSECONDS);
    }

    void watch(SocketCapture socket) {
      target.set(socket);
      if (fired != null) {
        socket.closeQuietly();
      }
    }

    private void fire(Limit limit) {
      fired = limit;
      SocketCapture s = target.get();
      if (s != null) {
        s.closeQuietly();
      }
    }

    boolean fired() {
      return fired != null;
    }

    /** The local reply for the limit that ended the attempt; only after {@link #fired()}. */
    SmtpReply reason() {
      return switch (fired) {
        case ATTEMPT -> ReplyClassifier.deadlineExceeded(settings.attemptDeadline());
        case GREETING -> ReplyClassifier.greetingTimeout(settings.greetingTimeout());
        case BUDGET -> ReplyClassifier.timeBudgetUsedUp(budget);
      };
    }

    void cancel() {
      if (future != null) {
        future.cancel(false);
      }
    }
  }
}
