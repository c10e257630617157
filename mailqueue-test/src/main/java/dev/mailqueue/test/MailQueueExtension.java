package dev.mailqueue.test;

import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RetryPolicy;
import dev.mailqueue.jdbc.JdbcMailStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test a started {@link MailQueue} on a real database whose transport sends nothing but
 * captures every message into a {@link Mailbox}. Test methods (and {@code @BeforeEach} methods) may
 * declare {@code MailQueue} and {@code Mailbox} parameters.
 *
 * <p>With {@code @ExtendWith(MailQueueExtension.class)} each test gets its own H2 database in
 * memory, with the queue's tables, dropped after the test; {@link #dataSource()} is that database,
 * for the application's own tables. To use the test's database (PostgreSQL, say) register one with
 * {@link #builder()}:
 *
 * <pre>{@code
 * @RegisterExtension
 * final MailQueueExtension mail = MailQueueExtension.builder().dataSource(dataSource).build();
 *
 * @Test
 * void resetMailCarriesTheLink(Mailbox mailbox) {
 *   service.requestReset("bob@example.org");   // enqueues through mail.queue()
 *   mailbox.awaitDelivered();
 *   assertThat(mailbox).sentTo("bob@example.org").hasSubject("Reset your password");
 * }
 * }</pre>
 *
 * <p>The queue retries a deferral after {@value #DEFAULT_RETRY_DELAY_MILLIS} ms instead of minutes
 * ({@link #TEST_RETRY_POLICY}), so a scripted "defer twice" is done within {@link
 * Mailbox#awaitDelivered()}; lifetime and attempts stay {@link RetryPolicy}'s defaults. A new queue
 * is built before and closed after every test; a registered extension shared by the tests of a
 * class (a {@code static} field) does the same, so such tests must not run concurrently.
 */
public final class MailQueueExtension
    implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

  /** The delay before retrying a deferred recipient: 1 ms. */
  public static final long DEFAULT_RETRY_DELAY_MILLIS = 1;

  /**
   * The retry policy of the test queue: {@value #DEFAULT_RETRY_DELAY_MILLIS} ms between attempts,
   * no jitter; attempts and lifetime as {@link RetryPolicy#defaults()}.
   */
  public static final RetryPolicy TEST_RETRY_POLICY =
      RetryPolicy.builder()
          .initialDelay(Duration.ofMillis(DEFAULT_RETRY_DELAY_MILLIS))
          .maxDelay(Duration.ofMillis(DEFAULT_RETRY_DELAY_MILLIS))
          .multiplier(1)
          .jitter(0)
          .build();

  /** Worker threads of the test queue: 2, so that tests see concurrent delivery. */
  public static final int DEFAULT_WORKERS = 2;

  /** How often the test queue looks for due mail when nothing wakes it: 50 ms. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(50);

  private final @Nullable DataSource givenDataSource;
  private final @Nullable String tablePrefix;
  private final boolean createSchema;
  private final RetryPolicy retryPolicy;
  private final List<DeliveryListener> listeners;
  private final Consumer<MailQueue.Builder> customizer;

  private @Nullable DataSource dataSource;
  private @Nullable MailQueue queue;
  private @Nullable Mailbox mailbox;

  /** The extension with every default: H2 in memory, a new database per test. */
  public MailQueueExtension() {
    this(builder());
  }

  private MailQueueExtension(Builder b) {
    this.givenDataSource = b.dataSource;
    this.tablePrefix = b.tablePrefix;
    this.createSchema = b.createSchema;
    this.retryPolicy = b.retryPolicy;
    this.listeners = List.copyOf(b.listeners);
    this.customizer = b.customizer;
  }

  /** {@return a builder for an extension with a database or settings of the test's own} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@return the current test's queue, started}
   *
   * @throws IllegalStateException outside a test
   */
  public MailQueue queue() {
    return current(queue, "queue");
  }

  /**
   * {@return the current test's mailbox}
   *
   * @throws IllegalStateException outside a test
   */
  public Mailbox mailbox() {
    return current(mailbox, "mailbox");
  }

  /**
   * {@return the database of the current test's queue: the test's own, or the H2 database made for
   * this test}
   *
   * @throws IllegalStateException outside a test
   */
  public DataSource dataSource() {
    return current(dataSource, "dataSource");
  }

  private <T> T current(@Nullable T value, String what) {
    if (value == null) {
      throw new IllegalStateException(
          "no " + what + " outside a test: MailQueueExtension makes one before each test");
    }
    return value;
  }

  /**
   * Makes the database (unless given), the mailbox and the queue, and starts the queue.
   *
   * @param context the test's context
   */
  @Override
  public void beforeEach(ExtensionContext context) {
    DataSource ds = givenDataSource != null ? givenDataSource : newH2();
    Mailbox box = new Mailbox(this::queue);
    JdbcMailStore.Builder store = JdbcMailStore.builder(ds).createSchema(createSchema);
    if (tablePrefix != null) {
      store.tablePrefix(tablePrefix);
    }
    MailQueue.Builder q =
        MailQueue.builder()
            .store(store.build())
            .transport(box.transport())
            .listener(box.listener(listeners))
            .workers(DEFAULT_WORKERS)
            .pollInterval(DEFAULT_POLL_INTERVAL)
            .shutdownTimeout(Duration.ofSeconds(10))
            .retryPolicy(retryPolicy)
            .workerId("mailqueue-test-" + UUID.randomUUID().toString().substring(0, 8));
    customizer.accept(q);
    this.dataSource = ds;
    this.mailbox = box;
    MailQueue built = q.build();
    this.queue = built;
    built.start();
  }

  /**
   * Closes the queue and drops the H2 database the extension made.
   *
   * @param context the test's context
   */
  @Override
  public void afterEach(ExtensionContext context) throws SQLException {
    MailQueue q = queue;
    DataSource ds = dataSource;
    queue = null;
    mailbox = null;
    dataSource = null;
    if (q != null) {
      q.close();
    }
    if (ds != null && givenDataSource == null) {
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.execute("SHUTDOWN");
      }
    }
  }

  /**
   * Resolves parameters of type {@link MailQueue} and {@link Mailbox}.
   *
   * @param parameter the parameter
   * @param context the test's context
   * @return whether the parameter is a {@code MailQueue} or a {@code Mailbox}
   */
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == MailQueue.class || type == Mailbox.class;
  }

  /**
   * The current test's queue or mailbox.
   *
   * @param parameter the parameter
   * @param context the test's context
   * @return the queue or the mailbox
   * @throws ParameterResolutionException outside a test method or {@code @BeforeEach} method
   */
  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Object value = parameter.getParameter().getType() == MailQueue.class ? queue : mailbox;
    if (value == null) {
      throw new ParameterResolutionException(
          "MailQueueExtension provides a MailQueue or Mailbox only to test and @BeforeEach methods");
    }
    return value;
  }

  private static DataSource newH2() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:mailqueue-test-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    return h2;
  }

  /** Builds a {@link MailQueueExtension}; every setter says its default. Not thread-safe. */
  public static final class Builder {
    private @Nullable DataSource dataSource;
    private @Nullable String tablePrefix;
    private boolean createSchema = true;
    private RetryPolicy retryPolicy = TEST_RETRY_POLICY;
    private final List<DeliveryListener> listeners = new ArrayList<>();
    private Consumer<MailQueue.Builder> customizer = b -> {};

    private Builder() {}

    /**
     * Adds an application listener, told each event before the mailbox records it, so that it has
     * run when {@link Mailbox#awaitDelivered()} returns. None by default.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(DeliveryListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * The database of the queue, e.g. the test's PostgreSQL. Defaults to a new H2 database in
     * memory per test. The extension never drops tables of a given database: mail left in them by
     * one test is delivered (and captured) in the next, so give each test class its own {@link
     * #tablePrefix} or clean up.
     *
     * @param dataSource the database
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The prefix of the queue's tables. Defaults to {@code JdbcMailStore}'s ({@code mq_}).
     *
     * @param prefix the prefix, as {@link JdbcMailStore.Builder#tablePrefix} takes it
     * @return this builder
     */
    public Builder tablePrefix(String prefix) {
      this.tablePrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * Whether the queue creates its tables when they are missing. Defaults to true; false when the
     * application's migrations create them.
     *
     * @param createSchema whether to create missing tables
     * @return this builder
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * The queue's retry policy, e.g. one with few attempts to test the {@code expired} event.
     * Defaults to {@link #TEST_RETRY_POLICY}.
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Adjusts the queue's builder after the extension's settings, e.g. {@code workers(1)}. It must
     * not replace the listener (the mailbox would hear nothing): add listeners with {@link
     * #listener}. Defaults to nothing.
     *
     * @param customizer called once per test with the builder
     * @return this builder
     */
    public Builder customize(Consumer<MailQueue.Builder> customizer) {
      this.customizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    /** {@return the extension; register it with {@code @RegisterExtension}} */
    public MailQueueExtension build() {
      return new MailQueueExtension(this);
    }
  }
}
