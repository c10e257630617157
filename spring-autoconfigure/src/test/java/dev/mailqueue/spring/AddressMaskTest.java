package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.AttemptView;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageDetails;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressMaskTest {
  private static final Instant T = Instant.parse("2026-01-02T03:04:05Z");
  private static final MailAddress SENDER = MailAddress.of("noreply@shop.example");

  @Test
  void addressesInReplyTextsAreMaskedToTheirDomainWhateverSurroundsThem() {
    assertThat(AddressMask.maskText("<bob@example.org>: Recipient address rejected: User unknown"))
        .isEqualTo("<***@example.org>: Recipient address rejected: User unknown");
    assertThat(
            AddressMask.maskText(
                "mailbox bob.smith+tag@Example.ORG is full; try carol@example.net."))
        .isEqualTo("mailbox ***@Example.ORG is full; try ***@example.net.");
    assertThat(AddressMask.maskText("to:\"bob smith\"@example.org (unknown)"))
        .isEqualTo("to:***@example.org (unknown)");
    assertThat(AddressMask.maskText("local: connect failed: ConnectException: Connection refused"))
        .isEqualTo("local: connect failed: ConnectException: Connection refused");
    assertThat(AddressMask.maskText("bob@odd$1\\domain"))
        .as("the domain is kept literally")
        .isEqualTo("***@odd$1\\domain");
  }

  @Test
  void detailsKeepEverythingButTheRecipientsAndTheAddressesInReplies() {
    SmtpReply unknown = new SmtpReply(550, "5.1.1", "<bob@example.org>: user unknown");
    MessageId id = MessageId.generate();
    MessageView view =
        new MessageView(
            id,
            "<x@shop.example>",
            MessageState.BOUNCED,
            "welcome",
            Priority.HIGH,
            1,
            0,
            SENDER,
            T,
            null,
            T.plus(Duration.ofDays(5)),
            List.of(
                new MessageView.Recipient(
                    MailAddress.of("bob@example.org", "Bob Example"),
                    RecipientStatus.BOUNCED,
                    unknown)));
    MessageDetails details =
        new MessageDetails(
            view,
            1234,
            List.of(
                new AttemptView(
                    T,
                    "mx.example.org",
                    MessageState.BOUNCED,
                    unknown,
                    Duration.ofMillis(80),
                    true,
                    false)));

    MessageDetails masked = AddressMask.mask(details);

    SmtpReply maskedReply = new SmtpReply(550, "5.1.1", "<***@example.org>: user unknown");
    assertThat(masked.message().recipients())
        .containsExactly(
            new MessageView.Recipient(
                MailAddress.of("***@example.org"), RecipientStatus.BOUNCED, maskedReply));
    assertThat(masked.attempts()).extracting(AttemptView::reply).containsExactly(maskedReply);
    assertThat(masked.message())
        .usingRecursiveComparison()
        .ignoringFields("recipients")
        .isEqualTo(view);
    assertThat(masked.attempts().get(0))
        .usingRecursiveComparison()
        .ignoringFields("reply")
        .isEqualTo(details.attempts().get(0));
    assertThat(masked.sizeBytes()).isEqualTo(1234);
    assertThat(masked.toString()).doesNotContain("bob").doesNotContain("Bob Example");
  }

  @Test
  void aListingLineKeepsEverythingButTheAddressesInItsLastReply() {
    MessageSummary line =
        new MessageSummary(
            MessageId.generate(),
            MessageState.DEFERRED,
            null,
            Priority.NORMAL,
            SENDER,
            2,
            1,
            900,
            3,
            T,
            T.plusSeconds(300),
            new SmtpReply(452, "4.2.2", "bob@example.org: mailbox full"));

    MessageSummary masked = AddressMask.mask(line);

    assertThat(masked.lastReply())
        .isEqualTo(new SmtpReply(452, "4.2.2", "***@example.org: mailbox full"));
    assertThat(masked).usingRecursiveComparison().ignoringFields("lastReply").isEqualTo(line);
    assertThat(
            AddressMask.mask(
                    new MessageSummary(
                        line.id(),
                        MessageState.QUEUED,
                        null,
                        Priority.NORMAL,
                        SENDER,
                        1,
                        1,
                        900,
                        0,
                        T,
                        T,
                        null))
                .lastReply())
        .as("never tried")
        .isNull();
  }
}
