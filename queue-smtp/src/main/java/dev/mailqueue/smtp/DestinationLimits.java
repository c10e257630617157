package dev.mailqueue.smtp;

import dev.mailqueue.SmtpReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How much mail each destination may receive, for {@link ShapingTransport}: sessions at once,
 * messages per time unit and per session, when a destination counts as dead (circuit breaker), and
 * which replies mean "slow down". Immutable and thread-safe; build with {@link #custom()} or take
 * {@link #ofDefaults()}.
 *
 * <p>A <em>destination</em> is what one budget is kept for. Mail for a recipient domain goes to:
 *
 * <ol>
 *   <li>the domain itself, when it has an {@link Builder#domain override};
 *   <li>else the first {@link Builder#group group} one of whose suffixes matches the host the mail
 *       goes to (in direct mode the domain's most preferred MX host, in relay mode the relay), so
 *       that e.g. every domain hosted by Google shares one budget;
 *   <li>else that host, with the {@link Builder#defaults defaults}.
 * </ol>
 *
 * <pre>{@code
 * DestinationLimits limits = DestinationLimits.custom()
 *     .defaults(Limit.ofDefaults())
 *     .group("google", Limit.ofDefaults().withMaxConcurrentSessions(5).withMessagesPerSession(50), "google.com")
 *     .domain("small-isp.example", Limit.ofDefaults().withRate(2, Duration.ofSeconds(1)))
 *     .build();
 * }</pre>
 */
public final class DestinationLimits {
  /** Default sessions open at once to one destination: 10 (KumoMTA's shaping default). */
  public static final int DEFAULT_MAX_CONCURRENT_SESSIONS = 10;

  /**
   * Default messages per {@link #DEFAULT_RATE_PERIOD} to one destination: 100 (KumoMTA's shaping
   * default, 100/s).
   */
  public static final int DEFAULT_MESSAGES_PER_PERIOD = 100;

  /** Default period of the rate: 1 second. */
  public static final Duration DEFAULT_RATE_PERIOD = Duration.ofSeconds(1);

  /**
   * Default messages carried by one session: 100 (KumoMTA's shaping default; the same as
   * SmtpTransport's).
   */
  public static final int DEFAULT_MESSAGES_PER_SESSION =
      SmtpTransport.DEFAULT_MAX_MESSAGES_PER_CONNECTION;

  /**
   * Default consecutive connection failures (refused, timed out, dropped, 421) that mark a
   * destination dead: 10. KumoMTA waits for 100; an embedded queue with a few workers would spend
   * many minutes of connect timeouts on that.
   */
  public static final int DEFAULT_FAILURES_TO_OPEN = 10;

  /**
   * Default time a dead destination is left alone before one message probes it: 5 minutes (Postfix
   * {@code queue_run_delay}).
   */
  public static final Duration DEFAULT_OPEN_DURATION = Duration.ofMinutes(5);

  /**
   * Default time a lowered rate holds before it is raised one step (doubled, up to the configured
   * rate): 1 minute.
   */
  public static final Duration DEFAULT_SLOW_DOWN_HOLD = Duration.ofMinutes(1);

  /**
   * Default "slow down" reply text, matched case-insensitively anywhere in the text of a {@code
   * 421}, or of a {@code 450}/{@code 451} with enhanced status {@code 4.7.x}.
   */
  public static final Pattern DEFAULT_SLOW_DOWN_TEXT =
      Pattern.compile(
          "too many (connections|messages|concurrent)|rate limit|try again later|throttl|slow down",
          Pattern.CASE_INSENSITIVE);

  private final Limit defaults;
  private final Map<String, Limit> domains;
  private final List<Group> groups;
  private final int failuresToOpen;
  private final Duration openDuration;
  private final List<SlowDownRule> slowDownRules;
  private final Duration slowDownHold;

  /**
   * The limits of one destination.
   *
   * @param maxConcurrentSessions deliveries in progress at once; more are deferred without counting
   * @param messagesPerPeriod messages started per {@code period}; more are deferred without
   *     counting
   * @param period the period of the rate, at least 1 ms
   * @param messagesPerSession messages one connection carries before it is closed (applies when the
   *     limits are given to {@link SmtpTransportBuilder#shaping})
   */
  public record Limit(
      int maxConcurrentSessions, int messagesPerPeriod, Duration period, int messagesPerSession) {
    /**
     * Validates every field.
     *
     * @param maxConcurrentSessions deliveries in progress at once, at least 1
     * @param messagesPerPeriod messages started per {@code period}, at least 1
     * @param period the period of the rate, at least 1 ms; not null
     * @param messagesPerSession messages one connection carries, at least 1
     * @throws IllegalArgumentException when a number is below 1 or {@code period} below 1 ms
     */
    public Limit {
      positive(maxConcurrentSessions, "maxConcurrentSessions");
      positive(messagesPerPeriod, "messagesPerPeriod");
      Objects.requireNonNull(period, "period");
      if (period.toMillis() < 1) {
        throw new IllegalArgumentException("period must be at least 1 ms: " + period);
      }
      positive(messagesPerSession, "messagesPerSession");
    }

    /**
     * {@link #DEFAULT_MAX_CONCURRENT_SESSIONS}, {@link #DEFAULT_MESSAGES_PER_PERIOD} per {@link
     * #DEFAULT_RATE_PERIOD}, {@link #DEFAULT_MESSAGES_PER_SESSION}.
     *
     * @return the default limit
     */
    public static Limit ofDefaults() {
      return new Limit(
          DEFAULT_MAX_CONCURRENT_SESSIONS,
          DEFAULT_MESSAGES_PER_PERIOD,
          DEFAULT_RATE_PERIOD,
          DEFAULT_MESSAGES_PER_SESSION);
    }

    /**
     * The same limit with another number of sessions at once.
     *
     * @param max deliveries in progress at once, at least 1
     * @return a new limit; this one is unchanged
     */
    public Limit withMaxConcurrentSessions(int max) {
      return new Limit(max, messagesPerPeriod, period, messagesPerSession);
    }

    /**
     * The same limit with another rate, e.g. {@code withRate(600, Duration.ofMinutes(1))}.
     *
     * @param messages messages started per {@code per}, at least 1
     * @param per the period of the rate, at least 1 ms; not null
     * @return a new limit; this one is unchanged
     */
    public Limit withRate(int messages, Duration per) {
      return new Limit(maxConcurrentSessions, messages, per, messagesPerSession);
    }

    /**
     * The same limit with another number of messages per session.
     *
     * @param max messages one connection carries before it is closed, at least 1
     * @return a new limit; this one is unchanged
     */
    public Limit withMessagesPerSession(int max) {
      return new Limit(maxConcurrentSessions, messagesPerPeriod, period, max);
    }
  }

  /**
   * Destinations sharing one budget.
   *
   * @param name the destination name (for logs, events and the limiters)
   * @param limit the shared limit
   * @param hostSuffixes lower-case host names or suffixes; {@code "google.com"} matches {@code
   *     google.com} and {@code aspmx.l.google.com}, not {@code notgoogle.com}
   */
  public record Group(String name, Limit limit, List<String> hostSuffixes) {
    /**
     * Validates and normalises.
     *
     * @param name the destination name, stored in lower case; not null or blank, without spaces or
     *     {@code @}
     * @param limit the shared limit; not null
     * @param hostSuffixes at least one host name or suffix, stored in lower case without a leading
     *     or trailing dot; not null
     * @throws IllegalArgumentException when a name is not a host name or no suffix is given
     */
    public Group {
      name = requireName(name, "group name");
      Objects.requireNonNull(limit, "limit");
      List<String> normalised = new ArrayList<>();
      for (String s : hostSuffixes) {
        normalised.add(requireName(s, "host suffix"));
      }
      hostSuffixes = List.copyOf(normalised);
      if (hostSuffixes.isEmpty()) {
        throw new IllegalArgumentException(
            "group " + name + " matches no host: give at least one suffix");
      }
    }

    boolean matches(String host) {
      for (String s : hostSuffixes) {
        if (host.equals(s) || host.endsWith("." + s)) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Which replies mean "slow down": a reply with this code whose enhanced status starts with {@code
   * enhancedPrefix} (any when {@code null}) and whose text contains a match of {@code text}.
   *
   * @param code the reply code, e.g. 421
   * @param enhancedPrefix e.g. {@code "4.7."}, or {@code null} for any (or none)
   * @param text matched with {@link Matcher#find()}
   */
  public record SlowDownRule(int code, String enhancedPrefix, Pattern text) {
    /**
     * Validates presence.
     *
     * @param code the reply code, 400 to 499
     * @param enhancedPrefix the start of the enhanced status, or {@code null} for any (or none)
     * @param text matched with {@link Matcher#find()}; not null
     * @throws IllegalArgumentException when {@code code} is not a 4xx code
     */
    public SlowDownRule {
      if (code < 400 || code > 499) {
        throw new IllegalArgumentException("a slow-down reply is a 4xx reply: " + code);
      }
      Objects.requireNonNull(text, "text");
    }

    boolean matches(SmtpReply reply) {
      return reply.code() == code
          && (enhancedPrefix == null
              || (reply.enhancedStatus() != null
                  && reply.enhancedStatus().startsWith(enhancedPrefix)))
          && text.matcher(reply.text()).find();
    }
  }

  /** The budget a message is counted against: its name and limit. */
  record Destination(String name, Limit limit) {}

  private DestinationLimits(Builder b) {
    this.defaults = b.defaults;
    this.domains = Map.copyOf(b.domains);
    this.groups = List.copyOf(b.groups);
    this.failuresToOpen = b.failuresToOpen;
    this.openDuration = b.openDuration;
    this.slowDownRules =
        List.copyOf(b.slowDownRules != null ? b.slowDownRules : defaultSlowDownRules());
    this.slowDownHold = b.slowDownHold;
  }

  /**
   * Every setting at its default: {@link Limit#ofDefaults()} everywhere, no overrides, no groups.
   *
   * @return limits with every setting at its default
   */
  public static DestinationLimits ofDefaults() {
    return custom().build();
  }

  /**
   * Starts a builder with every setting at its default.
   *
   * @return a new builder
   */
  public static Builder custom() {
    return new Builder();
  }

  /**
   * The default slow-down rules: {@link #DEFAULT_SLOW_DOWN_TEXT} in a {@code 421} (any enhanced
   * status), {@code 450 4.7.x} or {@code 451 4.7.x}.
   *
   * @return the three default rules, an immutable list
   */
  public static List<SlowDownRule> defaultSlowDownRules() {
    return List.of(
        new SlowDownRule(421, null, DEFAULT_SLOW_DOWN_TEXT),
        new SlowDownRule(450, "4.7.", DEFAULT_SLOW_DOWN_TEXT),
        new SlowDownRule(451, "4.7.", DEFAULT_SLOW_DOWN_TEXT));
  }

  /**
   * The limit for a destination without override or group.
   *
   * @return the limit of destinations without override or group
   */
  public Limit defaults() {
    return defaults;
  }

  /**
   * Consecutive connection failures that open the breaker of a destination.
   *
   * @return the number of failures, at least 1
   */
  public int failuresToOpen() {
    return failuresToOpen;
  }

  /**
   * How long an open breaker stays open before one message probes the destination.
   *
   * @return the time the breaker stays open, at least 1 ms
   */
  public Duration openDuration() {
    return openDuration;
  }

  /**
   * The replies that lower a destination's rate.
   *
   * @return the rules, an immutable list; empty when slowing down is disabled
   */
  public List<SlowDownRule> slowDownRules() {
    return slowDownRules;
  }

  /**
   * How long a lowered rate holds before each step back up.
   *
   * @return the hold time, at least 1 ms
   */
  public Duration slowDownHold() {
    return slowDownHold;
  }

  /** Where mail for {@code domain}, going to {@code host}, is counted (see the class comment). */
  Destination destinationOf(String domain, String host) {
    String d = domain.toLowerCase(Locale.ROOT);
    Limit override = domains.get(d);
    if (override != null) {
      return new Destination(d, override);
    }
    return destinationOfHost(host);
  }

  /** The group {@code host} belongs to, or the host itself with the defaults. */
  Destination destinationOfHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    for (Group g : groups) {
      if (g.matches(h)) {
        return new Destination(g.name(), g.limit());
      }
    }
    return new Destination(h, defaults);
  }

  /** Whether {@code reply} asks the sender to slow down. */
  boolean isSlowDown(SmtpReply reply) {
    for (SlowDownRule r : slowDownRules) {
      if (r.matches(reply)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "DestinationLimits[defaults="
        + defaults
        + ", domains="
        + domains
        + ", groups="
        + groups
        + ", failuresToOpen="
        + failuresToOpen
        + ", openDuration="
        + openDuration
        + ", slowDownHold="
        + slowDownHold
        + "]";
  }

  /**
   * Builds {@link DestinationLimits}. Not thread-safe; every setter validates and returns this
   * builder.
   */
  public static final class Builder {
    private Limit defaults = Limit.ofDefaults();
    private final Map<String, Limit> domains = new LinkedHashMap<>();
    private final List<Group> groups = new ArrayList<>();
    private int failuresToOpen = DEFAULT_FAILURES_TO_OPEN;
    private Duration openDuration = DEFAULT_OPEN_DURATION;
    private List<SlowDownRule> slowDownRules;
    private Duration slowDownHold = DEFAULT_SLOW_DOWN_HOLD;

    private Builder() {}

    /**
     * The limit of every destination without override or group. Defaults to {@link
     * Limit#ofDefaults()}.
     *
     * @param limit the limit; not null
     * @return this builder
     */
    public Builder defaults(Limit limit) {
      this.defaults = Objects.requireNonNull(limit, "limit");
      return this;
    }

    /**
     * Mail for this recipient domain (exact match) is its own destination with this limit. Defaults
     * to none.
     *
     * @param domain the recipient domain, matched case-insensitively; not null or blank
     * @param limit the domain's own limit; not null
     * @return this builder
     * @throws IllegalArgumentException when {@code domain} is not a domain name
     */
    public Builder domain(String domain, Limit limit) {
      domains.put(requireName(domain, "domain"), Objects.requireNonNull(limit, "limit"));
      return this;
    }

    /**
     * Every host ending in one of {@code hostSuffixes} (an MX host in direct mode, the relay in
     * relay mode) shares one budget called {@code name}. Groups are matched in the order added.
     * Defaults to none.
     *
     * @param name the shared destination's name, used in logs, events and metrics; not null or
     *     blank
     * @param limit the limit all hosts of the group share; not null
     * @param hostSuffixes at least one host name or suffix; {@code "google.com"} matches {@code
     *     google.com} and {@code aspmx.l.google.com}, not {@code notgoogle.com}
     * @return this builder
     * @throws IllegalArgumentException when a name is not a host name or no suffix is given
     */
    public Builder group(String name, Limit limit, String... hostSuffixes) {
      groups.add(new Group(name, limit, List.of(hostSuffixes)));
      return this;
    }

    /**
     * Consecutive connection failures (connect refused or timed out, connection dropped, attempt
     * deadline, no reply after the data, 421) after which a destination's breaker opens. Defaults
     * to {@link #DEFAULT_FAILURES_TO_OPEN}.
     *
     * @param failures at least 1
     * @return this builder
     */
    public Builder failuresToOpen(int failures) {
      this.failuresToOpen = positive(failures, "failuresToOpen");
      return this;
    }

    /**
     * How long an open breaker defers mail before one message probes. Defaults to {@link
     * #DEFAULT_OPEN_DURATION}.
     *
     * @param duration at least 1 ms; not null
     * @return this builder
     */
    public Builder openDuration(Duration duration) {
      this.openDuration = positiveDuration(duration, "openDuration");
      return this;
    }

    /**
     * Replaces the slow-down rules. Defaults to {@link #defaultSlowDownRules()}; an empty list
     * disables slowing down.
     *
     * @param rules the rules, any of which lowers the rate, copied; not null, no null element
     * @return this builder
     */
    public Builder slowDownRules(List<SlowDownRule> rules) {
      this.slowDownRules = List.copyOf(rules);
      return this;
    }

    /**
     * How long a lowered rate holds before it is doubled again, step by step up to the configured
     * rate. Defaults to {@link #DEFAULT_SLOW_DOWN_HOLD}.
     *
     * @param hold at least 1 ms; not null
     * @return this builder
     */
    public Builder slowDownHold(Duration hold) {
      this.slowDownHold = positiveDuration(hold, "slowDownHold");
      return this;
    }

    /**
     * Builds the immutable limits.
     *
     * @return new limits, unaffected by later calls on this builder
     */
    public DestinationLimits build() {
      return new DestinationLimits(this);
    }
  }

  private static int positive(int n, String name) {
    if (n < 1) {
      throw new IllegalArgumentException(name + " must be at least 1: " + n);
    }
    return n;
  }

  private static Duration positiveDuration(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.toMillis() < 1) {
      throw new IllegalArgumentException(name + " must be at least 1 ms: " + d);
    }
    return d;
  }

  private static String requireName(String name, String what) {
    Objects.requireNonNull(name, what);
    String n = name.strip().toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    if (n.startsWith(".")) {
      n = n.substring(1);
    }
    if (n.isEmpty() || n.contains(" ") || n.contains("@")) {
      throw new IllegalArgumentException(what + " is not a host or domain name: '" + name + "'");
    }
    return n;
  }
}
