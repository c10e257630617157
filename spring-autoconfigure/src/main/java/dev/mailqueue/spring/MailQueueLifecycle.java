package dev.mailqueue.spring;

import dev.mailqueue.MailQueue;
import java.util.Objects;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the queue's workers when the application context has been refreshed and closes the queue
 * on shutdown: it stops claiming, lets in-flight deliveries finish within the queue's shutdown
 * timeout, and gives back what was claimed but not started.
 *
 * <p>Runs in phase {@link #PHASE}, below the web server's, so the workers start before requests are
 * served and stop only after the web server has finished its in-flight requests, which may still
 * enqueue. A closed queue cannot be started again: restarting a stopped context fails with a {@link
 * dev.mailqueue.MailQueueException}.
 */
public final class MailQueueLifecycle implements SmartLifecycle {
  /** Started before, and stopped after, the web server and other default-phase components. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private final MailQueue queue;
  private volatile boolean running;

  /**
   * Manages {@code queue}.
   *
   * @param queue the queue started and stopped with the application context; not null
   */
  public MailQueueLifecycle(MailQueue queue) {
    this.queue = Objects.requireNonNull(queue, "queue");
  }

  @Override
  public void start() {
    queue.start();
    running = true;
  }

  /** Closes the queue; blocks for at most the queue's shutdown timeout. */
  @Override
  public void stop() {
    running = false;
    queue.close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
