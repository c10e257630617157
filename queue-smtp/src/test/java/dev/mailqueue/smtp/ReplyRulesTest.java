package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.mailqueue.MailAddress;
import dev.mailqueue.RecipientOutcome;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.spi.DeliveryResult;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The reply rule table: every built-in rule with the reply text it was written for. */
class ReplyRulesTest {
  private static final List<ReplyRule> BUILT_IN = ReplyRule.builtIn();
  private static final Set<Integer> MATCHED = new TreeSet<>();

  /**
   * Replies as the providers document them (see each rule's source), with the index of the rule
   * that must decide them: the first match, so the order of the table is tested too.
   */
  static Stream<Arguments> documentedReplies() {
    return Stream.<Stream<Arguments>>of(
            // Gmail
            replies(
                0,
                ReplyClass.REPUTATION_BLOCK,
                "421 4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail"
                    + " originating from your IP address. To protect our users from spam, mail sent"
                    + " from your IP address has been temporarily rate limited. - gsmtp",
                "550 5.7.1 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail"
                    + " originating from your IP address. To protect our users from spam, mail sent"
                    + " from your IP address has been blocked. - gsmtp",
                "421 4.7.0 [192.0.2.1] Our system has detected that this message is suspicious due to"
                    + " the very low reputation of the sending domain. - gsmtp"),
            replies(
                1,
                ReplyClass.POLICY_BLOCK,
                "550 5.7.1 [192.0.2.1] Our system has detected that this message is likely"
                    + " unsolicited mail. To reduce the amount of spam sent to Gmail, this message has"
                    + " been blocked. - gsmtp",
                "421 4.7.0 [192.0.2.1] Our system has detected that this message is suspicious due to"
                    + " the nature of the content and/or the links within. - gsmtp"),
            replies(
                2,
                ReplyClass.POLICY_BLOCK,
                "421 4.7.0 This message does not have authentication information or fails to pass"
                    + " authentication checks. To best protect our users from spam, the message has"
                    + " been blocked. - gsmtp",
                "550 5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to send"
                    + " email directly to our servers. Please use the SMTP relay at your service"
                    + " provider instead. - gsmtp"),
            replies(
                3,
                ReplyClass.RATE_LIMIT,
                "450 4.2.1 The user you are trying to contact is receiving mail at a rate that"
                    + " prevents additional messages from being delivered. Please resend your message"
                    + " at a later time. - gsmtp",
                "450 4.2.1 The user you are trying to contact is receiving mail too quickly. - gsmtp"),
            replies(
                4,
                ReplyClass.RATE_LIMIT,
                "550 5.4.5 Daily user sending limit exceeded. - gsmtp",
                "550 5.4.5 Daily SMTP relay limit exceeded for customer. - gsmtp"),
            // Microsoft
            replies(
                5,
                ReplyClass.POLICY_BLOCK,
                "550 5.7.515 Access denied, sending domain example.com does not meet the required"
                    + " authentication level."),
            replies(
                6,
                ReplyClass.REPUTATION_BLOCK,
                "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your"
                    + " Internet service provider since part of their network is on our block list"
                    + " (S3150). You can also refer your provider to"
                    + " http://mail.live.com/mail/troubleshooting.aspx#errors.",
                "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. (S3140)"),
            replies(
                7,
                ReplyClass.REPUTATION_BLOCK,
                "550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from"
                    + " this list please visit https://sender.office.com/",
                "550 5.7.649 Access denied, banned sending IP [192.0.2.1]."),
            replies(
                8,
                ReplyClass.RATE_LIMIT,
                "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS761)",
                "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP"
                    + " reputation."),
            // Yahoo
            replies(
                9,
                ReplyClass.REPUTATION_BLOCK,
                "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected"
                    + " volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
                "553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; Retrying"
                    + " will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
                "421 4.7.0 [TS03] All messages from 192.0.2.1 will be permanently deferred",
                "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is"
                    + " in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes"),
            replies(
                10,
                ReplyClass.POLICY_BLOCK,
                "554 5.7.9 Message not accepted for policy reasons.  See"
                    + " https://postmaster.yahooinc.com/error-codes",
                "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo"
                    + " requires all senders to authenticate with either SPF or DKIM."),
            // block lists
            replies(
                11,
                ReplyClass.REPUTATION_BLOCK,
                "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using"
                    + " zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
                "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus. To"
                    + " request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.1"
                    + " (AS3130)",
                "550 Rejected: 192.0.2.1 is listed by SPAMHAUS"),
            replies(
                12,
                ReplyClass.REPUTATION_BLOCK,
                "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net;"
                    + " Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.1",
                "554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda"
                    + " Reputation"),
            // standards
            replies(
                13,
                ReplyClass.POLICY_BLOCK,
                "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's"
                    + " DMARC policy. - gsmtp",
                "550 5.7.26 This mail has been blocked because the sender is unauthenticated. - gsmtp",
                "550 5.7.23 SPF validation failed",
                "451 4.7.24 SPF validation error",
                "550 5.7.20 No passing DKIM signature found"),
            replies(
                14,
                ReplyClass.POLICY_BLOCK,
                "550 5.7.1 Email rejected per DMARC policy for example.com",
                "550 Rejected by DMARC policy of example.com"),
            replies(
                15,
                ReplyClass.POLICY_BLOCK,
                "554 5.7.1 <bob@example.com>: Relay access denied",
                "550 5.7.0 Message refused by local policy"))
        .flatMap(s -> s);
  }

