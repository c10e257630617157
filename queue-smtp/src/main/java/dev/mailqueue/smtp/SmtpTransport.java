package dev.mailqueue.smtp;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueException;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A {@link MailTransport} that hands every message to one SMTP relay (with optional failover
 * relays), or delivers it straight to each recipient domain's MX hosts, using Eclipse Angus Mail.
 *
 * <p>Each message is sent as stored: the bytes of {@link OutboundMail#mime()} are written as they
 * are (never parsed or re-saved), except that Bcc and Content-Length header fields are left out,
 * so the Message-ID and every other header go out unchanged; the envelope sender and recipients
 * are those of the {@link OutboundMail}. Line endings are sent as CRLF and leading dots are
 * doubled, so bare CR, bare LF and {@code "\n.\n"} in stored bytes cannot end the data early
 * (SMTP smuggling).
 *
 * <p>Every recipient gets an outcome from the reply that decided it: at RCPT, 2xx accepted, 4xx
 * DEFERRED, 5xx BOUNCED ("552 too many recipients" DEFERRED); the reply to the end of data
 * decides the accepted ones. A lost connection or timeout before the end of data defers with a
 * local 4.4.x reply; no reply after the end of data defers the accepted recipients as
 * {@link DeliveryResult.Kind#UNCERTAIN} (in direct mode also when other domains' recipients were
 * delivered); a 421 defers everything pending and retires the connection. Failed authentication or TLS is a
 * configuration fault: {@link DeliveryResult.Kind#NOT_COUNTED}, logged once as an error. A
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
 * <p>Connections are pooled per relay and reused for up to {@link Builder#maxMessagesPerConnection}
 * messages; a connection that saw a 421, an I/O error or a timeout is never reused. Every attempt
 * has a deadline after which a watchdog closes its socket, so a server that drips bytes cannot
 * hold a worker, and a new connection has a shorter one to be ready for a transaction
 * ({@link Builder#greetingTimeout}). What a server sends is bounded, so that it cannot fill the heap either: a reply
 * line to 4096 octets (RFC 5321 allows 512), a reply to 64 KiB, a connection to 4 MiB (a
 * connection that has read 1 MiB is not reused). A server that sends more breaks the session: its
 * connection is closed and the pending recipients are deferred with {@code 451 4.5.0} "reply too
 * long" (after the end of data: {@link DeliveryResult.Kind#UNCERTAIN}).
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
 * The recipients are grouped by domain and each domain is delivered to in turn (on the calling
 * thread); the outcomes are merged into one result holding every recipient. For each domain the
 * {@link MxResolver} (default {@link DnsMxResolver}) gives the MX hosts in preference order:
 * <ul>
 *   <li>null MX (RFC 7505): every recipient BOUNCED {@code 556 5.1.10}, nothing is connected;
 *   <li>the domain does not exist (NXDOMAIN): BOUNCED {@code 550 5.1.2}, as Postfix does; neither
 *       the domain nor its MX hosts have an address: BOUNCED {@code 550 5.4.4};
 *   <li>DNS timeout, SERVFAIL or another unusable answer: DEFERRED {@code 451 4.4.3}, never bounced;
 *   <li>an MX address that is loopback, unspecified, private (RFC 1918, RFC 6598, fc00::/7),
 *       link-local (169.254/16, fe80::/10) or multicast is skipped unless
 *       {@link Builder#allowDestinations allowed}. When no address is left, the recipients are
 *       BOUNCED {@code 550 5.4.6} "loops back to myself" if every refused address was loopback or
 *       unspecified (an MX of {@code localhost} never works, as in Postfix), and DEFERRED
 *       {@code 451 4.4.4} otherwise (a private MX is often a passing split-horizon DNS mistake,
 *       and the message expires if it is not);
 *   <li>the addresses are tried in order, at most {@link Builder#maxMxAddresses} of them; the next
 *       is tried after a failed connect, a 4xx or 5xx greeting, a 421, a TLS failure, or, for a
 *       message that needs SMTPUTF8, an MX host that does not offer it (the MX hosts of a domain
 *       need not run the same software; Postfix bounces at the first one instead), and the
 *       result of the last one tried stands.
 * </ul>
 * Connections are pooled per MX host address (and TLS mode), so domains sharing an MX host share
 * its connections; {@link Builder#maxConnectionsPerRelay} applies to each, and
 * {@link Builder#maxConnectionsPerMxHost} to each MX host name over all its addresses: a delivery
 * finding that cap reached is deferred at once without counting, so one slow MX host cannot take
 * every worker. A message has a time budget ({@link Builder#messageDeadline}), and so has its mail
 * to each domain ({@link Builder#domainDeadline}): each MX attempt ends at the earliest of its own
 * deadline and the ends of the two budgets, and the MX addresses and domains not tried by then are
 * deferred untried, so a tarpit MX holds a worker for minutes, not for its addresses times the
 * attempt deadline. TLS is opportunistic:
 * STARTTLS when offered, encrypting without checking the certificate (RFC 7435, Postfix
 * {@code may}), since most MX certificates do not name the MX host; for domains given to
 * {@link Builder#requireVerifiedTls} STARTTLS is required and the certificate must be valid for
 * the MX host name (Postfix {@code verify}), otherwise the next MX is tried and the recipients
 * are deferred. Direct mode never authenticates.
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
  /** Default number of concurrent connections to one relay: 4. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_RELAY = 4;
  /** The SMTPS port; a relay on it uses {@link Security#IMPLICIT_TLS} unless told otherwise. */
  public static final int SMTPS_PORT = 465;
  /** Default read timeout in direct mode: 300 seconds (RFC 5321 4.5.3.2 suggests 2 to 10 minutes per reply). */
  public static final Duration DEFAULT_DIRECT_READ_TIMEOUT = Duration.ofSeconds(300);
  /** Default attempt deadline in direct mode, per MX address tried: 10 minutes. */
  public static final Duration DEFAULT_DIRECT_ATTEMPT_DEADLINE = Duration.ofMinutes(10);
  /** Default number of MX addresses tried for one domain in one attempt: 5 (Postfix {@code smtp_mx_address_limit}). */
  public static final int DEFAULT_MAX_MX_ADDRESSES = 5;
  /**
   * Default time a new connection may take to be ready for a transaction (connect, greeting, EHLO,
   * STARTTLS, in relay mode AUTH): 60 seconds, as KumoMTA's {@code banner_timeout}. RFC 5321 allows
   * a server 5 minutes for its greeting, but greeting delays in use (Postfix postscreen 6 s,
   * Sendmail greet_pause, tarpits against spam) are seconds, and a server silent for a minute
   * after accepting the connection is more likely to be a tarpit than busy.
   */
  public static final Duration DEFAULT_GREETING_TIMEOUT = Duration.ofSeconds(60);
  /**
   * Default time budget of a message's mail to one domain in direct mode, over all its MX
   * addresses: 5 minutes. As long as RFC 5321 (4.5.3.2) lets a client wait for any one reply but
   * the last; far longer than a healthy MX takes (seconds), and enough to send a 25 MB message at
   * 1 Mbit/s; a tarpit MX holds a worker for this long instead of up to 5 addresses times
   * {@link #DEFAULT_DIRECT_ATTEMPT_DEADLINE} (50 minutes).
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
   * session is reused); raise it, or use {@link Builder#shaping shaping}, for bulk mail to one.
   */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_MX_HOST = 2;

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Settings settings;
  /** Relay mode: the relays in failover order; {@code null} in direct mode. */
  private final RelayDelivery relays;
  /** Direct mode; {@code null} in relay mode. */
  private final DirectDelivery direct;
  /** With shaping: enforces the destination limits, then hands on to {@link #relays} or {@link #direct}. */
  private final DestinationShaper shaper;
  private final String description;
  private final ScheduledThreadPoolExecutor scheduler;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SmtpTransport(Settings settings, Builder builder) {
    this.settings = settings;
    Builder direct = builder.directMode ? builder : null;
    int instance = INSTANCES.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    // Two threads: the watchdog must be able to fire while the other one closes an idle connection.
    this.scheduler = new ScheduledThreadPoolExecutor(2, r -> {
      Thread t = new Thread(r, "mailqueue-smtp-" + instance + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    DestinationLimits shaping = builder.shaping;
    String desc;
    if (direct == null) {
      List<RelayPool> pools = new ArrayList<>();
      for (Relay r : settings.relays()) {
        pools.add(new RelayPool(r,
            shaping == null ? settings : settings.withSessionLimits(shaping.destinationOfHost(r.host()).limit()),
            scheduler));
      }
      this.relays = new RelayDelivery(pools);
      this.direct = null;
      desc = "SmtpTransport[relays=" + settings.relays() + ", security=" + settings.security()
          + ", auth=" + (settings.credentials() == null ? "none" : settings.credentials()) + ", ehlo="
          + settings.ehloName() + "]";
    } else {
      Settings verified = settings.withTls(Security.STARTTLS_REQUIRED, settings.sslSocketFactory(), true);
      Settings opportunistic = settings.security() == Security.NONE ? settings
          : settings.withTls(settings.security(), UnverifiedTls.socketFactory(), false);
      this.relays = null;
      this.direct = new DirectDelivery(opportunistic, verified, direct.verifiedDomains, direct.mxResolver,
          AddressPolicy.allowing(direct.allowed), new DirectDelivery.Limits(direct.maxMxAddresses,
              direct.maxConnectionsPerMxHost, direct.domainDeadline, direct.messageDeadline), scheduler, shaping);
      desc = "SmtpTransport[direct, resolver=" + direct.mxResolver + ", security=" + settings.security()
          + ", verifiedTls=" + direct.verifiedDomains + ", allowed=" + direct.allowed + ", ehlo="
          + settings.ehloName() + "]";
    }
    if (shaping == null) {
      this.shaper = null;
    } else {
      Function<String, String> hostOfDomain;
      if (direct != null) {
        MxResolver resolver = direct.mxResolver;
        hostOfDomain = d -> resolver.lookup(d) instanceof MxLookup.Hosts h ? h.hosts().get(0).name() : null;
      } else {
        String relayHost = settings.relays().get(0).host();
        hostOfDomain = d -> relayHost;
      }
      this.shaper = new DestinationShaper(shaping, hostOfDomain, builder.shapingListener);
    }
    this.description = shaping == null ? desc : desc.substring(0, desc.length() - 1) + ", shaping=" + shaping + "]";
    long period = Math.max(100, settings.idleTimeout().toMillis() / 2);
    scheduler.scheduleWithFixedDelay(this::evictIdle, period, period, TimeUnit.MILLISECONDS);
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
   * STARTTLS, or 465 with implicit TLS).
   */
  public static Builder relay(String host, int port) {
    return new Builder(new Relay(host, port));
  }

  /**
   * Starts a builder for delivery straight to each recipient domain's MX hosts on port 25 (see
   * "Direct mode" above). Defaults differ from relay mode: {@link Security#STARTTLS_OPPORTUNISTIC}
   * without certificate checks, read timeout {@link #DEFAULT_DIRECT_READ_TIMEOUT}, attempt deadline
   * {@link #DEFAULT_DIRECT_ATTEMPT_DEADLINE}, within the time budgets {@link #DEFAULT_DIRECT_DOMAIN_DEADLINE}
   * per domain and {@link #DEFAULT_DIRECT_MESSAGE_DEADLINE} per message, and at most
   * {@link #DEFAULT_MAX_CONNECTIONS_PER_MX_HOST} sessions per MX host. Relays, credentials and
   * implicit TLS are refused.
   */
  public static Builder direct() {
    return new Builder(null);
  }

  /**
   * Delivers {@code mail} through the first relay that accepts a connection; the next relay is
   * tried when one refuses the connection, greets with a 4xx/5xx or answers 421 before anything
   * was delivered or bounced, or does not offer SMTPUTF8 to a message that needs it. In direct mode, delivers to each recipient domain's MX hosts in
   * turn and merges the outcomes. Never throws for network, DNS or server failures.
   */
  @Override
  public DeliveryResult deliver(OutboundMail mail) {
    Objects.requireNonNull(mail, "mail");
    if (closed.get()) {
      throw new MailQueueException("SmtpTransport is closed; build a new one to deliver " + mail.id());
    }
    String nonAscii = mail.smtpUtf8() ? null : nonAsciiEnvelopeAddress(mail);
    if (nonAscii != null) {
      return DeliveryResult.all(mail.recipients(), RecipientStatus.BOUNCED,
          ReplyClassifier.nonAsciiWithoutSmtpUtf8(nonAscii), null);
    }
    if (relays != null) {
      return shaper != null ? shaper.deliver(mail, relays::deliver) : relays.deliver(mail);
    }
    OutboundMail inTurn = DirectDelivery.inTurn(mail);
    // one budget for the whole message, shared by the parts shaping delivers one destination at a time
    TimeBudget budget = direct.messageBudget();
    DeliveryResult result = shaper != null ? shaper.deliver(inTurn, part -> direct.deliver(part, budget))
        : direct.deliver(inTurn, budget);
    return inTurn == mail ? result : DeliveryResult.merge(mail.recipients(), List.of(result));
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
   * With {@link Builder#shaping shaping}, divides each destination's rate and sessions among
   * {@code nodes} live nodes (see {@link ShapingTransport#liveNodes}); without, does nothing.
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

  /**
   * Builds an immutable {@link SmtpTransport}. Not thread-safe; every setter validates its
   * argument and returns this builder. A setter that does not apply to the builder's mode (relay
   * or direct) throws {@link IllegalStateException}.
   */
  public static final class Builder {
    private final boolean directMode;
    private final List<Relay> relays = new ArrayList<>();
    private MxResolver mxResolver;
    private final List<String> allowed = new ArrayList<>();
    private final Set<String> verifiedDomains = new TreeSet<>();
    private int maxMxAddresses = DEFAULT_MAX_MX_ADDRESSES;
    private int maxConnectionsPerMxHost = DEFAULT_MAX_CONNECTIONS_PER_MX_HOST;
    private Duration domainDeadline = DEFAULT_DIRECT_DOMAIN_DEADLINE;
    private Duration messageDeadline = DEFAULT_DIRECT_MESSAGE_DEADLINE;
    private Security security;
    private Credentials credentials;
    private SSLSocketFactory sslSocketFactory;
    private String ehloName;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration readTimeout;
    private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
    private Duration attemptDeadline;
    private Duration greetingTimeout = DEFAULT_GREETING_TIMEOUT;
    private int maxMessagesPerConnection = DEFAULT_MAX_MESSAGES_PER_CONNECTION;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int maxConnectionsPerRelay = DEFAULT_MAX_CONNECTIONS_PER_RELAY;
    private DestinationLimits shaping;
    private ShapingListener shapingListener = ShapingListener.NONE;

    /** @param first the first relay, or {@code null} for direct mode */
    private Builder(Relay first) {
      directMode = first == null;
      if (first != null) {
        relays.add(first);
      }
    }

    /**
     * Adds a relay to fail over to, tried in the order added when the previous one refuses the
     * connection, greets with an error or answers 421. All relays share the other settings.
     * Relay mode only.
     */
    public Builder failover(String host, int port) {
      relayModeOnly("failover");
      relays.add(new Relay(host, port));
      return this;
    }

    /**
     * How connections are protected. In relay mode defaults to {@link Security#IMPLICIT_TLS} when
     * the first relay's port is 465, else {@link Security#STARTTLS_OPPORTUNISTIC} when every relay
     * is on this machine ({@code localhost} or a loopback address), else
     * {@link Security#STARTTLS_REQUIRED}, with or without credentials: an attacker on the path
     * could otherwise strip STARTTLS and read every password-reset link. A relay that offers no
     * STARTTLS then gets nothing; set {@link Security#NONE} to send in plain text on purpose.
     * {@link Security#NONE} with credentials is
     * refused by {@link #build()}. In direct mode defaults to {@link Security#STARTTLS_OPPORTUNISTIC}
     * (without certificate checks); {@link Security#STARTTLS_REQUIRED} requires verified TLS for
     * every domain; {@link Security#IMPLICIT_TLS} is refused by {@link #build()}.
     */
    public Builder security(Security security) {
      this.security = Objects.requireNonNull(security, "security");
      return this;
    }

    /**
     * Finds the MX hosts of each recipient domain. Direct mode only. Defaults to
     * {@link DnsMxResolver#ofDefaults()} (the system's name servers), created by {@link #build()}.
     */
    public Builder mxResolver(MxResolver resolver) {
      directModeOnly("mxResolver");
      this.mxResolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * Permits MX addresses that would otherwise be refused (loopback, private, link-local,
     * multicast): CIDRs ({@code "10.20.0.0/16"}, {@code "fd00::/8"}), addresses ({@code "127.0.0.1"})
     * or MX host names ({@code "mx.internal.example"}, every address of that host). Adds to earlier
     * calls. Direct mode only. Defaults to none: only public addresses are connected to.
     *
     * @throws IllegalArgumentException for an entry that is none of these
     */
    public Builder allowDestinations(String... cidrsOrHosts) {
      directModeOnly("allowDestinations");
      List<String> entries = List.of(cidrsOrHosts);
      AddressPolicy.allowing(entries); // validates
      allowed.addAll(entries);
      return this;
    }

    /**
     * Requires STARTTLS with a certificate valid for the MX host name (checked against the trust
     * store) for mail to these domains; an MX host without it is skipped and, when none has it,
     * the recipients are deferred. An entry is a domain ({@code bank.example}, matched exactly,
     * case-insensitively; internationalised names are converted to A-labels, so
     * {@code bücher.example} matches {@code xn--bcher-kva.example}) or {@code *.} and a domain
     * ({@code *.corp.example}: every domain below it, at any depth, but not {@code corp.example}
     * itself). Adds to earlier calls. Direct mode only. Defaults to none: opportunistic TLS
     * everywhere.
     *
     * @throws IllegalArgumentException for an entry that is neither (e.g. {@code corp*.example},
     *     {@code *}, an address, a name with spaces)
     */
    public Builder requireVerifiedTls(String... domains) {
      directModeOnly("requireVerifiedTls");
      for (String d : domains) {
        verifiedDomains.add(DomainPatterns.normalise(Objects.requireNonNull(d, "domain")));
      }
      return this;
    }

    /**
     * MX addresses tried for one domain in one attempt, in order (all addresses of the most
     * preferred host first). Direct mode only. Defaults to {@link #DEFAULT_MAX_MX_ADDRESSES}.
     */
    public Builder maxMxAddresses(int max) {
      directModeOnly("maxMxAddresses");
      this.maxMxAddresses = positive(max, "maxMxAddresses");
      return this;
    }

    /**
     * Time budget of a message's mail to one domain, over all the MX addresses tried for it (DNS
     * lookup included). Each attempt on an MX address ends at the earliest of its
     * {@link #attemptDeadline}, the end of this budget and the end of the {@link #messageDeadline};
     * an attempt ended by a budget defers the recipients it had not finished with a local
     * {@code 451 4.4.2} "time budget ... used up" (counted, since the MX host was tried). The MX
     * addresses not tried by then are not tried in this attempt, and the last one's deferral stands.
     * Direct mode only. Defaults to {@link #DEFAULT_DIRECT_DOMAIN_DEADLINE}.
     */
    public Builder domainDeadline(Duration deadline) {
      directModeOnly("domainDeadline");
      this.domainDeadline = positiveMillis(deadline, "domainDeadline");
      return this;
    }

    /**
     * Time budget of a message, over all its recipient domains (delivered one after the other on the
     * calling thread): bounds how long one message can hold the worker delivering it. Each domain's
     * attempts also end with it (see {@link #domainDeadline}). The domains not reached when it is
     * used up are not tried: their recipients are deferred with a local {@code 451 4.4.7} "time
     * budget of ... for this message used up before mail to ... was tried". That part of the attempt
     * is {@link DeliveryResult.Kind#NOT_COUNTED} (nothing was asked of those domains), but next to a
     * domain that was tried and deferred the whole attempt counts, as {@link DeliveryResult#merge}
     * says. From the second attempt on, the domains are taken in turn, one further per attempt, so
     * a domain the budget did not reach is tried first later. Direct mode only. Defaults to
     * {@link #DEFAULT_DIRECT_MESSAGE_DEADLINE}.
     */
    public Builder messageDeadline(Duration deadline) {
      directModeOnly("messageDeadline");
      this.messageDeadline = positiveMillis(deadline, "messageDeadline");
      return this;
    }

    /**
     * Sessions open at once to one MX host name, over all its addresses and every domain whose MX
     * it is. A delivery that finds them all in use is not made to wait: its recipients for that
     * domain are deferred at once with a local {@code 451 4.4.5} "all N connections to MX host ...
     * are busy", {@link DeliveryResult.Kind#NOT_COUNTED} and due again after a second (when an MX
     * host of the domain was already tried in this attempt, its result stands instead; the
     * domain's other MX hosts are not used as overflow). Applies with {@link #shaping} too, which
     * then limits its destinations on top of this. Direct mode only. Defaults to
     * {@link #DEFAULT_MAX_CONNECTIONS_PER_MX_HOST}.
     */
    public Builder maxConnectionsPerMxHost(int max) {
      directModeOnly("maxConnectionsPerMxHost");
      this.maxConnectionsPerMxHost = positive(max, "maxConnectionsPerMxHost");
      return this;
    }

    /**
     * Authenticates with AUTH PLAIN or LOGIN (whichever the server offers). Defaults to no
     * authentication. The password never appears in logs, exceptions or {@code toString()}.
     * Relay mode only.
     */
    public Builder credentials(String username, String password) {
      relayModeOnly("credentials");
      Objects.requireNonNull(password, "password");
      this.credentials = new Credentials(username, () -> password, false);
      return this;
    }

    /**
     * Authenticates with AUTH XOAUTH2, asking {@code accessToken} for a current token on every
     * new connection (it should cache and refresh tokens itself). Defaults to no authentication.
     * Relay mode only.
     */
    public Builder oauth2(String username, Supplier<String> accessToken) {
      relayModeOnly("oauth2");
      this.credentials = new Credentials(username, Objects.requireNonNull(accessToken, "accessToken"), true);
      return this;
    }

    /**
     * Trusts the certificates in {@code trustStore} instead of the JDK's default trust store.
     * Host names are verified regardless. Defaults to the JDK's default trust. In direct mode it
     * applies to the domains that require verified TLS.
     */
    public Builder trustStore(KeyStore trustStore) {
      Objects.requireNonNull(trustStore, "trustStore");
      try {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        this.sslSocketFactory = context.getSocketFactory();
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("cannot build a TLS context from the trust store: " + e.getMessage(), e);
      }
      return this;
    }

    /**
     * Uses this factory for TLS (e.g. for client certificates). Host names are still verified.
     * Defaults to {@code SSLContext.getDefault()}'s factory.
     */
    public Builder sslSocketFactory(SSLSocketFactory factory) {
      this.sslSocketFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * The name sent with EHLO. Defaults to this machine's canonical host name (looked up once at
     * {@link #build()}), or {@code localhost} when it cannot be resolved.
     */
    public Builder ehloName(String ehloName) {
      Objects.requireNonNull(ehloName, "ehloName");
      if (ehloName.isBlank() || ehloName.chars().anyMatch(c -> c <= ' ' || c > '~')) {
        throw new IllegalArgumentException("EHLO name must be printable ASCII without spaces: '" + ehloName + "'");
      }
      this.ehloName = ehloName;
      return this;
    }

    /** Time allowed to establish a TCP connection. Defaults to {@link #DEFAULT_CONNECT_TIMEOUT}. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positiveMillis(timeout, "connectTimeout");
      return this;
    }

    /**
     * Time allowed for each read, i.e. for each reply. Defaults to {@link #DEFAULT_READ_TIMEOUT},
     * in direct mode to {@link #DEFAULT_DIRECT_READ_TIMEOUT}.
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positiveMillis(timeout, "readTimeout");
      return this;
    }

    /** Time any single write may block. Defaults to {@link #DEFAULT_WRITE_TIMEOUT}. */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeout = positiveMillis(timeout, "writeTimeout");
      return this;
    }

    /**
     * Deadline of one whole attempt (in direct mode: on one MX address, and never past the end of
     * the {@link #domainDeadline} or {@link #messageDeadline} budget), after which its socket is
     * closed; catches servers that keep each read alive but never finish. Defaults to
     * {@link #DEFAULT_ATTEMPT_DEADLINE}, in direct mode to {@link #DEFAULT_DIRECT_ATTEMPT_DEADLINE}.
     */
    public Builder attemptDeadline(Duration deadline) {
      this.attemptDeadline = positiveMillis(deadline, "attemptDeadline");
      return this;
    }

    /**
     * Time a new connection may take to be ready for a transaction: the TCP connect, the server's
     * greeting, EHLO and, when negotiated, STARTTLS and the second EHLO (in relay mode AUTH too),
     * within the {@link #attemptDeadline}. When it passes, the watchdog closes the socket and the
     * attempt defers with a local {@code 451 4.4.2} "greeting timeout" (the next relay or MX address
     * is tried), so a server that accepts the connection and then stays silent or drips bytes is
     * given up after this rather than after the read timeout or the attempt deadline. A reused
     * connection is not affected. Both modes. Defaults to {@link #DEFAULT_GREETING_TIMEOUT}.
     */
    public Builder greetingTimeout(Duration timeout) {
      this.greetingTimeout = positiveMillis(timeout, "greetingTimeout");
      return this;
    }

    /** Messages one connection carries before it is closed. Defaults to {@link #DEFAULT_MAX_MESSAGES_PER_CONNECTION}. */
    public Builder maxMessagesPerConnection(int max) {
      this.maxMessagesPerConnection = positive(max, "maxMessagesPerConnection");
      return this;
    }

    /** Time an unused connection stays open for reuse. Defaults to {@link #DEFAULT_IDLE_TIMEOUT}. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positiveMillis(timeout, "idleTimeout");
      return this;
    }

    /**
     * Connections open at once to one relay (in direct mode: to one MX host address, within
     * {@link #maxConnectionsPerMxHost} for the host); a delivery waits up to the connect timeout
     * (in direct mode: no longer than its time budget) for one and is otherwise deferred without
     * counting. Defaults to {@link #DEFAULT_MAX_CONNECTIONS_PER_RELAY}.
     */
    public Builder maxConnectionsPerRelay(int max) {
      this.maxConnectionsPerRelay = positive(max, "maxConnectionsPerRelay");
      return this;
    }

    /**
     * Shapes mail per destination (see {@link ShapingTransport}): in relay mode the relay is the one
     * destination, in direct mode each domain's most preferred MX host is (matched against the
     * groups of {@code limits}). With shaping, the connections to each relay or MX host follow its
     * destination's {@link DestinationLimits.Limit#maxConcurrentSessions()} and
     * {@link DestinationLimits.Limit#messagesPerSession()} instead of {@link #maxConnectionsPerRelay}
     * and {@link #maxMessagesPerConnection} (domain overrides set rate and concurrency only, since
     * connections are per host). The limits are for all nodes sharing a store together: a queue
     * whose store keeps a node registry divides them among the live nodes (see {@link SmtpTransport#liveNodes}).
     * Defaults to no shaping.
     */
    public Builder shaping(DestinationLimits limits) {
      this.shaping = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** Hears what {@link #shaping} holds back and changes. Defaults to {@link ShapingListener#NONE}. */
    public Builder shapingListener(ShapingListener listener) {
      this.shapingListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Validates and builds the transport, which starts one small scheduler (two daemon threads).
     *
     * @throws IllegalArgumentException for {@link Security#NONE} with credentials; in direct mode
     *     for {@link Security#IMPLICIT_TLS}, or {@link Security#NONE} with domains that require
     *     verified TLS
     */
    public SmtpTransport build() {
      if (directMode) {
        return buildDirect();
      }
      Security effective = security;
      if (effective == null) {
        effective = relays.get(0).port() == SMTPS_PORT ? Security.IMPLICIT_TLS
            : credentials == null && relays.stream().allMatch(Relay::isLoopback) ? Security.STARTTLS_OPPORTUNISTIC
            : Security.STARTTLS_REQUIRED;
      }
      if (credentials != null && effective == Security.NONE) {
        throw new IllegalArgumentException("credentials are never sent without TLS: use STARTTLS_REQUIRED or "
            + "IMPLICIT_TLS, or remove the credentials");
      }
      if (credentials != null && effective == Security.STARTTLS_OPPORTUNISTIC) {
        throw new IllegalArgumentException("credentials would be sent in plain text when the server does not offer "
            + "STARTTLS: use STARTTLS_REQUIRED or IMPLICIT_TLS");
      }
      return new SmtpTransport(settings(effective, readTimeout != null ? readTimeout : DEFAULT_READ_TIMEOUT,
          attemptDeadline != null ? attemptDeadline : DEFAULT_ATTEMPT_DEADLINE, false), this);
    }

    private SmtpTransport buildDirect() {
      Security effective = security != null ? security : Security.STARTTLS_OPPORTUNISTIC;
      if (effective == Security.IMPLICIT_TLS) {
        throw new IllegalArgumentException("MX hosts speak STARTTLS on port 25, not implicit TLS: use "
            + "STARTTLS_OPPORTUNISTIC (default), STARTTLS_REQUIRED or NONE");
      }
      if (effective == Security.NONE && !verifiedDomains.isEmpty()) {
        throw new IllegalArgumentException("Security.NONE contradicts requireVerifiedTls" + verifiedDomains);
      }
      if (mxResolver == null) {
        mxResolver = DnsMxResolver.ofDefaults();
      }
      return new SmtpTransport(settings(effective, readTimeout != null ? readTimeout : DEFAULT_DIRECT_READ_TIMEOUT,
          attemptDeadline != null ? attemptDeadline : DEFAULT_DIRECT_ATTEMPT_DEADLINE, true), this);
    }

    private Settings settings(Security effective, Duration read, Duration deadline, boolean direct) {
      SSLSocketFactory tls = sslSocketFactory;
      if (tls == null) {
        try {
          tls = SSLContext.getDefault().getSocketFactory();
        } catch (GeneralSecurityException e) {
          throw new MailQueueException("the JDK has no default TLS context: " + e.getMessage(), e);
        }
      }
      String ehlo = ehloName != null ? ehloName : localHostName();
      return new Settings(relays, effective, credentials, tls, ehlo, connectTimeout, read, writeTimeout, deadline,
          greetingTimeout, maxMessagesPerConnection, idleTimeout, maxConnectionsPerRelay, direct, true);
    }

    private void relayModeOnly(String setting) {
      if (directMode) {
        throw new IllegalStateException(setting + " applies to relay mode only: direct delivery to MX hosts has "
            + "no relays and never authenticates");
      }
    }

    private void directModeOnly(String setting) {
      if (!directMode) {
        throw new IllegalStateException(setting + " applies to direct mode only (SmtpTransport.direct())");
      }
    }

    private static String localHostName() {
      try {
        String name = InetAddress.getLocalHost().getCanonicalHostName();
        return name == null || name.isBlank() || name.contains(" ") ? "localhost" : name;
      } catch (UnknownHostException e) {
        return "localhost";
      }
    }

    private static Duration positiveMillis(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + " must be between 1 ms and " + Integer.MAX_VALUE + " ms: " + d);
      }
      return d;
    }

    private static int positive(int n, String name) {
      if (n < 1) {
        throw new IllegalArgumentException(name + " must be at least 1: " + n);
      }
      return n;
    }
  }
}
