package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.smtp.SmtpTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.mail.autoconfigure.MailProperties;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/**
 * spring.mail.* as Boot reads it (MailProperties, SSL bundles, mail.from) and the builder
 * customizers.
 */
class SpringMailAndCustomizersTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class,
                  SslAutoConfiguration.class,
                  MailQueueAutoConfiguration.class))
          .withPropertyValues(
              "spring.mail.host=relay.example.com",
              "spring.mail.port=2525",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.poll-interval=1h",
              "mailqueue.shutdown-timeout=1s");

  @Test
  void springMailSslEnabledMeansImplicitTls() {
    runner
        .withPropertyValues("spring.mail.ssl.enabled=true")
        .run(
            context ->
                assertThat(context)
                    .getBean(SmtpTransport.class)
                    .asString()
                    .contains("relay.example.com", "2525", "IMPLICIT_TLS"));
  }

  @Test
  void mailqueueDkimPropertiesTurnSigningOn() {
    runner
        .withPropertyValues(
            "mailqueue.dkim.domain=example.com",
            "mailqueue.dkim.selector=s1",
            "mailqueue.dkim.private-key=classpath:dkim/ed25519.pem",
            "mailqueue.dkim.check-dns-at-start=false")
        .run(
            context ->
                assertThat(context)
                    .getBean(SmtpTransport.class)
                    .asString()
                    .contains("dkim=[DkimKey[s1._domainkey.example.com, ed25519-sha256]]"));
    runner.run(
        context ->
            assertThat(context).getBean(SmtpTransport.class).asString().doesNotContain("dkim"));
  }

  @Test
  void aDkimKeyWithoutSelectorFailsTheStartWithTheMissingProperty() {
    runner
        .withPropertyValues(
            "mailqueue.dkim.domain=example.com",
            "mailqueue.dkim.private-key=classpath:dkim/ed25519.pem")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("set mailqueue.dkim.domain and mailqueue.dkim.selector"));
  }

  @Test
  void withoutBootsMailSupportTheSameNamesAreRead() {
    runner
        .withClassLoader(new FilteredClassLoader(MailProperties.class))
        .withPropertyValues("spring.mail.ssl.enabled=true")
        .run(
            context ->
                assertThat(context)
                    .getBean(SmtpTransport.class)
                    .asString()
                    .contains("relay.example.com", "2525", "IMPLICIT_TLS"));
  }

  @Test
  void springMailSslBundleIsLookedUpInTheApplicationsBundles() {
    // Boot's own SslBundles: an unknown name fails the start, so the name was read and looked up.
    runner
        .withPropertyValues("spring.mail.ssl.bundle=missing")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(NoSuchSslBundleException.class)
                    .hasMessageContaining("missing"));
    // a bundle that exists becomes the transport's TLS socket factory
    runner
        .withUserConfiguration(RecordingBundles.class)
        .withPropertyValues("spring.mail.ssl.bundle=relay")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(RecordingBundles.class).requested)
                  .containsExactly("relay");
            });
    // mailqueue.smtp.ssl-bundle wins over spring.mail.ssl.bundle
    runner
        .withUserConfiguration(RecordingBundles.class)
        .withPropertyValues("spring.mail.ssl.bundle=relay", "mailqueue.smtp.ssl-bundle=queue")
        .run(
            context ->
                assertThat(context.getBean(RecordingBundles.class).requested)
                    .containsExactly("queue"));
  }

  @Test
  void springMailFromIsTheDefaultFromOfTheQueuedJavaMailSender() {
    runner
        .withPropertyValues(
            "mailqueue.replace-java-mail-sender=true",
            "spring.mail.properties.mail.from=Shop <noreply@shop.example>")
        .run(
            context -> {
              SimpleMailMessage message = new SimpleMailMessage();
              message.setTo("bob@example.org");
              message.setSubject("Hi");
              message.setText("Hello");
              context.getBean(JavaMailSender.class).send(message);
              JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
              assertThat(jdbc.queryForObject("SELECT envelope_from FROM mq_message", String.class))
                  .isEqualTo("noreply@shop.example");
            });
  }

  @Test
  void customizersAdjustEachBuilderInOrder() {
    runner
        .withUserConfiguration(Customizers.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(Customizers.class).calls)
                  .containsExactly("queue first", "queue second");
              assertThat(context.getBean(SmtpTransport.class).toString())
                  .contains("second.example.com")
                  .doesNotContain("first.example.com");
              assertThat(context.getBean(JdbcMailStore.class).toString())
                  .contains("queryTimeoutSeconds=7");
              MessageId id =
                  context
                      .getBean(MailQueue.class)
                      .enqueue(
                          Mail.builder()
                              .from("shop@example.com")
                              .to("bob@example.org")
                              .subject("s")
                              .text("t")
                              .build());
              assertThat(context.getBean(MailQueue.class).find(id)).isPresent();
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class RecordingBundles {
    final List<String> requested = new ArrayList<>();

    @Bean
    SslBundles sslBundles() {
      return new SslBundles() {
        @Override
        public SslBundle getBundle(String name) {
          requested.add(name);
          return SslBundle.systemDefault();
        }

        @Override
        public void addBundleUpdateHandler(String name, Consumer<SslBundle> handler) {}

        @Override
        public void addBundleRegisterHandler(BiConsumer<String, SslBundle> handler) {}

        @Override
        public List<String> getBundleNames() {
          return List.of("relay", "queue");
        }
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Customizers {
    final List<String> calls = new ArrayList<>();

    @Bean
    @Order(2)
    MailQueueCustomizer second() {
      return b -> calls.add("queue second");
    }

    @Bean
    @Order(1)
    MailQueueCustomizer first() {
      return b -> {
        calls.add("queue first");
        b.heartbeatInterval(Duration.ofSeconds(2));
      };
    }

    @Bean
    @Order(1)
    SmtpTransportCustomizer firstTransport() {
      return b -> b.ehloName("first.example.com");
    }

    @Bean
    @Order(2)
    SmtpTransportCustomizer secondTransport() {
      return b -> b.ehloName("second.example.com");
    }

    @Bean
    JdbcMailStoreCustomizer store() {
      return b -> b.queryTimeout(Duration.ofSeconds(7));
    }
  }
}