  private static Stream<Arguments> replies(int rule, ReplyClass replyClass, String... lines) {
    return Stream.of(lines).map(l -> Arguments.of(rule, replyClass, l));
  }

  @ParameterizedTest
  @MethodSource("documentedReplies")
  void eachBuiltInRuleMatchesItsDocumentedReply(int index, ReplyClass replyClass, String line) {
    SmtpReply reply = serverReply(line);
    ReplyRule rule = ReplyClassifier.ruleFor(reply, BUILT_IN);

    assertThat(rule).as(line).isSameAs(BUILT_IN.get(index));
    assertThat(rule.replyClass()).isEqualTo(replyClass);
    MATCHED.add(index);
  }

  /** Run after the parameterised test: a rule added to the table without a reply here fails. */
  @AfterAll
  static void everyBuiltInRuleHasADocumentedReply() {
    if (!MATCHED.isEmpty()) { // only when the parameterised test ran (not with -Dtest=...#one)
      Set<Integer> all = new TreeSet<>();
      for (int i = 0; i < BUILT_IN.size(); i++) {
        all.add(i);
      }
      assertThat(MATCHED).as("built-in rules tested with a reply").isEqualTo(all);
    }
  }

  @Test
  void everyBuiltInRuleNamesItsSource() {
    assertThat(BUILT_IN).isNotEmpty();
    assertThat(BUILT_IN).allSatisfy(r -> assertThat(r.source()).matches(".*(https://|RFC \\d+).*"));
  }

