package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MailTransport} that hands every message to one SMTP relay (with optional failover
 * relays), or delivers it straight to each recipient domain's MX hosts, using Eclipse Angus Mail.
 *
 * <p>Each message is sent as stored: the bytes of {@link OutboundMail#mime()} are written as they
 * are (never parsed or re-saved), except that Bcc and Content-Length header fields are left out, so
 * the Message-ID and every other header go out unchanged; the envelope sender and recipients are
 * those of the {@link OutboundMail}. Line endings are sent as CRLF and leading dots are doubled, so
 * bare CR, bare LF and {@code "\n.\n"} in stored bytes cannot end the data early (SMTP smuggling).
 *
 * <p>Every recipient gets an outcome from the reply that decided it: at RCPT, 2xx accepted, 4xx
 * DEFERRED, 5xx BOUNCED ("552 too many recipients" DEFERRED); the reply to the end of data decides
 * the accepted ones. A lost connection or timeout before the end of data defers with a local 4.4.x
 * reply; no reply after the end of data defers the accepted recipients as {@link
 * DeliveryResult.Kind#UNCERTAIN} (in direct mode also when other domains' recipients were
 * delivered); a 421 defers everything pending and retires the connection. Failed authentication or
 * TLS is a configuration fault: {@link DeliveryResult.Kind#NOT_COUNTED}, logged once as an error. A
 * message larger than the relay's advertised SIZE bounces with 5.3.4 without being sent.
 *
 * <p>SMTPUTF8 (RFC 6531): a message whose {@link OutboundMail#smtpUtf8()} is set goes out with the
 * {@code SMTPUTF8} parameter on {@code MAIL FROM} and its envelope in UTF-8, only to a server whose
 * EHLO reply offers the extension. A server that does not is sent nothing for it: the next relay
 * (or MX host) is tried, and if the last one tried does not offer it either, every recipient
 * bounces with a local {@code 550 5.6.7} naming that host. Messages without the flag never carry
 * the parameter, and one with a non-ASCII character in an envelope address is not sent at all:
 * every recipient bounces with {@code 550 5.6.7} (an address is never written in another form).
 *
 * <p>Connections are pooled per relay and reused for up to {@link
 * SmtpTransportBuilder#maxMessagesPerConnection} messages; a connection that saw a 421, an I/O
 * error or a timeout is never reused. Every attempt has a deadline after which a watchdog closes
 * its socket, so a server that drips bytes cannot hold a worker, and a new connection has a shorter
 * one to be ready for a transaction ({@link SmtpTransportBuilder#greetingTimeout}). What a server
 * sends is bounded, so that it cannot fill the heap either: a reply line to 4096 octets (RFC 5321
 * allows 512), a reply to 64 KiB, a connection to 4 MiB (a connection that has read 1 MiB is not
 * reused). A server that sends more breaks the session: its connection is closed and the pending
 * recipients are deferred with {@code 451 4.5.0} "reply too long" (after the end of data: {@link
 * DeliveryResult.Kind#UNCERTAIN}).
 *
 * <p>Thread-safe: {@link #deliver} may be called from many threads at once. {@link #close()} is
 * idempotent; {@code deliver} after {@code close} throws {@link MailQueueException}.
 *
 * <pre>{@code
 * MailTransport smtp = SmtpTransport.relay("smtp.example.com", 587)
 *     .credentials("app", password)          // STARTTLS_REQUIRED by default
 *     .ehloName("app1.example.com")
 *     .build();
 *
 * MailTransport mx = SmtpTransport.direct()  // port 25 of each domain's MX hosts
 *     .ehloName("mail.example.com")          // should match the PTR record of the sending address
 *     .requireVerifiedTls("bank.example")
 *     .build();
 * }</pre>
 *
 * <h2>Direct mode</h2>
 *
 * The recipients are grouped by domain and each domain is delivered to in turn (on the calling
 * thread); the outcomes are merged into one result holding every recipient. For each domain the
 * {@link MxResolver} (default {@link DnsMxResolver}) gives the MX hosts in preference order:
 *
 * <ul>
 *   <li>null MX (RFC 7505): every recipient BOUNCED {@code 556 5.1.10}, nothing is connected;
 *   <li>the domain does not exist (NXDOMAIN): BOUNCED {@code 550 5.1.2}, as Postfix does; neither
 *       the domain nor its MX hosts have an address: BOUNCED {@code 550 5.4.4};
 *   <li>DNS timeout, SERVFAIL or another unusable answer: DEFERRED {@code 451 4.4.3}, never
 *       bounced;
 *   <li>an MX address that is loopback, unspecified, private (RFC 1918, RFC 6598, fc00::/7),
 *       link-local (169.254/16, fe80::/10) or multicast is skipped unless {@link
 *       DirectBuilder#allowDestinations allowed}. When no address is left, the recipients are
 *       BOUNCED {@code 550 5.4.6} "loops back to myself" if every refused address was loopback or
 *       unspecified (an MX of {@code localhost} never works, as in Postfix), and DEFERRED {@code
 *       451 4.4.4} otherwise (a private MX is often a passing split-horizon DNS mistake, and the
 *       message expires if it is not);
 *   <li>the addresses are tried in order, at most {@link DirectBuilder#maxMxAddresses} of them; the
 *       next is tried after a failed connect, a 4xx or 5xx greeting, a 421, a TLS failure, or, for
 *       a message that needs SMTPUTF8, an MX host that does not offer it (the MX hosts of a domain
 *       need not run the same software; Postfix bounces at the first one instead), and the result
 *       of the last one tried stands.
 * </ul>
 *
 * Connections are pooled per MX host address (and TLS mode), so domains sharing an MX host share
 * its connections; {@link SmtpTransportBuilder#maxConnectionsPerServer} applies to each, and {@link
 * DirectBuilder#maxConnectionsPerMxHost} to each MX host name over all its addresses: a delivery
 * finding that cap reached is deferred at once without counting, so one slow MX host cannot take
 * every worker. A message has a time budget ({@link DirectBuilder#messageDeadline}), and so has its
 * mail to each domain ({@link DirectBuilder#domainDeadline}): each MX attempt ends at the earliest
 * of its own deadline and the ends of the two budgets, and the MX addresses and domains not tried
 * by then are deferred untried, so a tarpit MX holds a worker for minutes, not for its addresses
 * times the attempt deadline. TLS is opportunistic: STARTTLS when offered, encrypting without
 * checking the certificate (RFC 7435, Postfix {@code may}), since most MX certificates do not name
 * the MX host; for domains given to {@link DirectBuilder#requireVerifiedTls} STARTTLS is required
 * and the certificate must be valid for the MX host name (Postfix {@code verify}), otherwise the
 * next MX is tried and the recipients are deferred. A domain's MTA-STS policy (RFC 8461, on by
 * default, see {@link DirectBuilder#mtaSts}) in {@code enforce} mode does the same for the MX hosts
 * it names and leaves the others untried. Direct mode never authenticates.
 */
public final class SmtpTransport implements MailTransport, ClusterAware {
  /** Default time to establish the TCP connection: 30 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);

  /** Default time to wait for any read (each reply): 60 seconds. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

  /** Default time any single write may block: 60 seconds. */
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(60);

  /** Default deadline of a whole attempt (connect, EHLO, TLS, AUTH, transaction): 5 minutes. */
  public static final Duration DEFAULT_ATTEMPT_DEADLINE = Duration.ofMinutes(5);

  /** Default number of messages one connection carries before it is closed: 100. */
  public static final int DEFAULT_MAX_MESSAGES_PER_CONNECTION = 100;

  /** Default time an unused connection stays open: 5 seconds. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Default number of concurrent connections to one server (a relay, or one address of an MX host):
   * 4.
   */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_SERVER = 4;

  /**
   * The former name of {@link #DEFAULT_MAX_CONNECTIONS_PER_SERVER}.
   *
   * @deprecated use {@link #DEFAULT_MAX_CONNECTIONS_PER_SERVER}
   */
  @Deprecated
  public static final int DEFAULT_MAX_CONNECTIONS_PER_RELAY = DEFAULT_MAX_CONNECTIONS_PER_SERVER;

  /** The SMTPS port; a relay on it uses {@link Security#IMPLICIT_TLS} unless told otherwise. */
  public static final int SMTPS_PORT = 465;

  /**
   * Default read timeout in direct mode: 300 seconds (RFC 5321 4.5.3.2 suggests 2 to 10 minutes per
   * reply).
   */
  public static final Duration DEFAULT_DIRECT_READ_TIMEOUT = Duration.ofSeconds(300);

  /** Default attempt deadline in direct mode, per MX address tried: 10 minutes. */
  public static final Duration DEFAULT_DIRECT_ATTEMPT_DEADLINE = Duration.ofMinutes(10);

  /**
   * Default number of MX addresses tried for one domain in one attempt: 5 (Postfix {@code
   * smtp_mx_address_limit}).
   */
  public static final int DEFAULT_MAX_MX_ADDRESSES = 5;

  /**
   * Default time a new connection may take to be ready for a transaction (connect, greeting, EHLO,
   * STARTTLS, in relay mode AUTH): 60 seconds, as KumoMTA's {@code banner_timeout}. RFC 5321 allows
   * a server 5 minutes for its greeting, but greeting delays in use (Postfix postscreen 6 s,
   * Sendmail greet_pause, tarpits against spam) are seconds, and a server silent for a minute after
   * accepting the connection is more likely to be a tarpit than busy.
   */
  public static final Duration DEFAULT_GREETING_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Default time budget of a message's mail to one domain in direct mode, over all its MX
   * addresses: 5 minutes. As long as RFC 5321 (4.5.3.2) lets a client wait for any one reply but
   * the last; far longer than a healthy MX takes (seconds), and enough to send a 25 MB message at 1
   * Mbit/s; a tarpit MX holds a worker for this long instead of up to 5 addresses times {@link
   * #DEFAULT_DIRECT_ATTEMPT_DEADLINE} (50 minutes).
   */
  public static final Duration DEFAULT_DIRECT_DOMAIN_DEADLINE = Duration.ofMinutes(5);

  /**
   * Default time budget of a message in direct mode, over all its domains: 10 minutes, two domain
   * budgets. A message to several tarpit domains holds a worker at most this long; the domains it
   * does not reach are deferred untried and come first on a later attempt.
   */
  public static final Duration DEFAULT_DIRECT_MESSAGE_DEADLINE = Duration.ofMinutes(10);

  /**
   * Default number of sessions open at once to one MX host in direct mode, over all its addresses:
   * 2, a quarter of the queue's 8 default workers, so that a slow MX host holds at most two of them
   * however many messages and domains go to it. Enough for transactional mail to one provider (each
   * session is reused); raise it, or use {@link SmtpTransportBuilder#shaping shaping}, for bulk
   * mail to one.
   */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_MX_HOST = 2;

  /**
   * Whether direct mode honours MTA-STS policies (RFC 8461) by default: true, as KumoMTA does (see
   * {@link DirectBuilder#mtaSts}).
   */
  public static final boolean DEFAULT_MTA_STS = true;

  /**
   * Default time a destination is suspended after a reputation block (a {@link ReplyRule} with
   * {@link ReplyAction#SUSPEND_DESTINATION}): 1 hour. The providers ask senders not to retry into a
   * block (it prolongs it); their temporary rate limits and block-list delistings take hours.
   */
  public static final Duration DEFAULT_BLOCK_SUSPENSION = Duration.ofHours(1);

  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Settings settings;

  /** Relay mode: the relays in failover order; {@code null} in direct mode. */
  private final RelayDelivery relays;

  /** Direct mode; {@code null} in relay mode. */
  private final DirectDelivery direct;

  /**
   * With shaping: enforces the destination limits, then hands on to {@link #relays} or {@link
   * #direct}.
   */
  private final DestinationShaper shaper;

  /** Signs each attempt; {@code null} without DKIM. */
  private final DkimSigner dkim;

  /** The start-up check of the DKIM keys in DNS; completed at once when there is none. */
  private final CompletableFuture<List<DkimKeyCheck.Result>> dkimCheck;

  /** The application's reply rules, then the built-in ones. */
  private final List<ReplyRule> rules;

  /** Hears blocks when there is no shaping (with shaping, {@link #shaper} tells it). */
  private final ShapingListener listener;

  private final String description;
  private final ScheduledThreadPoolExecutor scheduler;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param direct the options of direct mode, {@code null} in relay mode
   * @param shaping the destination limits, {@code null} for none
   * @param rules the reply rules, the application's before the built-in ones
   */
  SmtpTransport(
      Settings settings,
      DirectBuilder.DirectSettings direct,
      DestinationLimits shaping,
      ShapingListener shapingListener,
      DkimSigning dkim,
      List<ReplyRule> rules,
      Duration blockSuspension) {
    this.settings = settings;
    this.dkim = dkim == null ? null : dkim.signer();
    this.rules = List.copyOf(rules);
    this.listener = shapingListener;
    int instance = INSTANCES.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    // Two threads: the watchdog must be able to fire while the other one closes an idle connection.
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            2,
            r -> {
              Thread t =
                  new Thread(r, "mailqueue-smtp-" + instance + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    String desc;
    if (direct == null) {
      List<RelayPool> pools = new ArrayList<>();
      for (Relay r : settings.relays()) {
        pools.add(new RelayPool(r, settings.forHost(shaping, r.host()), scheduler));
      }
      this.relays = new RelayDelivery(pools);
      this.direct = null;
      desc =
          "SmtpTransport[relays="
              + settings.relays()
              + ", security="
              + settings.security()
              + ", auth="
              + (settings.credentials() == null ? "none" : settings.credentials())
              + ", ehlo="
              + settings.ehloName()
              + "]";
    } else {
      Settings verified =
          settings.withTls(Security.STARTTLS_REQUIRED, settings.sslSocketFactory(), true);
      Settings opportunistic =
          settings.security() == Security.NONE
              ? settings
              : settings.withTls(settings.security(), UnverifiedTls.socketFactory(), false);
      this.relays = null;
      AddressPolicy addressPolicy = AddressPolicy.allowing(direct.allowed());
      MtaSts mtaSts =
          direct.mtaSts() && direct.resolver() instanceof DnsMxResolver dns
              ? new MtaSts(
                  dns,
                  new MtaStsFetcher(
                      dns,
                      addressPolicy,
                      settings.sslSocketFactory(),
                      direct.mtaStsPort(),
                      direct.mtaStsTimeout()),
                  direct.mtaStsClock())
              : null;
      this.direct =
          new DirectDelivery(
              opportunistic,
              verified,
              direct.verifiedDomains(),
              direct.resolver(),
              addressPolicy,
              direct.limits(),
              scheduler,
              shaping,
              mtaSts);
      desc =
          "SmtpTransport[direct, resolver="
              + direct.resolver()
              + ", security="
              + settings.security()
              + ", verifiedTls="
              + direct.verifiedDomains()
              + ", allowed="
              + direct.allowed()
              + ", mtaSts="
              + (mtaSts != null)
              + ", ehlo="
              + settings.ehloName()
              + "]";
    }
    if (dkim != null) {
      desc = desc.substring(0, desc.length() - 1) + ", dkim=" + dkim.keys() + "]";
    }
    if (shaping == null) {
      this.shaper = null;
    } else {
      Function<String, String> hostOfDomain;
      if (direct != null) {
        MxResolver resolver = direct.resolver();
        hostOfDomain =
            d -> resolver.lookup(d) instanceof MxLookup.Hosts h ? h.hosts().get(0).name() : null;
      } else {
        String relayHost = settings.relays().get(0).host();
        hostOfDomain = d -> relayHost;
      }
      this.shaper =
          new DestinationShaper(
              shaping, hostOfDomain, shapingListener, this.rules, blockSuspension);
    }
    this.description =
        shaping == null
            ? desc
            : desc.substring(0, desc.length() - 1) + ", shaping=" + shaping + "]";
    this.dkimCheck =
        dkim != null && dkim.checkDnsAtStart()
            // its own thread: up to a DNS timeout per key, which the watchdog's must not wait for
            ? CompletableFuture.supplyAsync(
                () -> checkKeys(dkim),
                r -> {
                  Thread t = new Thread(r, "mailqueue-dkim-check-" + instance);
                  t.setDaemon(true);
                  t.start();
                })
            : CompletableFuture.completedFuture(List.of());
    long period = Math.max(100, settings.idleTimeout().toMillis() / 2);
    scheduler.scheduleWithFixedDelay(this::evictIdle, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Looks every DKIM key up in DNS once and warns about those not published or different; DNS
   * trouble never stops the transport.
   */
  private static List<DkimKeyCheck.Result> checkKeys(DkimSigning dkim) {
    List<DkimKeyCheck.Result> results = new ArrayList<>();
    for (DkimKey key : dkim.keys()) {
      DkimKeyCheck.Result r = DkimKeyCheck.check(key, dkim.dnsServers(), dkim.dnsTimeout());
      results.add(r);
      if (r.status() == DkimKeyCheck.Status.MATCHES) {
        log.debug("DKIM: {}", r.detail());
      } else {
        log.warn("DKIM key {} {}: {}", key, r.status(), r.detail());
      }
    }
    return List.copyOf(results);
  }

  /** The start-up check of the DKIM keys (tests only). */
  CompletableFuture<List<DkimKeyCheck.Result>> dkimCheck() {
    return dkimCheck;
  }

  private void evictIdle() {
    if (relays != null) {
      relays.evictIdle();
    } else {
      direct.evictIdle();
    }
  }

  /**
   * Starts a builder for delivery through the relay at {@code host:port} (e.g. port 587 with
   * STARTTLS, or 465 with implicit TLS); the builder adds failover relays and credentials to the
   * options both modes share ({@link SmtpTransportBuilder}).
   *
   * @param host the relay's host name or address literal; not null or blank
   * @param port the relay's port, 1 to 65535; 465 makes implicit TLS the default
   * @return a new builder
   * @throws IllegalArgumentException when {@code host} is blank or {@code port} is out of range
   */
  public static RelayBuilder relay(String host, int port) {
    return new RelayBuilder(new Relay(host, port));
  }

  /**
   * Starts a builder for delivery straight to each recipient domain's MX hosts on port 25 (see
   * "Direct mode" above). Defaults differ from relay mode: {@link Security#STARTTLS_OPPORTUNISTIC}
   * without certificate checks, read timeout {@link #DEFAULT_DIRECT_READ_TIMEOUT}, attempt deadline
   * {@link #DEFAULT_DIRECT_ATTEMPT_DEADLINE}, within the time budgets {@link
   * #DEFAULT_DIRECT_DOMAIN_DEADLINE} per domain and {@link #DEFAULT_DIRECT_MESSAGE_DEADLINE} per
   * message, and at most {@link #DEFAULT_MAX_CONNECTIONS_PER_MX_HOST} sessions per MX host. Its
   * builder has no relay or credential options, and refuses implicit TLS at {@link
   * DirectBuilder#build()}.
   *
   * @return a new builder
   */
  public static DirectBuilder direct() {
    return new DirectBuilder();
  }

  /**
   * Delivers {@code mail} through the first relay that accepts a connection; the next relay is
   * tried when one refuses the connection, greets with a 4xx/5xx or answers 421 before anything was
   * delivered or bounced, or does not offer SMTPUTF8 to a message that needs it. In direct mode,
   * delivers to each recipient domain's MX hosts in turn and merges the outcomes. Never throws for
   * network, DNS or server failures.
   */
  @Override
  public DeliveryResult deliver(OutboundMail mail) {
    Objects.requireNonNull(mail, "mail");
    if (closed.get()) {
      throw new MailQueueException(
          "SmtpTransport is closed; build a new one to deliver " + mail.id());
    }
    String nonAscii = mail.smtpUtf8() ? null : nonAsciiEnvelopeAddress(mail);
    if (nonAscii != null) {
      return DeliveryResult.all(
          mail.recipients(),
          RecipientStatus.BOUNCED,
          ReplyClassifier.nonAsciiWithoutSmtpUtf8(nonAscii),
          null);
    }
    if (dkim != null) {
      // once per attempt, before the first connection: every relay or MX host tried gets the same
      // signature, dated by the attempt
      mail = dkim.sign(mail, Instant.now().getEpochSecond());
    }
    // the reply rules apply to each part as it comes back, before shaping judges the destination
    if (relays != null) {
      return shaper != null
          ? shaper.deliver(mail, part -> ruled(relays.deliver(part)))
          : alerted(ruled(relays.deliver(mail)));
    }
    OutboundMail inTurn = DirectDelivery.inTurn(mail);
    // one budget for the whole message, shared by the parts shaping delivers one destination at a
    // time
    TimeBudget budget = direct.messageBudget();
    DeliveryResult result =
        shaper != null
            ? shaper.deliver(inTurn, part -> ruled(direct.deliver(part, budget)))
            : alerted(ruled(direct.deliver(inTurn, budget)));
    return inTurn == mail ? result : DeliveryResult.merge(mail.recipients(), List.of(result));
  }

  private DeliveryResult ruled(DeliveryResult result) {
    return ReplyClassifier.applyRules(result, rules);
  }

  /**
   * Without shaping: tells the listener about a block (there is no breaker to count it or to
   * suspend), naming the host that answered as the destination.
   */
  private DeliveryResult alerted(DeliveryResult result) {
    for (RecipientOutcome o : result.recipients()) {
      if (o.block() != null) {
        ReplyClass replyClass = ReplyClassifier.blockClass(o, rules);
        String destination =
            result.remoteHost() != null ? result.remoteHost() : o.recipient().domain();
        try {
          listener.blocked(destination, replyClass, o.reply(), null);
        } catch (RuntimeException e) {
          log.warn("shaping listener failed on blocked({}, {})", destination, replyClass, e);
        }
        break;
      }
    }
    return result;
  }

  /** The first envelope address with a non-ASCII character, or {@code null}. */
  private static String nonAsciiEnvelopeAddress(OutboundMail mail) {
    if (mail.envelopeFrom().requiresSmtpUtf8()) {
      return mail.envelopeFrom().address();
    }
    for (MailAddress a : mail.recipients()) {
      if (a.requiresSmtpUtf8()) {
        return a.address();
      }
    }
    return null;
  }

  /**
   * With {@link SmtpTransportBuilder#shaping shaping}, divides each destination's rate and sessions
   * among {@code nodes} live nodes (see {@link ShapingTransport#liveNodes}); without, does nothing.
   * Called by the queue when its store keeps a node registry.
   */
  @Override
  public void liveNodes(int nodes) {
    if (shaper != null) {
      shaper.liveNodes(nodes);
    }
  }

  /** Closes every pooled connection and stops the watchdog. Idempotent. */
  @Override
  public List<String> problems() {
    return relays == null ? List.of() : relays.problems();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      if (relays != null) {
        relays.close();
      } else {
        direct.close();
      }
      scheduler.shutdownNow();
    }
  }

  /** Idle connections to the relay at index {@code i} (tests only). */
  int idleConnections(int i) {
    return relays.idleConnections(i);
  }

  /** What MTA-STS testing mode reported in direct mode, as "domain: finding" (tests only). */
  List<String> mtaStsReported() {
    return direct.mtaStsReported();
  }

  /** Idle connections to an MX host in direct mode (tests only). */
  int idleConnections(String mxHost) {
    return direct.idleConnections(mxHost);
  }

  /**
   * The relays (or "direct" with the resolver, verified-TLS domains and allow-list), the security
   * mode and the user name; never a password or token.
   */
  @Override
  public String toString() {
    return description;
  }
}
