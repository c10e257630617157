package dev.mailqueue.smtp;

import static dev.mailqueue.smtp.ReplyAction.BY_CODE;
import static dev.mailqueue.smtp.ReplyAction.DEFER;
import static dev.mailqueue.smtp.ReplyAction.SUSPEND_DESTINATION;
import static dev.mailqueue.smtp.ReplyClass.POLICY_BLOCK;
import static dev.mailqueue.smtp.ReplyClass.RATE_LIMIT;
import static dev.mailqueue.smtp.ReplyClass.REPUTATION_BLOCK;

import java.util.List;

/**
 * The built-in reply rules ({@link ReplyRule#builtIn()}), each from the provider's or the
 * standard's published reply documentation. Specific rules come before general ones: the first
 * match wins.
 *
 * <p>Why blocks are never suppressions: a reputation or policy block is about the sending IP
 * address or domain, so the same recipient would accept the mail once the block is lifted. Postal
 * put good addresses on its suppression list after "550 5.7.1" reputation blocks (issue 20); these
 * rules are how that is avoided. Reputation blocks suspend the destination as well: the providers
 * ask senders to stop and not to retry into a block, which makes it worse.
 */
final class BuiltInReplyRules {
  private BuiltInReplyRules() {}

  private static final String GMAIL =
      "Gmail SMTP error reference, https://support.google.com/a/answer/3726730";
  private static final String MICROSOFT_515 =
      "Microsoft, Fix NDR error 550 5.7.515 in Outlook.com, https://support.microsoft.com/en-us/topic/"
          + "fix-ndr-error-550-5-7-515-in-outlook-com-34cfe8f8-6fbf-457e-9e8b-9e4dbaf4e0ef";
  private static final String MICROSOFT_OUTLOOK_COM =
      "Outlook.com postmaster, troubleshooting (S3140/S3150 block list replies), "
          + "https://sendersupport.olc.protection.outlook.com/pm/troubleshooting.aspx";
  private static final String MICROSOFT_EXO =
      "Microsoft, Email non-delivery reports and SMTP errors in Exchange Online, "
          + "https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/"
          + "non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online";
  private static final String YAHOO =
      "Yahoo Sender Hub, SMTP error codes, https://senders.yahooinc.com/smtp-error-codes/";
  private static final String SPAMHAUS =
      "Spamhaus, blocklist rejections name the list (zen.spamhaus.org), https://www.spamhaus.org/";
  private static final String POSTFIX_RBL =
      "Postfix default_rbl_reply (\"... blocked using <list>\"), "
          + "https://www.postfix.org/postconf.5.html#default_rbl_reply";
  private static final String RFC_7372 =
      "RFC 7372, Email Authentication Status Codes (X.7.20 to X.7.27)";
  private static final String RFC_7489 =
      "RFC 7489 (DMARC) section 7.3: rejection text such as \"Email rejected per DMARC policy\"";
  private static final String RFC_3463 = "RFC 3463 section 3.8, X.7.XXX Security or Policy Status";

