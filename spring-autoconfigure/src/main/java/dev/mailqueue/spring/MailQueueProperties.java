package dev.mailqueue.spring;

import dev.mailqueue.HealthThresholds;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.sql.init.DatabaseInitializationMode;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the mail queue, under {@code mailqueue.*}. Every default is the core
 * library's {@code DEFAULT_*} constant.
 */
@ConfigurationProperties("mailqueue")
public class MailQueueProperties {

  /** Whether to auto-configure the mail queue. */
  private boolean enabled = true;

  /** Worker threads delivering in parallel. */
  private int workers = MailQueue.Builder.DEFAULT_WORKERS;

  /** How often workers look for due mail when nothing wakes them. */
  private Duration pollInterval = MailQueue.Builder.DEFAULT_POLL_INTERVAL;

  /** How long a claimed message stays leased before another worker may take it. */
  private Duration lease = MailQueue.Builder.DEFAULT_LEASE;

  /**
   * How long shutdown waits for in-flight deliveries. Defaults to
   * spring.lifecycle.timeout-per-shutdown-phase when that is set, else 30 s.
   */
  private Duration shutdownTimeout;

  /** Largest rendered message accepted at enqueue. */
  private DataSize maxMessageSize = DataSize.ofBytes(MailQueue.Builder.DEFAULT_MAX_MESSAGE_SIZE);

  /** How long finished messages are kept for inspection. */
  private Duration retention = MailQueue.Builder.DEFAULT_RETENTION;

  /** Domain of generated Message-IDs. Defaults to the domain of each mail's From address. */
  private String messageIdDomain;

  /** This node's name in leases. Defaults to host name, process id and a random suffix. */
  private String workerId;

  /**
   * Whether to register a primary JavaMailSender that enqueues (in the current transaction)
   * instead of sending at once.
   */
  private boolean replaceJavaMailSender = false;

  /** Retry policy for untagged mail and for tags without a policy of their own. */
  private final Retry retry = new Retry();

  /**
   * Retry policies by message tag, e.g. 'mailqueue.retry-by-tag.password-reset.max-age=30m'.
   * Unset values are taken from 'mailqueue.retry'. A tag containing '.' needs brackets:
   * 'mailqueue.retry-by-tag[a.b].max-age'.
   */
  private final Map<String, TagRetry> retryByTag = new LinkedHashMap<>();

  /** Database store settings. */
  private final Jdbc jdbc = new Jdbc();

  /** SMTP relay settings; unset values fall back to 'spring.mail.*'. */
  private final Smtp smtp = new Smtp();

  /** Thresholds of the 'mailqueue' health indicator. */
  private final Health health = new Health();

  /** The suppression list: addresses nothing is sent to. */
  private final Suppression suppression = new Suppression();

  /** The 'mailqueue' actuator endpoint. */
  private final Endpoint endpoint = new Endpoint();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public int getWorkers() {
    return workers;
  }

  public void setWorkers(int workers) {
    this.workers = workers;
  }

  public Duration getPollInterval() {
    return pollInterval;
  }

  public void setPollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  public Duration getLease() {
    return lease;
  }

  public void setLease(Duration lease) {
    this.lease = lease;
  }

  public Duration getShutdownTimeout() {
    return shutdownTimeout;
  }

  public void setShutdownTimeout(Duration shutdownTimeout) {
    this.shutdownTimeout = shutdownTimeout;
  }

  public DataSize getMaxMessageSize() {
    return maxMessageSize;
  }

  public void setMaxMessageSize(DataSize maxMessageSize) {
    this.maxMessageSize = maxMessageSize;
  }

  public Duration getRetention() {
    return retention;
  }

  public void setRetention(Duration retention) {
    this.retention = retention;
  }

  public String getMessageIdDomain() {
    return messageIdDomain;
  }

  public void setMessageIdDomain(String messageIdDomain) {
    this.messageIdDomain = messageIdDomain;
  }

  public String getWorkerId() {
    return workerId;
  }

  public void setWorkerId(String workerId) {
    this.workerId = workerId;
  }

  public boolean isReplaceJavaMailSender() {
    return replaceJavaMailSender;
  }

  public void setReplaceJavaMailSender(boolean replaceJavaMailSender) {
    this.replaceJavaMailSender = replaceJavaMailSender;
  }

  public Retry getRetry() {
    return retry;
  }

  public Map<String, TagRetry> getRetryByTag() {
    return retryByTag;
  }

  public Jdbc getJdbc() {
    return jdbc;
  }

  public Smtp getSmtp() {
    return smtp;
  }

