package dev.mailqueue.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;

/**
 * A separate JVM for {@link H2CrashTest}: an application that opens its H2 file database with a
 * pool, starts a {@link JdbcMailStore} on it and enqueues mail, printing {@code ACK <id>} as soon
 * as each {@code enqueue} has returned, then {@code DONE}, and then waits to be killed. A store
 * that refuses to start prints {@code REFUSED <message>} and exits with status 2. Arguments: JDBC
 * URL, number of mails.
 */
public final class H2EnqueueProcess {
  private H2EnqueueProcess() {}

  public static void main(String[] args) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(args[0]);
    config.setMaximumPoolSize(4);
    HikariDataSource ds = new HikariDataSource(config);
    JdbcMailStore store = JdbcMailStore.builder(ds).createSchema(true).build();
    try {
      store.start();
    } catch (JdbcStoreException e) {
      System.out.println("REFUSED " + e.getMessage());
      System.out.flush();
      System.exit(2);
    }
    // Enqueues only: the queue is never started, so nothing is delivered.
    MailQueue queue =
        MailQueue.builder()
            .store(store)
            .transport(
                new MailTransport() {
                  @Override
                  public DeliveryResult deliver(OutboundMail mail) {
                    throw new IllegalStateException("this process never delivers");
                  }
                })
            .build();
    int count = Integer.parseInt(args[1]);
    for (int i = 0; i < count; i++) {
      MessageId id =
          queue.enqueue(
              Mail.builder()
                  .from("shop@example.com")
                  .to("r" + i + "@example.org")
                  .subject("m" + i)
                  .text("message " + i)
                  .build());
      System.out.println("ACK " + id.value());
      System.out.flush();
    }
    System.out.println("DONE");
    System.out.flush();
    while (System.in.read() != -1) {
      // wait for SIGKILL
    }
  }
}
