package dev.mailqueue.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import dev.mailqueue.spi.MailTransport;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The application as the one command starts it: no profile, so the demo's. */
class DemoProfileTest {

  @Test
  void demoDeliversTheSeededUsersResetMailToItsSinkDuringStartup() throws Exception {
    try (ConfigurableApplicationContext context = demo().run()) {
      // the runner waits for the delivery before startup completes
      MimeMessage[] received = context.getBean(GreenMail.class).getReceivedMessages();
      assertThat(received).hasSize(1);
      assertThat(received[0].getAllRecipients()[0].toString())
          .isEqualTo(DemoConfiguration.DEMO_USER);
      assertThat(context.getBean(MailTransport.class).toString())
          .contains("127.0.0.1:" + context.getBean(GreenMail.class).getSmtp().getPort());
    }
  }

  @Test
  void demoBacksOffWhenARelayIsConfigured() {
    // nothing listens on port 1, and nothing is sent: there is no demo request
    try (ConfigurableApplicationContext context =
        demo().properties("spring.mail.host=127.0.0.1", "spring.mail.port=1").run()) {
      assertThat(context.getBeansOfType(GreenMail.class)).isEmpty();
      assertThat(context.getBeanNamesForType(MailTransport.class))
          .containsExactly("mailQueueTransport");
    }
  }

  private static SpringApplicationBuilder demo() {
    return new SpringApplicationBuilder(PasswordResetApplication.class)
        .web(WebApplicationType.NONE)
        .bannerMode(Banner.Mode.OFF)
        .properties("mailqueue.shutdown-timeout=5s");
  }
}