  public Health getHealth() {
    return health;
  }

  public Endpoint getEndpoint() {
    return endpoint;
  }

  public Suppression getSuppression() {
    return suppression;
  }

  /** Automatic suppression after hard bounces (5.1.1 no such user, 5.1.2 no such domain, ...). */
  public static class Suppression {

    /** Whether a hard bounce puts its address on the suppression list. */
    private boolean onBounce = JdbcMailStore.DEFAULT_BOUNCE_SUPPRESSION;

    /**
     * How long a hard bounce keeps its address on the suppression list; 0 keeps it for ever.
     * Entries added by hand ('mailqueue suppress add') take their own time to live.
     */
    private Duration bounceTtl = JdbcMailStore.DEFAULT_BOUNCE_SUPPRESSION_TTL;

    public boolean isOnBounce() {
      return onBounce;
    }

    public void setOnBounce(boolean onBounce) {
      this.onBounce = onBounce;
    }

    public Duration getBounceTtl() {
      return bounceTtl;
    }

    public void setBounceTtl(Duration bounceTtl) {
      this.bounceTtl = bounceTtl;
    }

    /** The time to live for the store's builder: {@code null} (for ever) for 0. */
    Duration bounceTtlOrForEver() {
      return bounceTtl == null || bounceTtl.isZero() ? null : bounceTtl;
    }
  }

  /** When the health indicator reports DEGRADED instead of UP. */
  public static class Health {

    /** Age of the oldest unfinished message above which the queue is degraded. */
    private Duration maxOldestWaiting = HealthThresholds.DEFAULT_MAX_OLDEST_WAITING;

    /** Number of deferred messages above which the queue is degraded. */
    private long maxDeferred = HealthThresholds.DEFAULT_MAX_DEFERRED;

    public Duration getMaxOldestWaiting() {
      return maxOldestWaiting;
    }

    public void setMaxOldestWaiting(Duration maxOldestWaiting) {
      this.maxOldestWaiting = maxOldestWaiting;
    }

    public long getMaxDeferred() {
      return maxDeferred;
    }

    public void setMaxDeferred(long maxDeferred) {
      this.maxDeferred = maxDeferred;
    }

    HealthThresholds toThresholds() {
      return new HealthThresholds(maxOldestWaiting, maxDeferred);
    }
  }

  /** The actuator endpoint. */
  public static class Endpoint {

    /**
     * Whether the endpoint has its write operations (hold, release, retry, expire, delete one
     * message). Without them it is read-only. With them too, Boot allows them only once
     * 'management.endpoint.mailqueue.access=unrestricted' is set: the endpoint's default access is
     * read-only.
     */
    private boolean writeEnabled = false;

    /**
     * Whether the endpoint shows recipient addresses as they are. When false, each recipient, and
     * every address in an SMTP reply text, is shown by its domain only, as '***@example.org',
     * without display name. Message bodies and subjects are never shown.
     */
    private boolean showRecipients = false;

    public boolean isWriteEnabled() {
      return writeEnabled;
    }

    public void setWriteEnabled(boolean writeEnabled) {
      this.writeEnabled = writeEnabled;
    }

    public boolean isShowRecipients() {
      return showRecipients;
    }

    public void setShowRecipients(boolean showRecipients) {
      this.showRecipients = showRecipients;
    }
  }

  /** The retry policy for untagged mail. */
  public static class Retry {

    /** Delay after the first failed attempt. */
    private Duration initialDelay = RetryPolicy.DEFAULT_INITIAL_DELAY;

    /** Factor applied to the delay per further failed attempt (at least 1). */
    private double multiplier = RetryPolicy.DEFAULT_MULTIPLIER;

    /** Cap on a single delay. */
    private Duration maxDelay = RetryPolicy.DEFAULT_MAX_DELAY;

    /** Fraction (0 to 1) by which each delay is shortened at random. */
    private double jitter = RetryPolicy.DEFAULT_JITTER;

    /** Attempts after which a message expires even if its age allows more. */
    private int maxAttempts = RetryPolicy.DEFAULT_MAX_ATTEMPTS;

    /** Age after which a message expires. */
    private Duration maxAge = RetryPolicy.DEFAULT_MAX_AGE;

    public Duration getInitialDelay() {
      return initialDelay;
    }

    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    public double getMultiplier() {
      return multiplier;
    }

