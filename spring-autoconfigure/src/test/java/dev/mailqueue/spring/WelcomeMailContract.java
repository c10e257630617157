package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.MimeMessageHelper;
import org.springframework.transaction.annotation.Transactional;

/**
 * A real Spring Boot application on a real database, delivering to an in-process SMTP server
 * (GreenMail on 127.0.0.1): a {@code @Transactional} service inserts a user row and enqueues a
 * welcome mail. One subclass per database; each test gets a fresh application context and fresh
 * tables.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WelcomeMailContract {
  private GreenMail greenMail;
  private ConfigurableApplicationContext context;
  private String prefix;

  /** Properties selecting the database, given this test's table prefix. */
  abstract Map<String, Object> databaseProperties(String prefix);

  /** A new table prefix for one test. */
  abstract String newPrefix();

  /** Drops what one test created; the context is closed already. */
  abstract void dropTables(String prefix);

  @BeforeAll
  void startSmtpServer() {
    greenMail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
  }

  @AfterAll
  void stopSmtpServer() {
    greenMail.stop();
  }

  @BeforeEach
  void startApplication() throws Exception {
    prefix = newPrefix();
    Map<String, Object> properties = new HashMap<>(databaseProperties(prefix));
    properties.put("mailqueue.jdbc.table-prefix", prefix);
    properties.put("mailqueue.smtp.host", "127.0.0.1");
    properties.put("mailqueue.smtp.port", greenMail.getSmtp().getPort());
    properties.put("mailqueue.smtp.security", "none");
    properties.put("mailqueue.smtp.ehlo-name", "app.test");
    properties.put("mailqueue.workers", 2);
    properties.put("mailqueue.shutdown-timeout", "5s");
    // workers only look on their own once an hour: prompt delivery must come from the after-commit
    // wake-up
    properties.put("mailqueue.poll-interval", "1h");
    properties.put("mailqueue.replace-java-mail-sender", true);
    properties.put("test.user-table", prefix + "app_user");
    context =
        new SpringApplicationBuilder(WelcomeApplication.class)
            .web(WebApplicationType.NONE)
            .properties(properties)
            .run();
    jdbc().execute("CREATE TABLE " + prefix + "app_user (email VARCHAR(254) PRIMARY KEY)");
    greenMail.purgeEmailFromAllMailboxes();
  }

  @AfterEach
  void stopApplication() {
    if (context != null) {
      jdbc().execute("DROP TABLE " + prefix + "app_user");
      context.close();
      dropTables(prefix);
    }
  }

  @Test
  void rollbackSendsNothing() {
    assertThatThrownBy(() -> registration().register("rolled-back@example.org", true))
        .hasMessageContaining("registration failed");
    assertThat(count("app_user")).isZero();
    assertThat(count("message")).isZero();
    assertThat(greenMail.getReceivedMessages()).isEmpty();

    // a later commit is delivered alone: the rolled-back mail never existed
    registration().register("committed@example.org", false);
    await().atMost(Duration.ofSeconds(10)).until(() -> greenMail.getReceivedMessages().length >= 1);
    assertThat(recipients()).containsExactly("committed@example.org");
  }

  @Test
  void commitDeliversAtOnceDespiteAnHourlyPoll() throws Exception {
    warmUp();
    registration().register("alice@example.org", false);
    await().atMost(Duration.ofSeconds(1)).until(() -> greenMail.getReceivedMessages().length == 2);

    MimeMessage welcome = greenMail.getReceivedMessages()[1];
    assertThat(welcome.getSubject()).isEqualTo("Welcome");
    assertThat(welcome.getRecipients(Message.RecipientType.TO)[0].toString())
        .isEqualTo("alice@example.org");
    assertThat(count("app_user")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> listener().delivered.size() == 2);
    MessageId id = listener().delivered.get(1).messageId();
    assertThat(context.getBean(MailQueue.class).find(id).orElseThrow().state())
        .isEqualTo(MessageState.DELIVERED);
  }

  @Test
  void javaMailSenderQueuesInTheTransaction() throws MessagingException {
    assertThatThrownBy(() -> registration().notifyWithJavaMailSender("never@example.org", true))
        .hasMessageContaining("registration failed");
    assertThat(count("message")).isZero();

    registration().notifyWithJavaMailSender("carol@example.org", false);
    await().atMost(Duration.ofSeconds(10)).until(() -> greenMail.getReceivedMessages().length == 3);
    assertThat(Arrays.stream(greenMail.getReceivedMessages()).map(WelcomeMailContract::subject))
        .containsExactlyInAnyOrder("Simple", "Mime", "Mime");
    // the Bcc recipient got the MIME message through the envelope; no header names it
    List<MimeMessage> audit =
        greenMail
            .findReceivedMessages(
                user -> user.getEmail().equalsIgnoreCase("audit@example.org"), m -> true)
            .toList();
    assertThat(audit).hasSize(1);
    assertThat(audit.get(0).getSubject()).isEqualTo("Mime");
    assertThat(audit.get(0).getHeader("Bcc")).isNull();
    assertThat(recipients()).doesNotContain("audit@example.org");
  }

  @Test
  void outsideATransactionTheMailIsCommittedOnItsOwn() {
    MessageId id =
        context
            .getBean(TransactionalMailQueue.class)
            .enqueue(
                Mail.builder()
                    .from("shop@example.com")
                    .to("dave@example.org")
                    .subject("No transaction")
                    .text("t")
                    .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> greenMail.getReceivedMessages().length == 1);
    assertThat(context.getBean(MailQueue.class).find(id)).isPresent();
  }

  /**
   * The first delivery of a JVM loads the SMTP stack; keep that out of the one-second measurement.
   */
  private void warmUp() {
    context
        .getBean(TransactionalMailQueue.class)
        .enqueue(
            Mail.builder()
                .from("shop@example.com")
                .to("warm-up@example.org")
                .text("warm-up")
                .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> greenMail.getReceivedMessages().length == 1);
  }

  private Registration registration() {
    return context.getBean(Registration.class);
  }

  private RecordingListener listener() {
    return context.getBean(RecordingListener.class);
  }

  private JdbcTemplate jdbc() {
    return context.getBean(JdbcTemplate.class);
  }

  private int count(String table) {
    return jdbc().queryForObject("SELECT COUNT(*) FROM " + prefix + table, Integer.class);
  }

  private List<String> recipients() {
    return Arrays.stream(greenMail.getReceivedMessages())
        .map(
            m -> {
              try {
                return m.getAllRecipients() == null
                    ? "?"
                    : String.join(
                        ",", Arrays.stream(m.getAllRecipients()).map(Object::toString).toList());
              } catch (MessagingException e) {
                throw new IllegalStateException(e);
              }
            })
        .flatMap(s -> Arrays.stream(s.split(",")))
        .toList();
  }

  private static String subject(MimeMessage m) {
    try {
      return m.getSubject();
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class WelcomeApplication {
    @Bean
    Registration registration(
        JdbcTemplate jdbc, TransactionalMailQueue mail, JavaMailSender sender, Environment env) {
      return new Registration(jdbc, mail, sender, env.getRequiredProperty("test.user-table"));
    }

    @Bean
    RecordingListener recordingListener() {
      return new RecordingListener();
    }
  }

  /** The application's service: a user row and a mail, in one transaction. */
  static class Registration {
    private final JdbcTemplate jdbc;
    private final TransactionalMailQueue mail;
    private final JavaMailSender sender;
    private final String userTable;

    Registration(
        JdbcTemplate jdbc, TransactionalMailQueue mail, JavaMailSender sender, String userTable) {
      this.jdbc = jdbc;
      this.mail = mail;
      this.sender = sender;
      this.userTable = userTable;
    }

    @Transactional
    public void register(String email, boolean fail) {
      jdbc.update("INSERT INTO " + userTable + " (email) VALUES (?)", email);
      mail.enqueue(
          Mail.builder()
              .from("Shop <shop@example.com>")
              .to(email)
              .subject("Welcome")
              .text("Hello and welcome!")
              .tag("welcome")
              .build());
      if (fail) {
        throw new IllegalStateException("registration failed after the mail was enqueued");
      }
    }

    @Transactional
    public void notifyWithJavaMailSender(String email, boolean fail) throws MessagingException {
      jdbc.update("INSERT INTO " + userTable + " (email) VALUES (?)", email);
      SimpleMailMessage simple = new SimpleMailMessage();
      simple.setFrom("shop@example.com");
      simple.setTo(email);
      simple.setSubject("Simple");
      simple.setText("Sent with SimpleMailMessage");
      sender.send(simple);

      MimeMessage mime = sender.createMimeMessage();
      MimeMessageHelper helper = new MimeMessageHelper(mime, "UTF-8");
      helper.setFrom("Shop <shop@example.com>");
      helper.setTo(email);
      helper.setBcc("audit@example.org");
      helper.setSubject("Mime");
      helper.setText("<p>Sent with a MimeMessage</p>", true);
      sender.send(mime);
      if (fail) {
        throw new IllegalStateException("registration failed after the mail was enqueued");
      }
    }
  }

  /** A DeliveryListener bean of the application: the auto-configuration hands it to the queue. */
  static class RecordingListener implements DeliveryListener {
    final List<DeliveryEvent> delivered = new CopyOnWriteArrayList<>();

    @Override
    public void delivered(DeliveryEvent event) {
      delivered.add(event);
    }
  }
}
