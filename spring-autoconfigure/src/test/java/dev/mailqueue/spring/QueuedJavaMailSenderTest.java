package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.springframework.mail.MailPreparationException;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.MimeMessageHelper;

class QueuedJavaMailSenderTest {

  @Test
  void aMimeMessagesEnvelopeComesFromItsHeaders() throws Exception {
    MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
    MimeMessageHelper helper = new MimeMessageHelper(message, "UTF-8");
    helper.setFrom("Shop <shop@example.com>");
    helper.setTo("Bob <bob@example.org>");
    helper.setCc("carol@example.org");
    helper.setBcc("audit@example.org");
    helper.setSubject("Hi");
    helper.setText("t");
    Mail mail = QueuedJavaMailSender.toMail(message);
    assertThat(mail.envelopeFrom()).isEqualTo(MailAddress.of("shop@example.com", "Shop"));
    assertThat(mail.recipients())
        .extracting(MailAddress::address)
        .containsExactly("bob@example.org", "carol@example.org", "audit@example.org");
    assertThat(mail.mimeMessage()).isSameAs(message);

    message.setSender(new jakarta.mail.internet.InternetAddress("bounces@example.com"));
    assertThat(QueuedJavaMailSender.toMail(message).envelopeFrom().address())
        .isEqualTo("bounces@example.com");
  }

  @Test
  void mailFromIsTheFromOfAMimeMessageWithoutOne() throws Exception {
    MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
    MimeMessageHelper helper = new MimeMessageHelper(message, "UTF-8");
    helper.setTo("bob@example.org");
    helper.setSubject("Hi");
    helper.setText("t");
    Mail mail =
        QueuedJavaMailSender.toMail(message, new InternetAddress("Shop <noreply@shop.example>"));
    assertThat(mail.envelopeFrom().address()).isEqualTo("noreply@shop.example");
    assertThat(message.getFrom())
        .extracting(Object::toString)
        .containsExactly("Shop <noreply@shop.example>");
    assertThatThrownBy(() -> new QueuedJavaMailSender(null, new Properties()))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void aSimpleMessageBecomesAPlainTextMail() {
    SimpleMailMessage simple = new SimpleMailMessage();
    simple.setFrom("shop@example.com");
    simple.setReplyTo("help@example.com");
    simple.setTo("bob@example.org");
    simple.setBcc("audit@example.org");
    simple.setSubject("Hi");
    simple.setText("Hello");
    Mail mail = QueuedJavaMailSender.toMail(simple);
    assertThat(mail.from().address()).isEqualTo("shop@example.com");
    assertThat(mail.replyTo()).extracting(MailAddress::address).containsExactly("help@example.com");
    assertThat(mail.bcc()).extracting(MailAddress::address).containsExactly("audit@example.org");
    assertThat(mail.subject()).isEqualTo("Hi");
    assertThat(mail.text()).isEqualTo("Hello");
  }

  @Test
  void aMimeMessageWithANulInAHeaderIsRefusedBeforeItIsQueued() throws Exception {
    MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
    MimeMessageHelper helper = new MimeMessageHelper(message, "UTF-8");
    helper.setFrom("shop@example.com");
    helper.setTo("bob@example.org");
    helper.setText("t");
    message.setHeader("X-Campaign", "spring\u0000sale");
    assertThatThrownBy(() -> QueuedJavaMailSender.toMail(message))
        .isInstanceOf(MailPreparationException.class)
        .hasMessageContaining("header[X-Campaign]")
        .hasMessageContaining("control character");
  }

  @Test
  void invalidMessagesAreSpringMailExceptions() {
    SimpleMailMessage noFrom = new SimpleMailMessage();
    noFrom.setTo("bob@example.org");
    noFrom.setText("t");
    assertThatThrownBy(() -> QueuedJavaMailSender.toMail(noFrom))
        .isInstanceOf(MailPreparationException.class)
        .hasMessageContaining("from");

    MimeMessage noSender = new MimeMessage(Session.getInstance(new Properties()));
    assertThatThrownBy(() -> QueuedJavaMailSender.toMail(noSender))
        .isInstanceOf(MailPreparationException.class)
        .hasMessageContaining("neither a Sender nor a From");
  }
}