    public void setMultiplier(double multiplier) {
      this.multiplier = multiplier;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    public double getJitter() {
      return jitter;
    }

    public void setJitter(double jitter) {
      this.jitter = jitter;
    }

    public int getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(Duration maxAge) {
      this.maxAge = maxAge;
    }

    RetryPolicy toPolicy() {
      return RetryPolicy.builder().initialDelay(initialDelay).multiplier(multiplier).maxDelay(maxDelay)
          .jitter(jitter).maxAttempts(maxAttempts).maxAge(maxAge).build();
    }
  }

  /** A tag's retry policy; every unset value is taken from 'mailqueue.retry'. */
  public static class TagRetry {

    /** Delay after the first failed attempt. */
    private Duration initialDelay;

    /** Factor applied to the delay per further failed attempt (at least 1). */
    private Double multiplier;

    /** Cap on a single delay. */
    private Duration maxDelay;

    /** Fraction (0 to 1) by which each delay is shortened at random. */
    private Double jitter;

    /** Attempts after which a message expires even if its age allows more. */
    private Integer maxAttempts;

    /** Age after which a message expires, e.g. 30m for a password reset. */
    private Duration maxAge;

    public Duration getInitialDelay() {
      return initialDelay;
    }

    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    public Double getMultiplier() {
      return multiplier;
    }

    public void setMultiplier(Double multiplier) {
      this.multiplier = multiplier;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    public Double getJitter() {
      return jitter;
    }

    public void setJitter(Double jitter) {
      this.jitter = jitter;
    }

    public Integer getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getMaxAge() {
      return maxAge;
    }

    public void setMaxAge(Duration maxAge) {
      this.maxAge = maxAge;
    }

    RetryPolicy toPolicy(RetryPolicy base) {
      RetryPolicy.Builder b = base.toBuilder();
      if (initialDelay != null) {
        b.initialDelay(initialDelay);
      }
      if (multiplier != null) {
        b.multiplier(multiplier);
      }
      if (maxDelay != null) {
        b.maxDelay(maxDelay);
      }
      if (jitter != null) {
        b.jitter(jitter);
      }
      if (maxAttempts != null) {
        b.maxAttempts(maxAttempts);
      }
      if (maxAge != null) {
        b.maxAge(maxAge);
      }
      return b.build();
    }
  }

  /** The JDBC store. */
  public static class Jdbc {

    /**
     * Prefix of every table name: lower-case letters, digits and '_', starting with a letter, at
     * most 20 characters.
     */
    private String tablePrefix = JdbcMailStore.DEFAULT_TABLE_PREFIX;

    /**
     * When to create missing tables at startup: 'embedded' only for an embedded database such as
     * H2, 'always', or 'never' (run the bundled script with your own migrations). When it creates
     * tables it also upgrades tables at an earlier schema version, which nodes still running the
     * earlier version cannot write to: upgrade with every node stopped.
     */
    private DatabaseInitializationMode initializeSchema = DatabaseInitializationMode.EMBEDDED;

    /**
     * Whether each enqueue sends a PostgreSQL NOTIFY (delivered at commit) so that every node's
     * workers wake at once. Ignored on other databases.
     */
    private boolean notifyOnEnqueue = true;

    /**
     * Longest any one statement of the queue may run (whole seconds, rounded up); bounds waits for
     * row locks other transactions hold. Not applied to H2 in the same JVM, whose own lock timeout
     * bounds them.
     */
    private Duration queryTimeout = JdbcMailStore.DEFAULT_QUERY_TIMEOUT;

    /**
     * Whether a delivered message keeps its body (the MIME bytes, with any reset link or code in
     * it) until it is purged. By default the body is emptied when the delivery is recorded;
     * bounced and expired messages keep theirs for inspection until purged.
     */
    private boolean retainBodies = false;

    public String getTablePrefix() {
      return tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
      this.tablePrefix = tablePrefix;
    }

    public DatabaseInitializationMode getInitializeSchema() {
      return initializeSchema;
    }

    public void setInitializeSchema(DatabaseInitializationMode initializeSchema) {
      this.initializeSchema = initializeSchema;
    }

    public boolean isNotifyOnEnqueue() {
      return notifyOnEnqueue;
    }

    public void setNotifyOnEnqueue(boolean notifyOnEnqueue) {
      this.notifyOnEnqueue = notifyOnEnqueue;
    }

    public Duration getQueryTimeout() {
      return queryTimeout;
    }

    public void setQueryTimeout(Duration queryTimeout) {
      this.queryTimeout = queryTimeout;
    }

    public boolean isRetainBodies() {
      return retainBodies;
    }

    public void setRetainBodies(boolean retainBodies) {
      this.retainBodies = retainBodies;
    }
  }

