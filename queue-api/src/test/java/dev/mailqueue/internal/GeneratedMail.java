package dev.mailqueue.internal;

import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import java.util.Random;

/** Generated mails that exercise the renderer's every shape, for {@link MimeRendererTest}. */
final class GeneratedMail {
  private static final String[] NAMES = {
    null,
    "Shop",
    "Jane Q. Public",
    "Doe, John",
    "Bénédicte Très-Long Nom de Famille",
    "\"quoted\" name",
    "日本語の名前",
    "a".repeat(90),
    "Müller (Support)",
    "=?UTF-8?Q?looks_encoded?="
  };
  private static final String[] SUBJECTS = {
    null,
    "",
    "Your receipt",
    "Grüße – ✓",
    "bench 17",
    "a long subject line that keeps going and going well past the seventy-six characters of a line",
    "ünïcödé and a long subject line that goes on and on and on and on and on and on and on",
    "=?UTF-8?Q?x?= y",
    "tab\there",
    "日本語の件名です。とても長い件名になるかもしれませんので、折り返しが必要になります",
    "emoji 😀 subject"
  };
  private static final String[] TEXTS = {
    "hello",
    "line1\nline2\n",
    "crlf\r\nlines\r\n",
    "cr\rlines\r",
    "mixed\r\n\n\r",
    "Grüße aus Köln\n",
    "日本語のメール\n",
    "emoji 😀 and more 😀😀",
    "a control \u0001 character",
    "x".repeat(999),
    "ok\n" + "y".repeat(1200) + "\nok",
    ".leading dot\n.\nFrom the start\n",
    "",
    "\n",
    ("z".repeat(74) + "\n").repeat(25),
    "tab\tseparated\tvalues\n",
    "mostly ascii with one é in a long text " + "w".repeat(300),
    "é".repeat(400),
    "trailing spaces   \nand = signs == here\n",
    "ü".repeat(6000),
    ("Grüße " + "x".repeat(100) + "\n").repeat(120)
  };
  private static final String[] HEADER_NAMES = {
    "X-Campaign",
    "List-Unsubscribe",
    "In-Reply-To",
    "References",
    "Comments",
    "Keywords",
    "Errors-To",
    "Content-Length",
    "Status",
    "Received",
    "Resent-Date",
    "X-Long",
    "x-campaign",
    "X-CAMPAIGN",
    "Content-MD5",
    "Auto-Submitted",
    "Precedence",
    "Content-Language"
  };
  private static final String[] HEADER_VALUES = {
    "abc",
    "<https://example.com/u?id=1>",
    "<a@example.com> <b@example.com>",
    "Wert mit Ümlaut",
    "word ".repeat(40).trim(),
    "日本語",
    "=?UTF-8?Q?x?="
  };

  private GeneratedMail() {}

  static Mail random(Random random) {
    boolean utf8 = random.nextInt(4) == 0;
    Mail.Builder b = Mail.builder().smtpUtf8(utf8).from(address(random, "from", utf8));
    for (int i = random.nextInt(3); i > 0; i--) {
      b.replyTo(address(random, "reply" + i, utf8).toString());
    }
    int to = random.nextInt(4);
    for (int i = 0; i < to; i++) {
      b.to(address(random, "to" + i, utf8));
    }
    for (int i = random.nextInt(3); i > 0; i--) {
      b.cc(address(random, "cc" + i, utf8).toString());
    }
    if (to == 0 || random.nextBoolean()) {
      b.bcc("hidden@example.net");
    }
    String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
    if (subject != null) {
      b.subject(subject);
    }
    for (int i = random.nextInt(4); i > 0; i--) {
      b.header(
          HEADER_NAMES[random.nextInt(HEADER_NAMES.length)],
          HEADER_VALUES[random.nextInt(HEADER_VALUES.length)]);
    }
    switch (random.nextInt(3)) {
      case 0 -> b.text(TEXTS[random.nextInt(TEXTS.length)]);
      case 1 -> b.html(TEXTS[random.nextInt(TEXTS.length)]);
      default ->
          b.text(TEXTS[random.nextInt(TEXTS.length)]).html(TEXTS[random.nextInt(TEXTS.length)]);
    }
    return b.build();
  }

  private static MailAddress address(Random random, String local, boolean utf8) {
    String[] domains = {"example.com", "bücher.example", "EXAMPLE.org"};
    String address =
        (utf8 && random.nextInt(3) == 0 ? "jösé." : "")
            + local
            + "@"
            + domains[random.nextInt(domains.length)];
    String name = NAMES[random.nextInt(NAMES.length)];
    return new MailAddress(address, name);
  }
}
