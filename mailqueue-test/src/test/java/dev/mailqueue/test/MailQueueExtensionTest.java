package dev.mailqueue.test;

import static dev.mailqueue.RecipientStatus.BOUNCED;
import static dev.mailqueue.RecipientStatus.DEFERRED;
import static dev.mailqueue.RecipientStatus.DELIVERED;
import static dev.mailqueue.test.MailQueueAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.Priority;
import dev.mailqueue.RecipientStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MailQueueExtensionTest {
  /** What the application's own listener heard; it must have run when awaitDelivered returns. */
  private final List<String> heard = new CopyOnWriteArrayList<>();

  @RegisterExtension
  final MailQueueExtension mail =
      MailQueueExtension.builder()
          .listener(
              new DeliveryListener() {
                @Override
                public void delivered(DeliveryEvent e) {
                  e.recipients().forEach(r -> heard.add("delivered " + r.recipient().address()));
                }

                @Override
                public void deferred(DeliveryEvent e) {
                  e.recipients().forEach(r -> heard.add("deferred " + r.recipient().address()));
                }

                @Override
                public void bounced(DeliveryEvent e) {
                  e.recipients().forEach(r -> heard.add("bounced " + r.recipient().address()));
                }
              })
          .build();

  @Test
  void resetMailIsCapturedDecodedWithItsLinkTagAndPriority(Mailbox mailbox) throws Exception {
    PasswordResets resets = new PasswordResets(mail.dataSource(), mail.queue());
    resets.createTables();

    resets.requestReset("bob@example.org", true);
    mailbox.awaitDelivered();

    assertThat(mailbox)
        .hasSent(1)
        .sentTo("BOB@example.org")
        .isFrom("noreply@shop.example")
        .isTo("bob@example.org")
        .hasSubject("Passwort zurücksetzen")
        .textContains("Grüße!", "within 30 minutes.\n")
        .htmlContains("<a href=")
        .hasTag("password-reset")
        .hasPriority(Priority.HIGH)
        .hasAttachments(0)
        .hasLinkContaining("/reset?token=");
    CapturedMail sent = mailbox.sentTo("bob@example.org").get(0);
    // the same link from the text and, with &amp; decoded, from the HTML: one link
    assertThat(sent.links()).hasSize(1);
    assertThat(sent.link("/reset?token="))
        .startsWith("https://shop.example/reset?token=")
        .endsWith("&lang=de");
    assertThat(sent.header("Subject")).isEqualTo("Passwort zurücksetzen");
    assertThat(heard).containsExactly("delivered bob@example.org");
  }

  @Test
  void aRolledBackTransactionSendsNothing(Mailbox mailbox) throws Exception {
    PasswordResets resets = new PasswordResets(mail.dataSource(), mail.queue());
    resets.createTables();

    resets.requestReset("mallory@example.org", false);
    resets.requestReset("bob@example.org", true);
    mailbox.awaitDelivered();

    assertThat(mailbox).hasSent(1).sentNothingTo("mallory@example.org");
    assertThat(mailbox.attempts()).hasSize(1);
  }

  @Test
  void nothingEnqueuedMeansNothingSent(Mailbox mailbox) {
    mailbox.awaitDelivered();
    assertThat(mailbox).hasSentNothing().hasSent(0);
  }

  @Test
  void scriptedOutcomesComeOutOfTheEngineAsListenerEvents(MailQueue queue, Mailbox mailbox) {
    mailbox.script("bob@example.org").defer(2);
    mailbox.script("eve@example.org").bounce();

    MessageId id =
        queue.enqueue(
            Mail.builder()
                .from("shop@example.com")
                .to("bob@example.org", "eve@example.org", "ann@example.org")
                .subject("Hello")
                .text("hi")
                .build());
    mailbox.awaitDelivered();

    assertThat(mailbox)
        .hasHistory("ann@example.org", DELIVERED)
        .hasHistory("eve@example.org", BOUNCED)
        .hasHistory("bob@example.org", DEFERRED, DEFERRED, DELIVERED);
    // three attempts of one message: the first delivered ann, bounced eve, deferred bob
    assertThat(mailbox.attempts()).extracting(CapturedMail::attempt).containsExactly(1, 2, 3);
    assertThat(mailbox.attempts())
        .extracting(CapturedMail::messageIdHeader)
        .containsOnly(mailbox.attempts().get(0).messageIdHeader());
    assertThat(mailbox.sent()).hasSize(2);
    assertThat(mailbox.sentTo("bob@example.org").get(0).attempt()).isEqualTo(3);
    assertThat(queue.find(id).orElseThrow().state()).isEqualTo(MessageState.BOUNCED);
    assertThat(heard)
        .containsExactlyInAnyOrder(
            "delivered ann@example.org",
            "bounced eve@example.org",
            "deferred bob@example.org",
            "deferred bob@example.org",
            "delivered bob@example.org");
    assertThat(mailbox.events(RecipientStatus.BOUNCED).get(0).recipients().get(0).reply().code())
        .isEqualTo(550);
  }

  @Test
  void anUncertainAttemptIsRetriedWithTheSameMessageId(MailQueue queue, Mailbox mailbox) {
    mailbox.script("bob@example.org").uncertain();

    queue.enqueue(
        Mail.builder()
            .from("shop@example.com")
            .to("bob@example.org")
            .subject("s")
            .text("t")
            .build());
    mailbox.awaitDelivered();

    List<DeliveryEvent> deferred = mailbox.events(DEFERRED);
    assertThat(deferred).hasSize(1);
    assertThat(deferred.get(0).uncertain()).isTrue();
    assertThat(mailbox).hasHistory("bob@example.org", DEFERRED, DELIVERED);
    assertThat(mailbox.attempts().get(0).messageIdHeader())
        .isEqualTo(mailbox.attempts().get(1).messageIdHeader());
  }

  @Test
  void attachmentsHeadersCcAndBccAreDecoded(MailQueue queue, Mailbox mailbox) {
    byte[] pdf = new byte[300];
    for (int i = 0; i < pdf.length; i++) {
      pdf[i] = (byte) i;
    }
    queue.enqueue(
        Mail.builder()
            .from("shop@example.com")
            .to("bob@example.org")
            .cc("carol@example.org")
            .bcc("audit@example.com")
            .subject("Your invoice")
            .text("attached")
            .attachment("Rechnung März.pdf", "application/pdf", pdf)
            .attachment("notes.txt", "text/plain", "ä line\n".getBytes(StandardCharsets.UTF_8))
            .header("X-Campaign", "spring")
            .build());
    mailbox.awaitDelivered();

    assertThat(mailbox)
        .hasSent(1)
        .sentTo("audit@example.com")
        .isTo("bob@example.org")
        .isCc("carol@example.org")
        .isBcc("audit@example.com")
        .hasAttachments(2)
        .hasAttachment("Rechnung März.pdf", "application/pdf", pdf)
        .hasAttachment("notes.txt")
        .hasHeader("X-Campaign", "spring")
        .hasNoHtml()
        .hasPriority(Priority.NORMAL);
    assertThat(mailbox.sent().get(0).attachments().get(1).contentAsText()).isEqualTo("ä line\n");
  }

  @Test
  void awaitDeliveredFailsWhileMailIsStillDue(MailQueue queue, Mailbox mailbox) {
    queue.enqueue(
        Mail.builder()
            .from("shop@example.com")
            .to("bob@example.org")
            .subject("later")
            .text("t")
            .notBefore(Instant.now().plus(Duration.ofHours(1)))
            .build());

    assertThatThrownBy(() -> mailbox.awaitDelivered(Duration.ofMillis(200)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("1 messages queued, deferred or sending");
    assertThat(mailbox).hasSentNothing();
  }

  @Test
  void failingAssertionsSayWhatWasSent(MailQueue queue, Mailbox mailbox) {
    queue.enqueue(
        Mail.builder()
            .from("shop@example.com")
            .to("bob@example.org")
            .subject("Hi")
            .text("t")
            .build());
    mailbox.awaitDelivered();

    assertThatThrownBy(() -> assertThat(mailbox).sentTo("eve@example.org"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("found 0")
        .hasMessageContaining("bob@example.org");
    assertThatThrownBy(() -> assertThat(mailbox).sentTo("bob@example.org").hasSubject("Hello"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Expected subject \"Hello\" but was \"Hi\"");
    assertThatThrownBy(() -> assertThat(mailbox).hasSentNothing())
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> mailbox.sent().get(0).link("reset"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("no link");
  }
}
