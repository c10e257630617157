package dev.mailqueue.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mailqueue.MailQueue;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.DestinationLimits;
import dev.mailqueue.smtp.DestinationLimits.Limit;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.spi.ClusterAware;
import dev.mailqueue.spi.DeliveryResult;
import dev.mailqueue.spi.MailTransport;
import dev.mailqueue.spi.OutboundMail;
import java.time.Duration;

/**
 * A separate JVM that dispatches from a shared database through a relay shaped to a rate per
 * second, printing {@code live nodes: n} whenever the queue tells its transport the node count; it
 * prints {@code sent <nanos> <nanos>} around every delivered message; it stops when its standard
 * input closes. Used by {@link ShapedMultiProcessTest}. Arguments: JDBC URL, table prefix, SMTP
 * port, worker id, messages per second, heartbeat interval ms.
 */
public final class ShapedDispatcherProcess {
  private ShapedDispatcherProcess() {}

  /** The shaped transport, reporting each node count it is told on standard output. */
  private static final class Reporting implements MailTransport, ClusterAware {
    private final SmtpTransport smtp;

    Reporting(SmtpTransport smtp) {
      this.smtp = smtp;
    }

    /**
     * Prints {@code sent <before> <after>} (System.nanoTime, one clock for every process on the
     * machine) for each delivered message: the rate limiter granted its permit between the two.
     */
    @Override
    public DeliveryResult deliver(OutboundMail mail) {
      long before = System.nanoTime();
      DeliveryResult result = smtp.deliver(mail);
      long after = System.nanoTime();
      if (result.recipients().stream().anyMatch(r -> r.status() == RecipientStatus.DELIVERED)) {
        System.out.println("sent " + before + " " + after);
        System.out.flush();
      }
      return result;
    }

    @Override
    public void liveNodes(int nodes) {
      smtp.liveNodes(nodes);
      System.out.println("live nodes: " + nodes);
      System.out.flush();
    }

    @Override
    public void close() {
      smtp.close();
    }
  }

  public static void main(String[] args) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(args[0]);
    config.setMaximumPoolSize(6);
    try (HikariDataSource ds = new HikariDataSource(config)) {
      SmtpTransport smtp =
          SmtpTransport.relay("127.0.0.1", Integer.parseInt(args[2]))
              .security(Security.NONE)
              .shaping(
                  DestinationLimits.custom()
                      .defaults(
                          Limit.ofDefaults()
                              .withRate(Integer.parseInt(args[4]), Duration.ofSeconds(1)))
                      .build())
              .build();
      MailQueue queue =
          MailQueue.builder()
              .store(JdbcMailStore.builder(ds).tablePrefix(args[1]).build())
              .transport(new Reporting(smtp))
              .workerId(args[3])
              .workers(4)
              .pollInterval(Duration.ofMillis(100))
              .heartbeatInterval(Duration.ofMillis(Long.parseLong(args[5])))
              .build();
      queue.start();
      System.out.println("started " + args[3]);
      while (System.in.read() != -1) {
        // runs until the parent closes our standard input
      }
      queue.close();
    }
  }
}
