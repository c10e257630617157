package dev.mailqueue.smtp;

import dev.mailqueue.MailQueueException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The options {@link SmtpTransport}'s two builders share: TLS, EHLO name, timeouts, connection
 * reuse and limits, shaping. Start one with {@link SmtpTransport#relay} ({@link RelayBuilder}) or
 * {@link SmtpTransport#direct()} ({@link DirectBuilder}); an option of one mode is not a method of
 * the other's builder. Not thread-safe; every setter validates its argument and returns this
 * builder; {@link #build()} may be called more than once.
 *
 * @param <B> the concrete builder's own type, which every setter returns
 */
public abstract sealed class SmtpTransportBuilder<B extends SmtpTransportBuilder<B>>
    permits RelayBuilder, DirectBuilder {
  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  Security security;
  private SSLSocketFactory sslSocketFactory;
  private String ehloName;
  private Duration connectTimeout = SmtpTransport.DEFAULT_CONNECT_TIMEOUT;

  /** {@code null}: the mode's default. */
  Duration readTimeout;

  private Duration writeTimeout = SmtpTransport.DEFAULT_WRITE_TIMEOUT;

  /** {@code null}: the mode's default. */
  Duration attemptDeadline;

  private Duration greetingTimeout = SmtpTransport.DEFAULT_GREETING_TIMEOUT;
  private int maxMessagesPerConnection = SmtpTransport.DEFAULT_MAX_MESSAGES_PER_CONNECTION;
  private Duration idleTimeout = SmtpTransport.DEFAULT_IDLE_TIMEOUT;
  private int maxConnectionsPerServer = SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_SERVER;
  DestinationLimits shaping;
  ShapingListener shapingListener = ShapingListener.NONE;
  DkimSigning dkim;
  private List<ReplyRule> replyRules = List.of();
  private Duration blockSuspension = SmtpTransport.DEFAULT_BLOCK_SUSPENSION;

  SmtpTransportBuilder() {}

  /** This builder, as its own type. */
  abstract B self();

  /**
   * How connections are protected. In relay mode defaults to {@link Security#IMPLICIT_TLS} when the
   * first relay's port is 465, else {@link Security#STARTTLS_OPPORTUNISTIC} when every relay is on
   * this machine ({@code localhost} or a loopback address), else {@link
   * Security#STARTTLS_REQUIRED}, with or without credentials: an attacker on the path could
   * otherwise strip STARTTLS and read every password-reset link. A relay that offers no STARTTLS
   * then gets nothing; set {@link Security#NONE} to send in plain text on purpose. {@link
   * Security#NONE} with credentials is refused by {@link #build()}. In direct mode defaults to
   * {@link Security#STARTTLS_OPPORTUNISTIC} (without certificate checks); {@link
   * Security#STARTTLS_REQUIRED} requires verified TLS for every domain; {@link
   * Security#IMPLICIT_TLS} is refused by {@link #build()}.
   *
   * @param security the protection of every connection; not null
   * @return this builder
   */
  public B security(Security security) {
    this.security = Objects.requireNonNull(security, "security");
    return self();
  }

  /**
   * Trusts the certificates in {@code trustStore} instead of the JDK's default trust store. Host
   * names are verified regardless. Defaults to the JDK's default trust. In direct mode it applies
   * to the domains that require verified TLS and to MTA-STS (the policy fetch over HTTPS and the MX
   * hosts of a policy in enforce mode).
   *
   * @param trustStore the certificates to trust, already loaded; not null
   * @return this builder
   * @throws IllegalArgumentException when no TLS context can be built from {@code trustStore}
   */
  public B trustStore(KeyStore trustStore) {
    Objects.requireNonNull(trustStore, "trustStore");
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trustStore);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      this.sslSocketFactory = context.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot build a TLS context from the trust store: " + e.getMessage(), e);
    }
    return self();
  }

  /**
   * Uses this factory for TLS (e.g. for client certificates). Host names are still verified.
   * Defaults to {@code SSLContext.getDefault()}'s factory.
   *
   * @param factory the factory every TLS socket is made with; not null (replaces a {@link
   *     #trustStore} set earlier)
   * @return this builder
   */
  public B sslSocketFactory(SSLSocketFactory factory) {
    this.sslSocketFactory = Objects.requireNonNull(factory, "factory");
    return self();
  }

  /**
   * The name sent with EHLO: this host's fully qualified domain name, as DNS knows it (in direct
   * mode it should match the PTR record of the sending address). Defaults to this machine's
   * canonical host name, looked up once per JVM (for at most 5 seconds) when the first transport
   * without a name is built; when that is no fully qualified domain name (e.g. {@code localhost})
   * {@link #build()} logs a warning, since many relays and MX hosts refuse it.
   *
   * @param ehloName the fully qualified domain name to send; printable ASCII without spaces, not
   *     null
   * @return this builder
   * @throws IllegalArgumentException when {@code ehloName} is blank or has a space or a character
   *     outside printable ASCII
   */
  public B ehloName(String ehloName) {
    Objects.requireNonNull(ehloName, "ehloName");
    if (ehloName.isBlank() || ehloName.chars().anyMatch(c -> c <= ' ' || c > '~')) {
      throw new IllegalArgumentException(
          "EHLO name must be printable ASCII without spaces: '" + ehloName + "'");
    }
    this.ehloName = ehloName;
    return self();
  }

  /**
   * Time allowed to establish a TCP connection. Defaults to {@link
   * SmtpTransport#DEFAULT_CONNECT_TIMEOUT}.
   *
   * @param timeout a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public B connectTimeout(Duration timeout) {
    this.connectTimeout = positiveMillis(timeout, "connectTimeout");
    return self();
  }

  /**
   * Time allowed for each read, i.e. for each reply. Defaults to {@link
   * SmtpTransport#DEFAULT_READ_TIMEOUT}, in direct mode to {@link
   * SmtpTransport#DEFAULT_DIRECT_READ_TIMEOUT}.
   *
   * @param timeout a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public B readTimeout(Duration timeout) {
    this.readTimeout = positiveMillis(timeout, "readTimeout");
    return self();
  }

  /**
   * Time any single write may block. Defaults to {@link SmtpTransport#DEFAULT_WRITE_TIMEOUT}.
   *
   * @param timeout a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public B writeTimeout(Duration timeout) {
    this.writeTimeout = positiveMillis(timeout, "writeTimeout");
    return self();
  }

  /**
   * Deadline of one whole attempt (in direct mode: on one MX address, and never past the end of the
   * {@link DirectBuilder#domainDeadline} or {@link DirectBuilder#messageDeadline} budget), after
   * which its socket is closed; catches servers that keep each read alive but never finish.
   * Defaults to {@link SmtpTransport#DEFAULT_ATTEMPT_DEADLINE}, in direct mode to {@link
   * SmtpTransport#DEFAULT_DIRECT_ATTEMPT_DEADLINE}.
   *
   * @param deadline a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public B attemptDeadline(Duration deadline) {
    this.attemptDeadline = positiveMillis(deadline, "attemptDeadline");
    return self();
  }

  /**
   * Time a new connection may take to be ready for a transaction: the TCP connect, the server's
   * greeting, EHLO and, when negotiated, STARTTLS and the second EHLO (in relay mode AUTH too),
   * within the {@link #attemptDeadline}. When it passes, the watchdog closes the socket and the
   * attempt defers with a local {@code 451 4.4.2} "greeting timeout" (the next relay or MX address
   * is tried), so a server that accepts the connection and then stays silent or drips bytes is
   * given up after this rather than after the read timeout or the attempt deadline. A reused
   * connection is not affected. Both modes. Defaults to {@link
   * SmtpTransport#DEFAULT_GREETING_TIMEOUT}.
   *
   * @param timeout a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public B greetingTimeout(Duration timeout) {
    this.greetingTimeout = positiveMillis(timeout, "greetingTimeout");
    return self();
  }

  /**
   * Messages one connection carries before it is closed. Defaults to {@link
   * SmtpTransport#DEFAULT_MAX_MESSAGES_PER_CONNECTION}.
   *
   * @param max at least 1; 1 opens a new connection for every message
   * @return this builder
   */
  public B maxMessagesPerConnection(int max) {
    this.maxMessagesPerConnection = positive(max, "maxMessagesPerConnection");
    return self();
  }

  /**
   * Time an unused connection stays open for reuse. Defaults to {@link
   * SmtpTransport#DEFAULT_IDLE_TIMEOUT}.
   *
   * @param timeout a positive duration of at most {@code Integer.MAX_VALUE} ms; not null
   * @return this builder
   */
  public B idleTimeout(Duration timeout) {
    this.idleTimeout = positiveMillis(timeout, "idleTimeout");
    return self();
  }

  /**
   * Connections open at once to one server: a relay, or, in direct mode, one address of an MX host
   * (within {@link DirectBuilder#maxConnectionsPerMxHost} for the host over all its addresses). A
   * delivery waits up to the connect timeout (in direct mode: no longer than its time budget) for
   * one and is otherwise deferred without counting. Defaults to {@link
   * SmtpTransport#DEFAULT_MAX_CONNECTIONS_PER_SERVER}.
   *
   * @param max at least 1
   * @return this builder
   */
  public B maxConnectionsPerServer(int max) {
    this.maxConnectionsPerServer = positive(max, "maxConnectionsPerServer");
    return self();
  }

  /**
   * The former name of {@link #maxConnectionsPerServer}, which it calls: the limit applies to MX
   * hosts in direct mode too, not only to relays.
   *
   * @param max at least 1
   * @return this builder
   * @deprecated use {@link #maxConnectionsPerServer(int)}
   */
  @Deprecated
  public B maxConnectionsPerRelay(int max) {
    return maxConnectionsPerServer(max);
  }

  /**
   * Shapes mail per destination (see {@link ShapingTransport}): in relay mode the relay is the one
   * destination, in direct mode each domain's most preferred MX host is (matched against the groups
   * of {@code limits}). With shaping, the connections to each relay or MX host follow its
   * destination's {@link DestinationLimits.Limit#maxConcurrentSessions()} and {@link
   * DestinationLimits.Limit#messagesPerSession()} instead of {@link #maxConnectionsPerServer} and
   * {@link #maxMessagesPerConnection} (domain overrides set rate and concurrency only, since
   * connections are per host). The limits are for all nodes sharing a store together: a queue whose
   * store keeps a node registry divides them among the live nodes (see {@link
   * SmtpTransport#liveNodes}). Defaults to no shaping.
   *
   * @param limits the limits per destination group; not null
   * @return this builder
   */
  public B shaping(DestinationLimits limits) {
    this.shaping = Objects.requireNonNull(limits, "limits");
    return self();
  }

  /**
   * Hears what {@link #shaping} holds back and changes, and (with or without shaping) every block
   * against the sender a {@linkplain #replyRules reply rule} finds. Defaults to {@link
   * ShapingListener#NONE}.
   *
   * @param listener called on the delivering thread, so it must be quick; not null
   * @return this builder
   */
  public B shapingListener(ShapingListener listener) {
    this.shapingListener = Objects.requireNonNull(listener, "listener");
    return self();
  }

  /**
   * Signs every message with DKIM (RFC 6376, RFC 8463) at send time, once per attempt, over the
   * bytes the server receives; the stored bytes stay unsigned. See {@link DkimSigning} for the
   * choice of key. Defaults to no signing.
   *
   * @param signing the keys and signed header fields; not null
   * @return this builder
   */
  public B dkim(DkimSigning signing) {
    this.dkim = Objects.requireNonNull(signing, "signing");
    return self();
  }

  /**
   * The application's reply rules, tried in order before the {@linkplain ReplyRule#builtIn()
   * built-in ones}; the first rule that matches a server's negative reply decides its class and
   * what happens to its recipients (see {@link ReplyRule}). A rule here can override a built-in
   * one, e.g. to bounce instead of suspending for a block list, or to name a local provider's block
   * texts. Defaults to none (the built-in rules alone).
   *
   * @param rules the rules, copied; not null, without null elements
   * @return this builder
   */
  public B replyRules(List<ReplyRule> rules) {
    this.replyRules = List.copyOf(rules);
    return self();
  }

  /**
   * How long a destination is suspended (its circuit breaker held open, its mail deferred without
   * counting an attempt) after a reply whose rule says {@link ReplyAction#SUSPEND_DESTINATION};
   * only with {@link #shaping}. Defaults to {@link SmtpTransport#DEFAULT_BLOCK_SUSPENSION} (1
   * hour).
   *
   * @param suspension how long, 1 ms to about 24 days
   * @return this builder
   * @throws IllegalArgumentException when not positive or too long
   */
  public B blockSuspension(Duration suspension) {
    this.blockSuspension = positiveMillis(suspension, "blockSuspension");
    return self();
  }

  /** The application's rules, then the built-in ones. */
  List<ReplyRule> allReplyRules() {
    List<ReplyRule> all = new ArrayList<>(replyRules);
    all.addAll(ReplyRule.builtIn());
    return List.copyOf(all);
  }

  /** The block suspension set. */
  Duration blockSuspension() {
    return blockSuspension;
  }

  /**
   * Validates and builds the transport, which starts one small scheduler (two daemon threads). Logs
   * a warning when the EHLO name is not a fully qualified domain name.
   *
   * @return a new transport, open until {@link SmtpTransport#close()}; setters called on this
   *     builder later do not affect it
   * @throws IllegalArgumentException for a combination of options that cannot work (see the mode's
   *     builder)
   */
  public abstract SmtpTransport build();

  /**
   * The validated settings shared by both modes, with the mode's relays, credentials and defaults.
   */
  Settings settings(
      List<Relay> relays,
      Credentials credentials,
      Security effective,
      Duration read,
      Duration deadline,
      boolean direct) {
    SSLSocketFactory tls = sslSocketFactory;
    if (tls == null) {
      try {
        tls = SSLContext.getDefault().getSocketFactory();
      } catch (GeneralSecurityException e) {
        throw new MailQueueException("the JDK has no default TLS context: " + e.getMessage(), e);
      }
    }
    String ehlo = ehloName != null ? ehloName : EhloName.ofThisMachine();
    String warning = EhloName.warningFor(ehlo, ehloName == null);
    if (warning != null) {
      log.warn(warning);
    }
    return new Settings(
        relays,
        effective,
        credentials,
        tls,
        ehlo,
        connectTimeout,
        read,
        writeTimeout,
        deadline,
        greetingTimeout,
        maxMessagesPerConnection,
        idleTimeout,
        maxConnectionsPerServer,
        direct,
        true);
  }

  static Duration positiveMillis(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          name + " must be between 1 ms and " + Integer.MAX_VALUE + " ms: " + d);
    }
    return d;
  }

  static int positive(int n, String name) {
    if (n < 1) {
      throw new IllegalArgumentException(name + " must be at least 1: " + n);
    }
    return n;
  }
}
