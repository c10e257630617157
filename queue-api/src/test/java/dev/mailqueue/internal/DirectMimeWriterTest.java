package dev.mailqueue.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Properties;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@link DirectMimeWriter} against Angus: for thousands of generated mails, the direct bytes must
 * equal the bytes of Angus's {@code MimeMessage} with the same Date and Message-ID, the multipart
 * boundary apart (each side makes its own).
 */
class DirectMimeWriterTest {
  private static final Pattern BOUNDARY = Pattern.compile("boundary=\"([^\"]+)\"");

  private static final String[] NAMES = {null, "Shop", "Jane Q. Public", "Doe, John", "Bénédicte Très-Long Nom de Famille",
      "\"quoted\" name", "日本語の名前", "a".repeat(90), "Müller (Support)", "=?UTF-8?Q?looks_encoded?="};
  private static final String[] SUBJECTS = {null, "", "Your receipt", "Grüße – ✓", "bench 17",
      "a long subject line that keeps going and going well past the seventy-six characters of a line",
      "ünïcödé and a long subject line that goes on and on and on and on and on and on and on", "=?UTF-8?Q?x?= y",
      "tab\there", "日本語の件名です。とても長い件名になるかもしれませんので、折り返しが必要になります", "emoji 😀 subject"};
  private static final String[] TEXTS = {"hello", "line1\nline2\n", "crlf\r\nlines\r\n", "cr\rlines\r", "mixed\r\n\n\r",
      "Grüße aus Köln\n", "日本語のメール\n", "emoji 😀 and more 😀😀", "a control \u0001 character", "x".repeat(999),
      "ok\n" + "y".repeat(1200) + "\nok", ".leading dot\n.\nFrom the start\n", "", "\n", ("z".repeat(74) + "\n").repeat(25),
      "tab\tseparated\tvalues\n", "mostly ascii with one é in a long text " + "w".repeat(300),
      "é".repeat(400), "trailing spaces   \nand = signs == here\n", "ü".repeat(6000),
      ("Grüße " + "x".repeat(100) + "\n").repeat(120)};
  private static final String[] HEADER_NAMES = {"X-Campaign", "List-Unsubscribe", "In-Reply-To", "References",
      "Comments", "Keywords", "Errors-To", "Content-Length", "Status", "Received", "Resent-Date", "X-Long", "x-campaign",
      "X-CAMPAIGN", "Content-MD5", "Auto-Submitted", "Precedence", "Content-Language"};
  private static final String[] HEADER_VALUES = {"abc", "<https://example.com/u?id=1>", "<a@example.com> <b@example.com>",
      "Wert mit Ümlaut", "word ".repeat(40).trim(), "日本語", "=?UTF-8?Q?x?="};

  private final MimeRenderer renderer = new MimeRenderer(10_000_000, null);

  @Test
  void writesTheBytesAngusWrites() throws Exception {
    Random random = new Random(20261129);
    int checked = 0;
    int multipart = 0;
    for (int i = 0; i < 3000; i++) {
      Mail mail = randomMail(random);
      MessageId id = MessageId.generate();
      Date date = new Date(1_700_000_000_000L + random.nextInt(Integer.MAX_VALUE) * 1000L);
      assertThat(DirectMimeWriter.handles(mail)).isTrue();
      MimeRenderer.Rendered direct = renderer.render(mail, id, date, true);
      MimeRenderer.Rendered angus = renderer.render(mail, id, date, false);
      String directText = new String(direct.mime(), StandardCharsets.ISO_8859_1);
      String angusText = new String(angus.mime(), StandardCharsets.ISO_8859_1);
      Matcher d = BOUNDARY.matcher(directText);
      Matcher a = BOUNDARY.matcher(angusText);
      if (d.find()) {
        assertThat(a.find()).as("Angus wrote a multipart too").isTrue();
        directText = directText.replace(d.group(1), a.group(1));
        multipart++;
      }
      assertThat(directText).as("mail %d: %s", i, mail).isEqualTo(angusText);
      assertThat(direct.messageIdHeader()).isEqualTo(angus.messageIdHeader());
      checked++;
    }
    assertThat(checked).isEqualTo(3000);
    assertThat(multipart).as("both shapes were generated").isBetween(500, 2500);
  }

  @Test
  void textAndHtmlParseBackWithAUniqueBoundary() throws Exception {
    Mail mail = Mail.builder().from("a@example.com").to("b@example.org").subject("s").text("plain\n").html("<p>é</p>")
        .build();
    byte[] first = renderer.render(mail, MessageId.generate()).mime();
    byte[] second = renderer.render(mail, MessageId.generate()).mime();
    MimeMessage parsed = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(first));
    Multipart alternative = (Multipart) parsed.getContent();
    assertThat(alternative.getCount()).isEqualTo(2);
    assertThat(alternative.getBodyPart(0).getContent()).isEqualTo("plain\r\n");
    assertThat(alternative.getBodyPart(1).getContent()).isEqualTo("<p>é</p>");
    assertThat(boundary(first)).isNotEqualTo(boundary(second));
  }

  @Test
  void mailWithAttachmentsOrAContentDispositionIsLeftToAngus() {
    Mail mail = Mail.builder().from("a@example.com").to("b@example.org").text("x")
        .attachment("a.txt", "text/plain", new byte[] {'a'}).build();
    assertThat(DirectMimeWriter.handles(mail)).isFalse();
    // Angus reads Content-Disposition when it writes Content-Type (a filename becomes name=).
    Mail disposition = Mail.builder().from("a@example.com").to("b@example.org").text("x")
        .header("content-disposition", "inline; filename=\"hi.txt\"").build();
    assertThat(DirectMimeWriter.handles(disposition)).isFalse();
    assertThat(new String(renderer.render(disposition, MessageId.generate()).mime(), StandardCharsets.US_ASCII))
        .contains("Content-Type: text/plain; charset=UTF-8; name=hi.txt");
  }

  private static String boundary(byte[] mime) {
    Matcher m = BOUNDARY.matcher(new String(mime, StandardCharsets.ISO_8859_1));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private static Mail randomMail(Random random) {
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
      b.header(HEADER_NAMES[random.nextInt(HEADER_NAMES.length)], HEADER_VALUES[random.nextInt(HEADER_VALUES.length)]);
    }
    switch (random.nextInt(3)) {
      case 0 -> b.text(TEXTS[random.nextInt(TEXTS.length)]);
      case 1 -> b.html(TEXTS[random.nextInt(TEXTS.length)]);
      default -> b.text(TEXTS[random.nextInt(TEXTS.length)]).html(TEXTS[random.nextInt(TEXTS.length)]);
    }
    return b.build();
  }

  private static MailAddress address(Random random, String local, boolean utf8) {
    String[] domains = {"example.com", "bücher.example", "EXAMPLE.org"};
    String address = (utf8 && random.nextInt(3) == 0 ? "jösé." : "") + local + "@" + domains[random.nextInt(domains.length)];
    String name = NAMES[random.nextInt(NAMES.length)];
    return new MailAddress(address, name);
  }
}