  static final List<ReplyRule> RULES =
      List.of(
          // Gmail, 421 4.7.28 / 550 5.7.28 / 550 5.7.1 / 421 4.7.0: "Our system has detected an
          // unusual rate of unsolicited mail originating from your IP address ... rate limited /
          // blocked", and "... suspicious due to the very low reputation of the sending IP
          // address / domain".
          ReplyRule.of(
              "[45]\\d\\d",
              null,
              "Our system has detected (?:an unusual rate of unsolicited mail"
                  + "|that this message is suspicious due to the very low reputation)",
              REPUTATION_BLOCK,
              SUSPEND_DESTINATION,
              GMAIL),
          // Gmail, 421 4.7.0 / 550 5.7.1: "Our system has detected that this message is likely
          // unsolicited mail" / "... suspicious due to the nature of the content": this message's
          // content, not the sender as a whole.
          ReplyRule.of(
              "[45]\\d\\d",
              null,
              "Our system has detected that this message is (?:likely unsolicited mail"
                  + "|suspicious due to the nature of the content)",
              POLICY_BLOCK,
              BY_CODE,
              GMAIL),
          // Gmail, 421 4.7.0 / 550 5.7.26: "This message does not have authentication information
          // or fails to pass authentication checks (SPF or DKIM)"; "The IP you're using to send
          // mail is not authorized to send email directly to our servers".
          ReplyRule.of(
              "[45]\\d\\d",
              null,
              "does not have authentication information|fails to pass authentication checks"
                  + "|not authorized to send email directly to our servers",
              POLICY_BLOCK,
              BY_CODE,
              GMAIL),
          // Gmail, 450 4.2.1: "The user you are trying to contact is receiving mail at a rate that
          // prevents additional messages from being delivered" (or "too quickly"): a limit for one
          // recipient, not a block.
          ReplyRule.of(
              "4\\d\\d",
              "4\\.2\\.1",
              "is receiving mail (?:at a rate|too quickly)",
              RATE_LIMIT,
              DEFER,
              GMAIL),
          // Gmail, 550 5.4.5: "Daily user sending limit exceeded" / "Daily SMTP relay limit
          // exceeded": the sender's quota, back the next day.
          ReplyRule.of(
              "[45]\\d\\d",
              "[45]\\.4\\.5",
              "Daily (?:user sending|SMTP relay) (?:quota|limit) exceeded",
              RATE_LIMIT,
              DEFER,
              GMAIL),
          // Microsoft consumer mail (Outlook.com, Hotmail), 550 5.7.515: "Access denied, sending
          // domain <domain> does not meet the required authentication level" (SPF, DKIM, DMARC).
          ReplyRule.of("5\\d\\d", "5\\.7\\.515", null, POLICY_BLOCK, BY_CODE, MICROSOFT_515),
          // Outlook.com, 550 5.7.1: "Unfortunately, messages from [IP] weren't sent. Please contact
          // your Internet service provider since part of their network is on our block list
          // (S3150)"; S3140 is the same for the address itself.
          ReplyRule.of(
              "[45]\\d\\d",
              null,
              "\\(S31[45]0\\)|on our block list",
              REPUTATION_BLOCK,
              SUSPEND_DESTINATION,
              MICROSOFT_OUTLOOK_COM),
          // Exchange Online, 550 5.7.606-649: "Access denied, banned sending IP [IP]".
          ReplyRule.of(
              "5\\d\\d",
              "5\\.7\\.6(?:0[6-9]|[1-3]\\d|4\\d)",
              null,
              REPUTATION_BLOCK,
              SUSPEND_DESTINATION,
              MICROSOFT_EXO),
          // Exchange Online, 451 4.7.500-699 (ASxxx): "Server busy, please try again later" (new
          // or suspicious IP addresses are throttled).
          ReplyRule.of("4\\d\\d", "4\\.7\\.[56]\\d\\d", null, RATE_LIMIT, DEFER, MICROSOFT_EXO),
          // Yahoo, 421 4.7.0 [TS01]-[TS03], [TSS04] "Messages from IP temporarily deferred due to
          // unexpected volume or user complaints"; 553 5.7.2 [TSS09] "All messages from IP will
          // be permanently deferred"; 553 5.7.1 [BL21]/[BL22]/[BL23] "... the ip is in Spamhaus's
          // list".
          ReplyRule.of(
              "[45]\\d\\d",
              null,
              "\\[(?:TS0[1-3]|TSS0[1-9]|BL2[1-3])\\]",
              REPUTATION_BLOCK,
              SUSPEND_DESTINATION,
              YAHOO),
          // Yahoo, 554 5.7.9 "Message not accepted for policy reasons"; 550 5.7.9 "This mail has
          // been blocked because the sender is unauthenticated".
          ReplyRule.of(
              "5\\d\\d",
              "5\\.7\\.9",
              "not accepted for policy reasons|sender is unauthenticated",
              POLICY_BLOCK,
              BY_CODE,
              YAHOO),
          // Spamhaus listings, as any receiver words them ("blocked using zen.spamhaus.org",
          // "listed by Spamhaus", "https://www.spamhaus.org/query/ip/...").
          ReplyRule.of(
              "[45]\\d\\d", null, "spamhaus", REPUTATION_BLOCK, SUSPEND_DESTINATION, SPAMHAUS),
          // Any other DNS block list in Postfix's wording: "Service unavailable; Client host [IP]
          // blocked using bl.spamcop.net".
          ReplyRule.of(
              "[45]\\d\\d",
              null,
              "blocked using [a-z0-9.-]+",
              REPUTATION_BLOCK,
              SUSPEND_DESTINATION,
              POSTFIX_RBL),
          // RFC 7372: X.7.20 no passing DKIM signature, X.7.21 no acceptable one, X.7.22 no
          // author-matched one, X.7.23 SPF failed, X.7.24 SPF error, X.7.25 reverse DNS failed,
          // X.7.26 several checks failed (Gmail's DMARC and unauthenticated rejections), X.7.27
          // sender address has a null MX.
          ReplyRule.of("[45]\\d\\d", "[45]\\.7\\.2[0-7]", null, POLICY_BLOCK, BY_CODE, RFC_7372),
          // DMARC: "550 5.7.1 Email rejected per DMARC policy for example.com".
          ReplyRule.of("[45]\\d\\d", null, "\\bDMARC\\b", POLICY_BLOCK, BY_CODE, RFC_7489),
          // Any other permanent security or policy refusal: the sender or the message was refused,
          // not the address. Not 4.7.x: greylisting ("450 4.7.1 greylisted") is an ordinary
          // temporary failure of a healthy destination.
          ReplyRule.of("5\\d\\d", "5\\.7\\.\\d{1,3}", null, POLICY_BLOCK, BY_CODE, RFC_3463));
}