  /** The SMTP relay. Unset values fall back to 'spring.mail.*'. */
  public static class Smtp {

    /** Relay host. Defaults to spring.mail.host. */
    private String host;

    /** Relay port. Defaults to spring.mail.port, else 25. */
    private Integer port;

    /**
     * Connection protection. Defaults to implicit TLS with spring.mail.ssl.enabled=true,
     * spring.mail.protocol=smtps or spring.mail.properties.mail.smtp.ssl.enable=true, to STARTTLS
     * required with spring.mail.properties.mail.smtp.starttls.required=true, else implicit TLS on
     * port 465, STARTTLS required with credentials or a relay that is not local, and
     * opportunistic STARTTLS otherwise.
     */
    private Security security;

    /**
     * Name of the SSL bundle (spring.ssl.bundle.*) whose trust material, and key if any, secures
     * the connection to the relay. Defaults to spring.mail.ssl.bundle, else the JDK's default
     * trust. Host names are verified regardless.
     */
    private String sslBundle;

    /** Login user. Defaults to spring.mail.username. */
    private String username;

    /** Login password. Defaults to spring.mail.password. */
    private String password;

    /** Relays to fail over to, in order, as host:port. */
    private List<String> failover = new ArrayList<>();

    /** Name sent with EHLO. Defaults to this machine's canonical host name. */
    private String ehloName;

    /** Time allowed to establish a TCP connection. */
    private Duration connectTimeout = SmtpTransport.DEFAULT_CONNECT_TIMEOUT;

    /** Time allowed for each reply. */
    private Duration readTimeout = SmtpTransport.DEFAULT_READ_TIMEOUT;

    /** Time any single write may block. */
    private Duration writeTimeout = SmtpTransport.DEFAULT_WRITE_TIMEOUT;

    /** Deadline of one whole delivery attempt. */
    private Duration attemptDeadline = SmtpTransport.DEFAULT_ATTEMPT_DEADLINE;

    /** Messages one connection carries before it is closed. */
    private int maxMessagesPerConnection = SmtpTransport.DEFAULT_MAX_MESSAGES_PER_CONNECTION;

    /** Time an unused connection stays open for reuse. */
    private Duration idleTimeout = SmtpTransport.DEFAULT_IDLE_TIMEOUT;

    /** Connections open at once to one relay. */
    private int maxConnectionsPerRelay = SmtpTransport.DEFAULT_MAX_CONNECTIONS_PER_SERVER;

    public String getHost() {
      return host;
    }

    public void setHost(String host) {
      this.host = host;
    }

    public Integer getPort() {
      return port;
    }

    public void setPort(Integer port) {
      this.port = port;
    }

    public Security getSecurity() {
      return security;
    }

    public void setSecurity(Security security) {
      this.security = security;
    }

    public String getSslBundle() {
      return sslBundle;
    }

    public void setSslBundle(String sslBundle) {
      this.sslBundle = sslBundle;
    }

    public String getUsername() {
      return username;
    }

    public void setUsername(String username) {
      this.username = username;
    }

    public String getPassword() {
      return password;
    }

    public void setPassword(String password) {
      this.password = password;
    }

    public List<String> getFailover() {
      return failover;
    }

    public void setFailover(List<String> failover) {
      this.failover = failover;
    }

    public String getEhloName() {
      return ehloName;
    }

    public void setEhloName(String ehloName) {
      this.ehloName = ehloName;
    }

    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public Duration getReadTimeout() {
      return readTimeout;
    }

    public void setReadTimeout(Duration readTimeout) {
      this.readTimeout = readTimeout;
    }

    public Duration getWriteTimeout() {
      return writeTimeout;
    }

    public void setWriteTimeout(Duration writeTimeout) {
      this.writeTimeout = writeTimeout;
    }

    public Duration getAttemptDeadline() {
      return attemptDeadline;
    }

    public void setAttemptDeadline(Duration attemptDeadline) {
      this.attemptDeadline = attemptDeadline;
    }

    public int getMaxMessagesPerConnection() {
      return maxMessagesPerConnection;
    }

    public void setMaxMessagesPerConnection(int maxMessagesPerConnection) {
      this.maxMessagesPerConnection = maxMessagesPerConnection;
    }

    public Duration getIdleTimeout() {
      return idleTimeout;
    }

    public void setIdleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
    }

    public int getMaxConnectionsPerRelay() {
      return maxConnectionsPerRelay;
    }

    public void setMaxConnectionsPerRelay(int maxConnectionsPerRelay) {
      this.maxConnectionsPerRelay = maxConnectionsPerRelay;
    }
  }
}
