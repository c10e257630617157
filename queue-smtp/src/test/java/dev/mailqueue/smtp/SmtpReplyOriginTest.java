package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.SmtpReply;
import dev.mailqueue.SmtpReply.Origin;
import org.junit.jupiter.api.Test;

/**
 * The typed origin of {@link SmtpReply} (in queue-api), tested where it is decided on: the text as
 * stored and printed keeps its {@code "local: "} form, and reading it back gives the origin.
 */
class SmtpReplyOriginTest {

  @Test
  void aLocalReplyKeepsItsStoredAndPrintedForm() {
    SmtpReply r = ReplyClassifier.connectFailed("Connection refused");
    assertThat(r.origin()).isEqualTo(Origin.LOCAL);
    assertThat(r.isLocal()).isTrue();
    assertThat(r.text()).isEqualTo("local: connect failed: Connection refused");
    assertThat(r).hasToString("451 4.4.1 local: connect failed: Connection refused");
  }

  @Test
  void theStoredFormReadsBackWithItsOrigin() {
    SmtpReply local = ReplyClassifier.connectionDropped("EOF");
    SmtpReply stored = new SmtpReply(local.code(), local.enhancedStatus(), local.text());
    assertThat(stored).isEqualTo(local);
    assertThat(new SmtpReply(250, "2.0.0", "ok").origin()).isEqualTo(Origin.SERVER);
  }

  @Test
  void whatAServerSendsIsTheServersWhateverItSays() {
    SmtpReply parsed = ReplyClassifier.parse(421, "421 4.3.2 local: connection dropped\r\n");
    assertThat(parsed.origin()).isEqualTo(Origin.SERVER);
    assertThat(parsed.isLocal()).isFalse();
    assertThat(ReplyClassifier.meansNotResponding(parsed))
        .as("421 closes the session, whoever says so")
        .isTrue();
    SmtpReply mimic = ReplyClassifier.parse(451, "451 4.4.2 local: connection dropped");
    assertThat(ReplyClassifier.meansNotResponding(mimic)).isFalse();
    assertThat(ReplyClassifier.meansNotResponding(ReplyClassifier.connectionDropped("EOF")))
        .isTrue();
  }

  @Test
  void aLocalReplyMadeWithTheCanonicalConstructorGetsThePrefixOnce() {
    SmtpReply r = new SmtpReply(451, "4.3.0", "oops", Origin.LOCAL);
    assertThat(r.text()).isEqualTo("local: oops");
    assertThat(new SmtpReply(451, "4.3.0", r.text(), Origin.LOCAL)).isEqualTo(r);
  }
}
