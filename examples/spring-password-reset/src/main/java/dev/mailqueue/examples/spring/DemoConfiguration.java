package dev.mailqueue.examples.spring;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailqueue.MailQueue;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.core.env.Environment;

/**
 * The {@code demo} profile, active when no other profile is: an in-process SMTP server (GreenMail
 * on a free port of 127.0.0.1) receives everything the queue sends, each received mail is logged,
 * and one reset for the seeded user is requested at startup.
 *
 * <p>The queue is pointed at the sink by a {@link SmtpTransport} bean, which the starter's own
 * transport (built from {@code mailqueue.smtp.*} and {@code spring.mail.*}) backs off for. The
 * whole profile backs off as soon as a relay is configured, so setting {@code spring.mail.host} can
 * never leave mail silently going to the sink.
 */
@Configuration(proxyBeanMethods = false)
@Profile("demo")
@Conditional(DemoConfiguration.NoRelayConfigured.class)
class DemoConfiguration {
  /** The user that {@code demo-users.sql} seeds. */
  static final String DEMO_USER = "alice@example.org";

  private static final Logger log = LoggerFactory.getLogger(DemoConfiguration.class);
  private static final Duration FIRST_DELIVERY_TIMEOUT = Duration.ofSeconds(30);

  @Bean(initMethod = "start", destroyMethod = "stop")
  GreenMail demoSmtpSink() {
    // port 0: the operating system picks a free port; getSmtp().getPort() tells which once started
    return new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
  }

  @Bean
  SmtpTransport demoSmtpTransport(GreenMail demoSmtpSink) {
    // plain text on the loopback interface: the sink offers no TLS, and no credentials are sent
    return SmtpTransport.relay("127.0.0.1", demoSmtpSink.getSmtp().getPort())
        .security(Security.NONE)
        .ehloName("localhost")
        .build();
  }

  @Bean
  DemoInbox demoInbox(GreenMail demoSmtpSink, ObjectProvider<MailQueue> queue) {
    return new DemoInbox(demoSmtpSink, queue);
  }

  @Bean
  ApplicationRunner demoReset(PasswordResetService resets, DemoInbox inbox, Environment env) {
    return args -> {
      log.info(
          "demo: SMTP sink on 127.0.0.1:{}; requesting a password reset for {}",
          inbox.port(),
          DEMO_USER);
      resets.requestReset(DEMO_USER);
      if (!inbox.awaitFirstDelivery(FIRST_DELIVERY_TIMEOUT)) {
        log.warn("demo: no mail delivered within {} s", FIRST_DELIVERY_TIMEOUT.toSeconds());
      }
      String port = env.getProperty("local.server.port", "8080");
      log.info(
          "demo: try  curl -i -X POST 'http://localhost:{}/password-reset?email={}'  and watch this log; "
              + "queue health at http://localhost:{}/actuator/health/mailqueue",
          port,
          DEMO_USER,
          port);
    };
  }

  /** Matches when neither {@code mailqueue.smtp.host} nor {@code spring.mail.host} is set. */
  static final class NoRelayConfigured extends NoneNestedConditions {
    NoRelayConfigured() {
      super(ConfigurationPhase.PARSE_CONFIGURATION);
    }

    @ConditionalOnProperty("mailqueue.smtp.host")
    static final class QueueRelay {}

    @ConditionalOnProperty("spring.mail.host")
    static final class SpringMailRelay {}
  }
}