  /** Replies about the recipient, or healthy temporary ones, keep their standard meaning. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual"
            + " mailbox table",
        "550 5.1.1 The email account that you tried to reach does not exist. - gsmtp",
        "450 4.7.1 <bob@example.com>: Recipient address rejected: Greylisted, see"
            + " https://postgrey.schweikert.ch/help/example.com.html",
        "452 4.2.2 The email account that you tried to reach is over quota. - gsmtp",
        "421 4.4.5 Server busy, try again later. - gsmtp",
        "250 2.0.0 Ok: queued as 12345",
        "554 5.7.1",
      })
  void repliesAboutTheRecipientMatchNoBlockRule(String line) {
    ReplyRule rule = ReplyClassifier.ruleFor(serverReply(line), BUILT_IN);
    if (line.startsWith("554 5.7.1")) {
      // the general policy rule: a 5.7.x without text is still the sender's problem
      assertThat(rule).isSameAs(BUILT_IN.get(BUILT_IN.size() - 1));
    } else {
      assertThat(rule).as(line).isNull();
    }
  }

  @Test
  void localRepliesAreNeverMatched() {
    SmtpReply local = SmtpReply.local(550, "5.7.1", "recipient on the suppression list (spamhaus)");
    assertThat(ReplyClassifier.ruleFor(local, BUILT_IN)).isNull();
  }

  @Test
  void applicationRulesComeFirstAndOverrideBuiltInOnes() {
    ReplyRule bounceSpamhaus =
        ReplyRule.of("5\\d\\d", null, "spamhaus", ReplyClass.REPUTATION_BLOCK, ReplyAction.BOUNCE);
    List<ReplyRule> rules = Stream.concat(Stream.of(bounceSpamhaus), BUILT_IN.stream()).toList();
    SmtpReply listed =
        serverReply(
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org");

    assertThat(ReplyClassifier.ruleFor(listed, rules)).isSameAs(bounceSpamhaus);
    assertThat(ReplyClassifier.ruleFor(listed, BUILT_IN).action())
        .isEqualTo(ReplyAction.SUSPEND_DESTINATION);
  }

  @Test
  void rulesAreValidatedWhenMade() {
    assertThatThrownBy(
            () -> ReplyRule.of(null, null, null, ReplyClass.POLICY_BLOCK, ReplyAction.BOUNCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a code");
    assertThatThrownBy(
            () -> ReplyRule.of("5(", null, null, ReplyClass.POLICY_BLOCK, ReplyAction.BOUNCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("code is not a regular expression");
    assertThatThrownBy(
            () ->
                ReplyRule.of(
                    null, null, "x".repeat(501), ReplyClass.POLICY_BLOCK, ReplyAction.BOUNCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than 500");
  }

  @Test
  void rulesDecideStatusAndBlockOfEachRecipient() {
    MailAddress listed = MailAddress.of("a@x.test");
    MailAddress unknown = MailAddress.of("b@x.test");
    MailAddress unauthenticated = MailAddress.of("c@x.test");
    MailAddress delivered = MailAddress.of("d@x.test");
    DeliveryResult result =
        DeliveryResult.of(
            List.of(
                new RecipientOutcome(
                    listed,
                    RecipientStatus.BOUNCED,
                    serverReply(
                        "550 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org")),
                new RecipientOutcome(
                    unknown, RecipientStatus.BOUNCED, serverReply("550 5.1.1 user unknown")),
                new RecipientOutcome(
                    unauthenticated,
                    RecipientStatus.BOUNCED,
                    serverReply("550 5.7.515 Access denied, sending domain x.test does not meet")),
                new RecipientOutcome(delivered, RecipientStatus.DELIVERED, serverReply("250 ok"))),
            "mx.x.test");

    DeliveryResult ruled = ReplyClassifier.applyRules(result, BUILT_IN);

    assertThat(ruled.recipients())
        .extracting(RecipientOutcome::status, RecipientOutcome::block)
        .containsExactly(
            tuple(RecipientStatus.DEFERRED, SenderBlock.REPUTATION),
            tuple(RecipientStatus.BOUNCED, null),
            tuple(RecipientStatus.BOUNCED, SenderBlock.POLICY),
            tuple(RecipientStatus.DELIVERED, null));
    assertThat(ruled.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(DestinationHealth.of(ruled)).isEqualTo(DestinationHealth.FAILURE);
    assertThat(DestinationHealth.of(result)).isEqualTo(DestinationHealth.SUCCESS);
  }

  @Test
  void aRuleThatDefersATriedRecipientMakesTheAttemptCount() {
    MailAddress held = MailAddress.of("a@x.test");
    MailAddress listed = MailAddress.of("b@y.test");
    DeliveryResult merged =
        DeliveryResult.merge(
            List.of(held, listed),
            List.of(
                DeliveryResult.notCounted(
                    List.of(held),
                    SmtpReply.local(451, "4.7.0", "local rate limit"),
                    Duration.ofSeconds(1),
                    null),
                DeliveryResult.all(
                    List.of(listed),
                    RecipientStatus.BOUNCED,
                    serverReply("554 5.7.1 blocked using zen.spamhaus.org"),
                    "mx.y.test")));
    assertThat(merged.kind()).isEqualTo(DeliveryResult.Kind.NOT_COUNTED);

    DeliveryResult ruled = ReplyClassifier.applyRules(merged, BUILT_IN);

    assertThat(ruled.kind()).isEqualTo(DeliveryResult.Kind.NORMAL);
    assertThat(ruled.recipients())
        .extracting(RecipientOutcome::status)
        .containsOnly(RecipientStatus.DEFERRED);
  }

  @Test
  void recipientsHeldBackForOurOwnFaultAreNeverRuled() {
    MailAddress a = MailAddress.of("a@x.test");
    SmtpReply loginRefused = serverReply("535 5.7.8 Error: authentication failed");
    DeliveryResult held =
        DeliveryResult.notCounted(List.of(a), loginRefused, Duration.ofMinutes(1), "relay.test");

    assertThat(ReplyClassifier.applyRules(held, BUILT_IN)).isSameAs(held);
    assertThat(DestinationHealth.of(held)).isEqualTo(DestinationHealth.NEUTRAL);
  }

  private static SmtpReply serverReply(String line) {
    return ReplyClassifier.parse(Integer.parseInt(line.substring(0, 3)), line);
  }
}
