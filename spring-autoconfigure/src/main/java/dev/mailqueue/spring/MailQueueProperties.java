package dev.mailqueue.spring;

import dev.mailqueue.DeliveryMode;
import dev.mailqueue.HealthThresholds;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.DkimSigning;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.sql.init.DatabaseInitializationMode;
import org.springframework.core.io.Resource;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the mail queue, under {@code mailqueue.*}. Every default is the core library's
 * {@code DEFAULT_*} constant.
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
   * Whether to register a primary JavaMailSender that enqueues (in the current transaction) instead
   * of sending at once.
   */
  private boolean replaceJavaMailSender = false;

  /**
   * What this node does with the mail it dispatches: live (send it), capture (send nothing, record
   * it captured), redirect (send it to 'mode-redirect-to' instead of its recipients) or allow (send
   * only to 'mode-allow', capture the rest). For staging and development.
   */
  private DeliveryMode.Kind mode = MailQueue.Builder.DEFAULT_MODE.kind();

  /** Inboxes every message goes to in redirect mode, e.g. 'qa@staging.example.com'. */
  private List<String> modeRedirectTo = new ArrayList<>();

  /** Domains and addresses mail may go to in allow mode; other recipients are captured. */
  private List<String> modeAllow = new ArrayList<>();

  /** Retry policy for untagged mail and for tags without a policy of their own. */
  private final Retry retry = new Retry();

  /**
   * Retry policies by message tag, e.g. 'mailqueue.retry-by-tag.password-reset.max-age=30m'. Unset
   * values are taken from 'mailqueue.retry'. A tag containing '.' needs brackets:
   * 'mailqueue.retry-by-tag[a.b].max-age'.
   */
  private final Map<String, TagRetry> retryByTag = new LinkedHashMap<>();

  /** Database store settings. */
  private final Jdbc jdbc = new Jdbc();

  /** SMTP relay settings; unset values fall back to 'spring.mail.*'. */
  private final Smtp smtp = new Smtp();

  /** DKIM signing of every message at send time; off unless 'mailqueue.dkim.private-key' is set. */
  private final Dkim dkim = new Dkim();

  /** Thresholds of the 'mailqueue' health indicator. */
  private final Health health = new Health();

  /** The suppression list: addresses nothing is sent to. */
  private final Suppression suppression = new Suppression();

  /** The 'mailqueue' actuator endpoint. */
  private final Endpoint endpoint = new Endpoint();

  /** The one-click unsubscribe endpoint (RFC 8058). */
  private final Unsubscribe unsubscribe = new Unsubscribe();

  /** {@return whether to auto-configure the mail queue} */
  public boolean isEnabled() {
    return enabled;
  }

  /**
   * Sets whether to auto-configure the mail queue.
   *
   * @param enabled {@code false} backs off entirely; defaults to {@code true}
   */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** {@return the number of worker threads delivering in parallel} */
  public int getWorkers() {
    return workers;
  }

  /**
   * Sets the number of worker threads delivering in parallel.
   *
   * @param workers 1 to 1024; defaults to {@link MailQueue.Builder#DEFAULT_WORKERS}
   */
  public void setWorkers(int workers) {
    this.workers = workers;
  }

  /** {@return how often workers look for due mail when nothing wakes them} */
  public Duration getPollInterval() {
    return pollInterval;
  }

  /**
   * Sets how often workers look for due mail when nothing wakes them.
   *
   * @param pollInterval a positive duration; defaults to {@link
   *     MailQueue.Builder#DEFAULT_POLL_INTERVAL}
   */
  public void setPollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  /** {@return how long a claimed message stays leased before another worker may take it} */
  public Duration getLease() {
    return lease;
  }

  /**
   * Sets how long a claimed message stays leased before another worker may take it.
   *
   * @param lease a positive duration; defaults to {@link MailQueue.Builder#DEFAULT_LEASE}
   */
  public void setLease(Duration lease) {
    this.lease = lease;
  }

  /** {@return how long shutdown waits for in-flight deliveries, or {@code null} when unset} */
  public Duration getShutdownTimeout() {
    return shutdownTimeout;
  }

  /**
   * Sets how long shutdown waits for in-flight deliveries.
   *
   * @param shutdownTimeout a positive duration, or {@code null} for
   *     spring.lifecycle.timeout-per-shutdown-phase when that is set, else 30 s
   */
  public void setShutdownTimeout(Duration shutdownTimeout) {
    this.shutdownTimeout = shutdownTimeout;
  }

  /** {@return the largest rendered message accepted at enqueue} */
  public DataSize getMaxMessageSize() {
    return maxMessageSize;
  }

  /**
   * Sets the largest rendered message accepted at enqueue.
   *
   * @param maxMessageSize at least 1 KB; defaults to {@link
   *     MailQueue.Builder#DEFAULT_MAX_MESSAGE_SIZE} bytes
   */
  public void setMaxMessageSize(DataSize maxMessageSize) {
    this.maxMessageSize = maxMessageSize;
  }

  /** {@return how long finished messages are kept for inspection} */
  public Duration getRetention() {
    return retention;
  }

  /**
   * Sets how long finished messages are kept for inspection.
   *
   * @param retention a positive duration; defaults to {@link MailQueue.Builder#DEFAULT_RETENTION}
   */
  public void setRetention(Duration retention) {
    this.retention = retention;
  }

  /**
   * {@return the domain of generated Message-IDs, or {@code null} for the domain of each mail's
   * From address}
   */
  public String getMessageIdDomain() {
    return messageIdDomain;
  }

  /**
   * Sets the domain of generated Message-IDs.
   *
   * @param messageIdDomain a domain name, or {@code null} (the default) for the domain of each
   *     mail's From address
   */
  public void setMessageIdDomain(String messageIdDomain) {
    this.messageIdDomain = messageIdDomain;
  }

  /** {@return this node's name in leases, or {@code null} when generated} */
  public String getWorkerId() {
    return workerId;
  }

  /**
   * Sets this node's name in leases.
   *
   * @param workerId 1 to 64 characters, or {@code null} (the default) for host name, process id and
   *     a random suffix
   */
  public void setWorkerId(String workerId) {
    this.workerId = workerId;
  }

  /** {@return whether a primary JavaMailSender that enqueues replaces sending at once} */
  public boolean isReplaceJavaMailSender() {
    return replaceJavaMailSender;
  }

  /**
   * Sets whether a primary JavaMailSender that enqueues replaces sending at once.
   *
   * @param replaceJavaMailSender defaults to {@code false}
   */
  public void setReplaceJavaMailSender(boolean replaceJavaMailSender) {
    this.replaceJavaMailSender = replaceJavaMailSender;
  }

  /** {@return what this node does with the mail it dispatches; defaults to live} */
  public DeliveryMode.Kind getMode() {
    return mode;
  }

  /**
   * Sets what this node does with the mail it dispatches.
   *
   * @param mode live, capture, redirect or allow; defaults to live
   */
  public void setMode(DeliveryMode.Kind mode) {
    this.mode = mode;
  }

  /** {@return the inboxes every message goes to in redirect mode; never null, changed in place} */
  public List<String> getModeRedirectTo() {
    return modeRedirectTo;
  }

  /**
   * Sets the inboxes every message goes to in redirect mode.
   *
   * @param modeRedirectTo the addresses; required in redirect mode, refused in others
   */
  public void setModeRedirectTo(List<String> modeRedirectTo) {
    this.modeRedirectTo = modeRedirectTo;
  }

  /**
   * {@return the domains and addresses mail may go to in allow mode; never null, changed in place}
   */
  public List<String> getModeAllow() {
    return modeAllow;
  }

  /**
   * Sets the domains and addresses mail may go to in allow mode.
   *
   * @param modeAllow domains ('example.com') and addresses; required in allow mode, refused in
   *     others
   */
  public void setModeAllow(List<String> modeAllow) {
    this.modeAllow = modeAllow;
  }

  /**
   * The delivery mode these properties describe.
   *
   * @return the mode
   * @throws IllegalArgumentException if the lists do not fit the mode (e.g. redirect without an
   *     inbox)
   */
  public DeliveryMode toDeliveryMode() {
    try {
      return DeliveryMode.of(mode.label(), modeRedirectTo, modeAllow);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "mailqueue.mode=" + mode.label() + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@return the retry policy for untagged mail and for tags without a policy of their own; never
   * null, changed in place}
   */
  public Retry getRetry() {
    return retry;
  }

  /** {@return the retry policies by message tag; never null, changed in place} */
  public Map<String, TagRetry> getRetryByTag() {
    return retryByTag;
  }

  /** {@return the database store settings; never null, changed in place} */
  public Jdbc getJdbc() {
    return jdbc;
  }

  /** {@return the SMTP relay settings; never null, changed in place} */
  public Smtp getSmtp() {
    return smtp;
  }

  /** {@return the DKIM signing settings; never null, changed in place} */
  public Dkim getDkim() {
    return dkim;
  }

  /** {@return the thresholds of the health indicator; never null, changed in place} */
  public Health getHealth() {
    return health;
  }

  /** {@return the settings of the actuator endpoint; never null, changed in place} */
  public Endpoint getEndpoint() {
    return endpoint;
  }

  /** {@return the settings of the one-click unsubscribe endpoint; never null, changed in place} */
  public Unsubscribe getUnsubscribe() {
    return unsubscribe;
  }

  /**
   * {@return the settings of automatic suppression after hard bounces; never null, changed in
   * place}
   */
  public Suppression getSuppression() {
    return suppression;
  }

  /**
   * DKIM signing (RFC 6376, RFC 8463) with one key; mail whose From domain is neither the signing
   * domain nor below it goes unsigned. For several domains or selectors, add a {@code
   * SmtpTransportCustomizer} that calls {@code dkim(DkimSigning)}.
   */
  public static class Dkim {

    /** The signing domain (d=), e.g. example.com; required with a private key. */
    private String domain;

    /** The selector (s=), e.g. mail2026; the key is published at SELECTOR._domainkey.DOMAIN. */
    private String selector;

    /**
     * The private key, PEM: PKCS#8 (BEGIN PRIVATE KEY) or PKCS#1 RSA (BEGIN RSA PRIVATE KEY), RSA
     * of at least 2048 bits or Ed25519, e.g. 'file:/etc/mailqueue/dkim.pem'. Signing is on when
     * set.
     */
    private Resource privateKey;

    /** Whether the transport looks the key up in DNS when it starts and warns when it differs. */
    private boolean checkDnsAtStart = DkimSigning.DEFAULT_CHECK_DNS_AT_START;

    /** {@return the signing domain, or null} */
    public String getDomain() {
      return domain;
    }

    /**
     * Sets the signing domain.
     *
     * @param domain e.g. example.com
     */
    public void setDomain(String domain) {
      this.domain = domain;
    }

    /** {@return the selector, or null} */
    public String getSelector() {
      return selector;
    }

    /**
     * Sets the selector.
     *
     * @param selector e.g. mail2026
     */
    public void setSelector(String selector) {
      this.selector = selector;
    }

    /** {@return the private key resource, or null when signing is off} */
    public Resource getPrivateKey() {
      return privateKey;
    }

    /**
     * Sets the private key and so turns signing on.
     *
     * @param privateKey a PEM resource
     */
    public void setPrivateKey(Resource privateKey) {
      this.privateKey = privateKey;
    }

    /** {@return whether the key is checked in DNS at start; defaults to true} */
    public boolean isCheckDnsAtStart() {
      return checkDnsAtStart;
    }

    /**
     * Sets whether the key is checked in DNS at start (a warning, never a failure).
     *
     * @param checkDnsAtStart false for hosts without DNS
     */
    public void setCheckDnsAtStart(boolean checkDnsAtStart) {
      this.checkDnsAtStart = checkDnsAtStart;
    }
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

    /**
     * {@return whether a hard bounce puts its address on the suppression list; defaults to true}
     */
    public boolean isOnBounce() {
      return onBounce;
    }

    /**
     * Sets whether a hard bounce puts its address on the suppression list.
     *
     * @param onBounce false turns the automatic entries off; entries added by hand still apply
     */
    public void setOnBounce(boolean onBounce) {
      this.onBounce = onBounce;
    }

    /**
     * {@return how long a hard bounce keeps its address suppressed; 0 for ever; defaults to 90
     * days}
     */
    public Duration getBounceTtl() {
      return bounceTtl;
    }

    /**
     * Sets how long a hard bounce keeps its address on the suppression list.
     *
     * @param bounceTtl the time to live; 0 (or null) keeps the entries for ever
     */
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

    /** {@return the age of the oldest unfinished message above which the queue is degraded} */
    public Duration getMaxOldestWaiting() {
      return maxOldestWaiting;
    }

    /**
     * Sets the age of the oldest unfinished message above which the queue is degraded.
     *
     * @param maxOldestWaiting not negative; defaults to {@link
     *     HealthThresholds#DEFAULT_MAX_OLDEST_WAITING}
     */
    public void setMaxOldestWaiting(Duration maxOldestWaiting) {
      this.maxOldestWaiting = maxOldestWaiting;
    }

    /** {@return the number of deferred messages above which the queue is degraded} */
    public long getMaxDeferred() {
      return maxDeferred;
    }

    /**
     * Sets the number of deferred messages above which the queue is degraded.
     *
     * @param maxDeferred not negative; defaults to {@link HealthThresholds#DEFAULT_MAX_DEFERRED}
     */
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

    /** {@return whether the endpoint has its write operations} */
    public boolean isWriteEnabled() {
      return writeEnabled;
    }

    /**
     * Sets whether the endpoint has its write operations.
     *
     * @param writeEnabled defaults to {@code false}: read-only
     */
    public void setWriteEnabled(boolean writeEnabled) {
      this.writeEnabled = writeEnabled;
    }

    /** {@return whether the endpoint shows recipient addresses as they are} */
    public boolean isShowRecipients() {
      return showRecipients;
    }

    /**
     * Sets whether the endpoint shows recipient addresses as they are.
     *
     * @param showRecipients defaults to {@code false}: each address by its domain only
     */
    public void setShowRecipients(boolean showRecipients) {
      this.showRecipients = showRecipients;
    }
  }

  /**
   * The one-click unsubscribe endpoint (RFC 8058) of a Spring MVC application: a POST to {@code
   * path?t=TOKEN} with the body {@code List-Unsubscribe=One-Click} puts the token's address on the
   * suppression list for the token's scope (see {@code UnsubscribeTokens}).
   */
  public static class Unsubscribe {
    /** Default of {@link #getPath()}: {@value}. */
    public static final String DEFAULT_PATH = "/mailqueue/unsubscribe";

    /**
     * Whether to serve the one-click unsubscribe endpoint (Spring MVC applications only). Needs
     * 'mailqueue.unsubscribe.secret'.
     */
    private boolean enabled = false;

    /** Path of the endpoint, to which the https links of List-Unsubscribe headers point. */
    private String path = DEFAULT_PATH;

    /**
     * Secret the tokens are signed with, base64, at least 32 bytes decoded (e.g. 'openssl rand
     * -base64 32'); the same on every node and in whatever makes the links.
     */
    private String secret;

    /** {@return whether to serve the one-click unsubscribe endpoint} */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Sets whether to serve the one-click unsubscribe endpoint.
     *
     * @param enabled defaults to {@code false}
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** {@return the path of the endpoint} */
    public String getPath() {
      return path;
    }

    /**
     * Sets the path of the endpoint.
     *
     * @param path starting with '/'; defaults to {@value #DEFAULT_PATH}
     */
    public void setPath(String path) {
      this.path = path;
    }

    /** {@return the secret the tokens are signed with, base64, or null} */
    public String getSecret() {
      return secret;
    }

    /**
     * Sets the secret the tokens are signed with.
     *
     * @param secret base64 of at least 32 random bytes; no default: required when enabled
     */
    public void setSecret(String secret) {
      this.secret = secret;
    }

    /** Never the secret. */
    @Override
    public String toString() {
      return "Unsubscribe[enabled=" + enabled + ", path=" + path + "]";
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

    /** {@return the delay after the first failed attempt} */
    public Duration getInitialDelay() {
      return initialDelay;
    }

    /**
     * Sets the delay after the first failed attempt.
     *
     * @param initialDelay a positive duration; defaults to {@link
     *     RetryPolicy#DEFAULT_INITIAL_DELAY}
     */
    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    /** {@return the factor applied to the delay per further failed attempt} */
    public double getMultiplier() {
      return multiplier;
    }

    /**
     * Sets the factor applied to the delay per further failed attempt.
     *
     * @param multiplier at least 1, finite; defaults to {@link RetryPolicy#DEFAULT_MULTIPLIER}
     */
    public void setMultiplier(double multiplier) {
      this.multiplier = multiplier;
    }

    /** {@return the cap on a single delay} */
    public Duration getMaxDelay() {
      return maxDelay;
    }

    /**
     * Sets the cap on a single delay.
     *
     * @param maxDelay a positive duration; defaults to {@link RetryPolicy#DEFAULT_MAX_DELAY}
     */
    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    /** {@return the fraction by which each delay is shortened at random} */
    public double getJitter() {
      return jitter;
    }

    /**
     * Sets the fraction by which each delay is shortened at random.
     *
     * @param jitter at least 0 and below 1; defaults to {@link RetryPolicy#DEFAULT_JITTER}
     */
    public void setJitter(double jitter) {
      this.jitter = jitter;
    }

    /** {@return the attempts after which a message expires even if its age allows more} */
    public int getMaxAttempts() {
      return maxAttempts;
    }

    /**
     * Sets the attempts after which a message expires even if its age allows more.
     *
     * @param maxAttempts at least 1; defaults to {@link RetryPolicy#DEFAULT_MAX_ATTEMPTS}
     */
    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    /** {@return the age after which a message expires} */
    public Duration getMaxAge() {
      return maxAge;
    }

    /**
     * Sets the age after which a message expires.
     *
     * @param maxAge a positive duration; defaults to {@link RetryPolicy#DEFAULT_MAX_AGE}
     */
    public void setMaxAge(Duration maxAge) {
      this.maxAge = maxAge;
    }

    RetryPolicy toPolicy() {
      return RetryPolicy.builder()
          .initialDelay(initialDelay)
          .multiplier(multiplier)
          .maxDelay(maxDelay)
          .jitter(jitter)
          .maxAttempts(maxAttempts)
          .maxAge(maxAge)
          .build();
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

    /** {@return the delay after the first failed attempt, or {@code null} for mailqueue.retry's} */
    public Duration getInitialDelay() {
      return initialDelay;
    }

    /**
     * Sets the delay after the first failed attempt.
     *
     * @param initialDelay a positive duration, or {@code null} (the default) for mailqueue.retry's
     */
    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    /**
     * {@return the factor applied to the delay per further failed attempt, or {@code null} for
     * mailqueue.retry's}
     */
    public Double getMultiplier() {
      return multiplier;
    }

    /**
     * Sets the factor applied to the delay per further failed attempt.
     *
     * @param multiplier at least 1, or {@code null} (the default) for mailqueue.retry's
     */
    public void setMultiplier(Double multiplier) {
      this.multiplier = multiplier;
    }

    /** {@return the cap on a single delay, or {@code null} for mailqueue.retry's} */
    public Duration getMaxDelay() {
      return maxDelay;
    }

    /**
     * Sets the cap on a single delay.
     *
     * @param maxDelay a positive duration, or {@code null} (the default) for mailqueue.retry's
     */
    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    /**
     * {@return the fraction by which each delay is shortened at random, or {@code null} for
     * mailqueue.retry's}
     */
    public Double getJitter() {
      return jitter;
    }

    /**
     * Sets the fraction by which each delay is shortened at random.
     *
     * @param jitter at least 0 and below 1, or {@code null} (the default) for mailqueue.retry's
     */
    public void setJitter(Double jitter) {
      this.jitter = jitter;
    }

    /**
     * {@return the attempts after which a message expires even if its age allows more, or {@code
     * null} for mailqueue.retry's}
     */
    public Integer getMaxAttempts() {
      return maxAttempts;
    }

    /**
     * Sets the attempts after which a message expires even if its age allows more.
     *
     * @param maxAttempts at least 1, or {@code null} (the default) for mailqueue.retry's
     */
    public void setMaxAttempts(Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    /** {@return the age after which a message expires, or {@code null} for mailqueue.retry's} */
    public Duration getMaxAge() {
      return maxAge;
    }

    /**
     * Sets the age after which a message expires.
     *
     * @param maxAge a positive duration, or {@code null} (the default) for mailqueue.retry's
     */
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
     * it) until it is purged. By default the body is emptied when the delivery is recorded; bounced
     * and expired messages keep theirs for inspection until purged.
     */
    private boolean retainBodies = false;

    /** {@return the prefix of every table name} */
    public String getTablePrefix() {
      return tablePrefix;
    }

    /**
     * Sets the prefix of every table name.
     *
     * @param tablePrefix lower-case letters, digits and '_', starting with a letter, at most 20
     *     characters; defaults to {@link JdbcMailStore#DEFAULT_TABLE_PREFIX}
     */
    public void setTablePrefix(String tablePrefix) {
      this.tablePrefix = tablePrefix;
    }

    /**
     * {@return when missing tables are created (and tables at an earlier schema version upgraded)
     * at startup}
     */
    public DatabaseInitializationMode getInitializeSchema() {
      return initializeSchema;
    }

    /**
     * Sets when missing tables are created (and tables at an earlier schema version upgraded) at
     * startup.
     *
     * @param initializeSchema not null; defaults to {@link DatabaseInitializationMode#EMBEDDED}
     */
    public void setInitializeSchema(DatabaseInitializationMode initializeSchema) {
      this.initializeSchema = initializeSchema;
    }

    /** {@return whether each enqueue sends a PostgreSQL NOTIFY that wakes every node's workers} */
    public boolean isNotifyOnEnqueue() {
      return notifyOnEnqueue;
    }

    /**
     * Sets whether each enqueue sends a PostgreSQL NOTIFY that wakes every node's workers.
     *
     * @param notifyOnEnqueue ignored on other databases; defaults to {@code true}
     */
    public void setNotifyOnEnqueue(boolean notifyOnEnqueue) {
      this.notifyOnEnqueue = notifyOnEnqueue;
    }

    /** {@return the longest any one statement of the queue may run} */
    public Duration getQueryTimeout() {
      return queryTimeout;
    }

    /**
     * Sets the longest any one statement of the queue may run.
     *
     * @param queryTimeout a positive duration, applied in whole seconds rounded up; defaults to
     *     {@link JdbcMailStore#DEFAULT_QUERY_TIMEOUT}
     */
    public void setQueryTimeout(Duration queryTimeout) {
      this.queryTimeout = queryTimeout;
    }

    /** {@return whether a delivered message keeps its body until it is purged} */
    public boolean isRetainBodies() {
      return retainBodies;
    }

    /**
     * Sets whether a delivered message keeps its body until it is purged.
     *
     * @param retainBodies defaults to {@code false}: the body is emptied when the delivery is
     *     recorded
     */
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
     * port 465, STARTTLS required with credentials or a relay that is not local, and opportunistic
     * STARTTLS otherwise.
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

    /** {@return the relay host, or {@code null} for spring.mail.host} */
    public String getHost() {
      return host;
    }

    /**
     * Sets the relay host.
     *
     * @param host a host name or address literal, or {@code null} (the default) for
     *     spring.mail.host
     */
    public void setHost(String host) {
      this.host = host;
    }

    /** {@return the relay port, or {@code null} for spring.mail.port, else 25} */
    public Integer getPort() {
      return port;
    }

    /**
     * Sets the relay port.
     *
     * @param port 1 to 65535, or {@code null} (the default) for spring.mail.port, else 25
     */
    public void setPort(Integer port) {
      this.port = port;
    }

    /**
     * {@return how connections to the relay are protected, or {@code null} when derived from
     * spring.mail.* and the relay}
     */
    public Security getSecurity() {
      return security;
    }

    /**
     * Sets how connections to the relay are protected.
     *
     * @param security the mode, or {@code null} (the default) to derive it from spring.mail.* and
     *     the relay
     */
    public void setSecurity(Security security) {
      this.security = security;
    }

    /**
     * {@return the name of the SSL bundle that secures the connection to the relay, or {@code null}
     * for spring.mail.ssl.bundle, else the JDK's default trust}
     */
    public String getSslBundle() {
      return sslBundle;
    }

    /**
     * Sets the name of the SSL bundle that secures the connection to the relay.
     *
     * @param sslBundle a name under spring.ssl.bundle.*, or {@code null} (the default) for
     *     spring.mail.ssl.bundle, else the JDK's default trust
     */
    public void setSslBundle(String sslBundle) {
      this.sslBundle = sslBundle;
    }

    /** {@return the login user, or {@code null} for spring.mail.username} */
    public String getUsername() {
      return username;
    }

    /**
     * Sets the login user.
     *
     * @param username the user, or {@code null} (the default) for spring.mail.username
     */
    public void setUsername(String username) {
      this.username = username;
    }

    /** {@return the login password, or {@code null} for spring.mail.password} */
    public String getPassword() {
      return password;
    }

    /**
     * Sets the login password.
     *
     * @param password the password, or {@code null} (the default) for spring.mail.password
     */
    public void setPassword(String password) {
      this.password = password;
    }

    /** {@return the relays to fail over to, in order, as host:port; never null} */
    public List<String> getFailover() {
      return failover;
    }

    /**
     * Sets the relays to fail over to, in order, as host:port.
     *
     * @param failover host:port entries; defaults to none
     */
    public void setFailover(List<String> failover) {
      this.failover = failover;
    }

    /** {@return the name sent with EHLO, or {@code null} for this machine's canonical host name} */
    public String getEhloName() {
      return ehloName;
    }

    /**
     * Sets the name sent with EHLO.
     *
     * @param ehloName a fully qualified domain name, or {@code null} (the default) for this
     *     machine's canonical host name
     */
    public void setEhloName(String ehloName) {
      this.ehloName = ehloName;
    }

    /** {@return the time allowed to establish a TCP connection} */
    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    /**
     * Sets the time allowed to establish a TCP connection.
     *
     * @param connectTimeout a positive duration; defaults to {@link
     *     SmtpTransport#DEFAULT_CONNECT_TIMEOUT}
     */
    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    /** {@return the time allowed for each reply} */
    public Duration getReadTimeout() {
      return readTimeout;
    }

    /**
     * Sets the time allowed for each reply.
     *
     * @param readTimeout a positive duration; defaults to {@link
     *     SmtpTransport#DEFAULT_READ_TIMEOUT}
     */
    public void setReadTimeout(Duration readTimeout) {
      this.readTimeout = readTimeout;
    }

    /** {@return the time any single write may block} */
    public Duration getWriteTimeout() {
      return writeTimeout;
    }

    /**
     * Sets the time any single write may block.
     *
     * @param writeTimeout a positive duration; defaults to {@link
     *     SmtpTransport#DEFAULT_WRITE_TIMEOUT}
     */
    public void setWriteTimeout(Duration writeTimeout) {
      this.writeTimeout = writeTimeout;
    }

    /** {@return the deadline of one whole delivery attempt} */
    public Duration getAttemptDeadline() {
      return attemptDeadline;
    }

    /**
     * Sets the deadline of one whole delivery attempt.
     *
     * @param attemptDeadline a positive duration; defaults to {@link
     *     SmtpTransport#DEFAULT_ATTEMPT_DEADLINE}
     */
    public void setAttemptDeadline(Duration attemptDeadline) {
      this.attemptDeadline = attemptDeadline;
    }

    /** {@return the messages one connection carries before it is closed} */
    public int getMaxMessagesPerConnection() {
      return maxMessagesPerConnection;
    }

    /**
     * Sets the messages one connection carries before it is closed.
     *
     * @param maxMessagesPerConnection at least 1; defaults to {@link
     *     SmtpTransport#DEFAULT_MAX_MESSAGES_PER_CONNECTION}
     */
    public void setMaxMessagesPerConnection(int maxMessagesPerConnection) {
      this.maxMessagesPerConnection = maxMessagesPerConnection;
    }

    /** {@return the time an unused connection stays open for reuse} */
    public Duration getIdleTimeout() {
      return idleTimeout;
    }

    /**
     * Sets the time an unused connection stays open for reuse.
     *
     * @param idleTimeout a positive duration; defaults to {@link
     *     SmtpTransport#DEFAULT_IDLE_TIMEOUT}
     */
    public void setIdleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
    }

    /** {@return the connections open at once to one relay} */
    public int getMaxConnectionsPerRelay() {
      return maxConnectionsPerRelay;
    }

    /**
     * Sets the connections open at once to one relay.
     *
     * @param maxConnectionsPerRelay at least 1; defaults to {@link
     *     SmtpTransport#DEFAULT_MAX_CONNECTIONS_PER_SERVER}
     */
    public void setMaxConnectionsPerRelay(int maxConnectionsPerRelay) {
      this.maxConnectionsPerRelay = maxConnectionsPerRelay;
    }
  }
}
