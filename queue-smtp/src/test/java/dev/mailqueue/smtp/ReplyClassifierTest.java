package dev.mailqueue.smtp;

import static dev.mailqueue.RecipientStatus.BOUNCED;
import static dev.mailqueue.RecipientStatus.DEFERRED;
import static dev.mailqueue.RecipientStatus.DELIVERED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.smtp.ReplyClassifier.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplyClassifierTest {

  @ParameterizedTest
  @CsvSource({
    "RCPT, 250, DELIVERED",
    "RCPT, 251, DELIVERED",
    "RCPT, 450, DEFERRED",
    "RCPT, 451, DEFERRED",
    "RCPT, 452, DEFERRED",
    "RCPT, 552, DEFERRED",
    "RCPT, 550, BOUNCED",
    "RCPT, 551, BOUNCED",
    "RCPT, 553, BOUNCED",
    "RCPT, 501, BOUNCED",
    "RCPT, 503, BOUNCED",
    "MAIL, 552, BOUNCED",
    "END_OF_DATA, 552, BOUNCED",
    "END_OF_DATA, 250, DELIVERED",
    "END_OF_DATA, 421, DEFERRED",
    "MAIL, 421, DEFERRED",
    "GREETING, 554, DEFERRED"
  })
  void classifiesByStageAndCode(Stage stage, int code, RecipientStatus expected) {
    assertThat(ReplyClassifier.classify(stage, new SmtpReply(code, null, "text")))
        .isEqualTo(expected);
  }

  /**
   * One-line replies take a path without regular expressions; a trailing empty line forces the
   * general one.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "250 2.0.0 Ok: queued as 12345\\n",
        "250 2.1.5 Ok",
        "451 4.7.1 greylisted, try again  \\r\\n",
        "550-5.1.1 dash separator\\n",
        "250",
        "250 ",
        "''",
        "'   '",
        "25x not a code",
        "250ok",
        "2500 long code",
        "554 5.7.1\\n",
        "421 4.3.2 Service shutting down\\r"
      })
  void oneLineRepliesParseAsTheGeneralParserDoes(String escaped) {
    String line = escaped.replace("\\r", "\r").replace("\\n", "\n");
    int code = 451;
    SmtpReply general = ReplyClassifier.parse(code, line.stripTrailing() + "\n451 \n");

    assertThat(ReplyClassifier.parse(code, line)).isEqualTo(general);
  }

  @Test
  void parsesMultiLineRepliesWithEnhancedCodes() {
    SmtpReply r =
        ReplyClassifier.parse(
            550, "550-5.7.1 first line\n550-5.7.1 second line\n550 5.7.1 third\n");

    assertThat(r).isEqualTo(new SmtpReply(550, "5.7.1", "first line second line third"));
    assertThat(ReplyClassifier.isPolicyRejection(r)).isTrue();
    assertThat(ReplyClassifier.classify(Stage.RCPT, r)).isEqualTo(BOUNCED);
  }

  @Test
  void parsesRepliesWithoutEnhancedCodes() {
    assertThat(ReplyClassifier.parse(451, "451 try later\n"))
        .isEqualTo(new SmtpReply(451, null, "try later"));
    assertThat(ReplyClassifier.parse(250, "250 2.0.0 Ok\n"))
        .isEqualTo(new SmtpReply(250, "2.0.0", "Ok"));
    assertThat(ReplyClassifier.isPolicyRejection(new SmtpReply(550, "5.1.1", "x"))).isFalse();
    assertThat(ReplyClassifier.classify(Stage.DATA, ReplyClassifier.parse(354, "354 go ahead")))
        .isEqualTo(DEFERRED);
  }

  @Test
  void localRepliesAreMarkedAndClassified() {
    SmtpReply tooBig = ReplyClassifier.messageTooBig(200, 100);
    assertThat(tooBig.text()).startsWith("local: ");
    assertThat(ReplyClassifier.classify(Stage.MAIL, tooBig)).isEqualTo(BOUNCED);
    assertThat(ReplyClassifier.classify(Stage.GREETING, ReplyClassifier.connectFailed("refused")))
        .isEqualTo(DEFERRED);
    assertThat(ReplyClassifier.classify(Stage.END_OF_DATA, new SmtpReply(250, null, "ok")))
        .isEqualTo(DELIVERED);
  }
}
