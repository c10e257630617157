package dev.mailqueue.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.MailQueue;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.time.Duration;

/**
 * A separate JVM that dispatches from a shared database until its standard input is closed: used by
 * {@link MultiProcessTest} and {@link ClockSkewTest}. Arguments: JDBC URL, table prefix, SMTP port,
 * worker id, lease ms.
 */
public final class DispatcherProcess {
  private DispatcherProcess() {}

  public static void main(String[] args) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(args[0]);
    config.setMaximumPoolSize(6);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      MailQueue queue =
          MailQueue.builder()
              .store(JdbcMailStore.builder(ds).tablePrefix(args[1]).build())
              .transport(
                  SmtpTransport.relay("127.0.0.1", Integer.parseInt(args[2]))
                      .security(Security.NONE)
                      .build())
              .workerId(args[3])
              .workers(4)
              .lease(Duration.ofMillis(Long.parseLong(args[4])))
              .pollInterval(Duration.ofMillis(100))
              .build();
      queue.start();
      System.out.println("started " + args[3] + " at JVM time " + java.time.Instant.now());
      // Runs until the parent closes our standard input (or kills us).
      while (System.in.read() != -1) {
        // ignore input
      }
      queue.close();
    }
  }
}
