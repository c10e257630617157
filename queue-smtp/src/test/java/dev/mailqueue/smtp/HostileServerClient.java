package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.Mails.mail;

import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;

/**
 * The client side of {@link HostileServerMemoryTest}, run in a JVM of its own with a small heap:
 * delivers one message through the relay at 127.0.0.1 on the port given as the only argument and
 * prints {@code RESULT <status> <code> <enhanced status> <text>} for the recipient.
 */
public final class HostileServerClient {
  private HostileServerClient() {}

  public static void main(String[] args) {
    try (SmtpTransport transport =
        SmtpTransport.relay("127.0.0.1", Integer.parseInt(args[0]))
            .security(Security.NONE)
            .ehloName("client.test")
            .readTimeout(Duration.ofSeconds(30))
            .attemptDeadline(Duration.ofMinutes(2))
            .build()) {
      DeliveryResult r = transport.deliver(mail("a@example.com"));
      RecipientOutcome o = r.recipients().get(0);
      System.out.println(
          "RESULT "
              + o.status()
              + " "
              + o.reply().code()
              + " "
              + o.reply().enhancedStatus()
              + " "
              + o.reply().text());
    }
  }
}
