package dev.mailqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.Priority;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.jdbc.JdbcMailStore;
import dev.mailqueue.jdbc.TestDatabases;
import dev.mailqueue.spi.QueuedMail;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CLI as a separate process ({@code java -cp <test class path> dev.mailqueue.cli.MailQueueCli})
 * against real PostgreSQL, on tables with a random prefix; skipped when PostgreSQL is unreachable
 * unless MAILQUEUE_REQUIRE_DATABASES names it.
 */
class CliProcessTest {
  private String url;
  private String prefix;
  private DataSource dataSource;
  private JdbcMailStore store;

  /** What a process printed and how it ended. */
  record Result(int exitCode, String out, String err) {}

  @BeforeEach
  void setUp() {
    url = TestDatabases.serverUrl("postgresql");
    dataSource = new TestDatabases.UrlDataSource(url);
    prefix = TestDatabases.randomPrefix();
    store = JdbcMailStore.builder(dataSource).tablePrefix(prefix).createSchema(true).build();
    store.start();
  }

  @AfterEach
  void tearDown() {
    store.close();
    TestDatabases.drop(dataSource, prefix);
  }

  private ProcessBuilder cli(String... args) {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classPath,
                MailQueueCli.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("MAILQUEUE_JDBC_URL", url);
    return pb;
  }

  /** Runs the CLI on this test's tables (the URL comes from the environment, as in production). */
  private Result run(String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--table-prefix", prefix));
    return run(cli(all.toArray(String[]::new)), null);
  }

  private static Result run(ProcessBuilder pb, String stdin)
      throws IOException, InterruptedException {
    File out = File.createTempFile("cli", ".out");
    File err = File.createTempFile("cli", ".err");
    try {
      pb.redirectOutput(out).redirectError(err);
      Process p = pb.start();
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("cli finished").isTrue();
      return new Result(
          p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
    } finally {
      Files.deleteIfExists(out.toPath());
      Files.deleteIfExists(err.toPath());
    }
  }

  private MessageId insert(String from, String tag, String... recipients) {
    MessageId id = MessageId.generate();
    List<MailAddress> to = new ArrayList<>();
    for (String r : recipients) {
      to.add(MailAddress.of(r));
    }
    byte[] mime =
        ("From: "
                + from
                + "\r\nMessage-ID: <"
                + id
                + "@example.com>\r\nSubject: cli\r\n\r\nbody\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    return store.insert(
        new QueuedMail(
            id,
            "<" + id + "@example.com>",
            MailAddress.of(from),
            to,
            mime,
            Priority.NORMAL,
            null,
            Duration.ofDays(5),
            tag,
            null));
  }

  private MessageState state(MessageId id) {
    return store.find(id).orElseThrow().state();
  }

  @Test
  void listPrintsThePendingQueueWithMessageIdsAndRecipientsAndJson() throws Exception {
    MessageId receipt = insert("shop@example.com", "receipt", "a@example.org", "b@example.org");
    MessageId news = insert("news@example.com", "newsletter", "c@example.net");
    MessageId done = insert("shop@example.com", "receipt", "d@example.org");
    String longReply = "greylisted, please try again later " + "x".repeat(120);
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE "
                  + prefix
                  + "message SET state = 'DELIVERED', "
                  + "due_at = NULL, finished_at = created_at WHERE id = ?")) {
        ps.setObject(1, done.value());
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE "
                  + prefix
                  + "recipient SET status = 'DEFERRED', "
                  + "reply_code = 451, reply_enhanced = '4.7.1', reply_text = ? WHERE message_id = ? AND address = ?")) {
        ps.setString(1, longReply);
        ps.setObject(2, receipt.value());
        ps.setString(3, "b@example.org");
        ps.executeUpdate();
      }
    }

    Result table = run("list");
    assertThat(table.exitCode()).as(table.err()).isZero();
    List<String> lines = table.out().lines().toList();
    assertThat(lines).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(100));
    assertThat(lines.get(0)).matches("ID +STATE +AGE +TRIES +SIZE +FROM");
    assertThat(table.out())
        .as("finished mail is not pending")
        .doesNotContain(done.toString())
        .containsPattern(receipt + " +QUEUED +\\d+s +0 +\\d+ +shop@example.com")
        .contains("  message-id <" + receipt + "@example.com>  tag receipt")
        .contains("  a@example.org  PENDING\n")
        .contains("  b@example.org  DEFERRED  451 4.7.1 greylisted, please try again later xxx")
        .contains(news.toString())
        .contains("-- 2 messages pending");
    assertThat(lines)
        .filteredOn(l -> l.startsWith("  b@example.org"))
        .singleElement()
        .asString()
        .hasSize(100)
        .endsWith("...");
    assertThat(
            lines.indexOf(
                lines.stream()
                    .filter(l -> l.startsWith(receipt.toString()))
                    .findFirst()
                    .orElseThrow()))
        .as("oldest first")
        .isLessThan(
            lines.indexOf(
                lines.stream()
                    .filter(l -> l.startsWith(news.toString()))
                    .findFirst()
                    .orElseThrow()));

    Result all = run("list", "--all-states");
    assertThat(all.out())
        .contains(done.toString())
        .containsPattern(done + " +DELIVERED")
        .contains("-- 3 messages");
    assertThat(run("list", "--state", "delivered").out())
        .contains(done.toString())
        .doesNotContain(news.toString());
    Result both = run("list", "--all-states", "--state", "queued");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("--all-states and --state exclude each other");

    Result json = run("list", "--tag", "receipt", "--json");
    assertThat(json.exitCode()).as(json.err()).isZero();
    assertThat(json.out().strip())
        .startsWith("[{\"id\":\"" + receipt + "\",\"state\":\"QUEUED\",\"tag\":\"receipt\"")
        .endsWith("}]")
        .doesNotContain(news.toString())
        .doesNotContain(done.toString())
        .contains("\"messageId\":\"<" + receipt + "@example.com>\"")
        .contains(
            "{\"address\":\"b@example.org\",\"status\":\"DEFERRED\",\"lastReply\":{\"code\":451,"
                + "\"enhanced\":\"4.7.1\",\"text\":\"greylisted");
  }

  @Test
  void showPrintsSubjectToAndContentAndTheBodyOrTheRawMessageLikePostcat() throws Exception {
    MessageId id = MessageId.generate();
    String mime =
        "From: Shop <shop@example.com>\r\nTo: Bob <bob@example.org>, carol@example.net\r\n"
            + "Subject: =?UTF-8?Q?Your_r=C3=A9ceipt?=\r\nMessage-ID: <"
            + id
            + "@example.com>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/alternative; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            + "Thanks for your order.\r\n  Total: 12 EUR\r\n--b1\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n"
            + "<p>Thanks for your order.</p>\r\n--b1--\r\n";
    byte[] bytes = mime.getBytes(StandardCharsets.US_ASCII);
    store.insert(
        new QueuedMail(
            id,
            "<" + id + "@example.com>",
            MailAddress.of("shop@example.com"),
            List.of(MailAddress.of("bob@example.org"), MailAddress.of("carol@example.net")),
            bytes,
            Priority.NORMAL,
            null,
            Duration.ofDays(5),
            null,
            null));

    Result shown = run("show", id.toString());
    assertThat(shown.exitCode()).as(shown.err()).isZero();
    assertThat(shown.out())
        .contains("subject:     Your r\u00e9ceipt\n")
        .contains("to:          Bob <bob@example.org>, carol@example.net\n")
        .containsPattern("content: +multipart/alternative: text/plain \\d+ B, text/html \\d+ B\n")
        .doesNotContain("lease:");

    Result body = run("show", id.toString(), "--body");
    assertThat(body.exitCode()).as(body.err()).isZero();
    assertThat(body.out()).isEqualTo("Thanks for your order.\n  Total: 12 EUR\n");

    Result raw = run("show", id.toString(), "--raw");
    assertThat(raw.exitCode()).as(raw.err()).isZero();
    assertThat(raw.out()).as("the stored message, byte for byte").isEqualTo(mime);

    Result json = run("show", id.toString(), "--json");
    assertThat(json.out())
        .contains("\"id\":\"" + id + "\"")
        .contains("\"leaseOwner\":null")
        .contains(
            "\"content\":{\"subject\":\"Your r\u00e9ceipt\",\"to\":\"Bob <bob@example.org>, carol@example.net\"");
    assertThat(run("show", id.toString(), "--raw", "--body").exitCode()).isEqualTo(2);

    var claimed = store.claim("cli-test-worker", 1, Duration.ofMinutes(5));
    assertThat(claimed).hasSize(1);
    Result sending = run("show", id.toString());
    assertThat(sending.out())
        .contains("state:       SENDING")
        .containsPattern("lease: +cli-test-worker until \\d{4}-\\d\\d-\\d\\dT");
    assertThat(run("show", id.toString(), "--json").out())
        .contains("\"leaseOwner\":\"cli-test-worker\"");
  }

  @Test
  void operationsOnIdsReportWhichWereSkippedAndWhy() throws Exception {
    MessageId queued = insert("shop@example.com", null, "a@example.org");
    MessageId sending = insert("shop@example.com", null, "b@example.org");
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE "
                    + prefix
                    + "message SET state = 'SENDING', "
                    + "lease_owner = 'w9' WHERE id = ?")) {
      ps.setObject(1, sending.value());
      ps.executeUpdate();
    }
    MessageId unknown = MessageId.generate();

    Result held = run("hold", queued.toString(), sending.toString(), unknown.toString());
    assertThat(held.exitCode()).as("an unknown id fails, as show does").isEqualTo(1);
    assertThat(held.out().strip()).isEqualTo("held 1 message");
    assertThat(held.err())
        .contains(
            "mailqueue: "
                + sending
                + " skipped: it is SENDING (being delivered now); "
                + "hold applies to DEFERRED, QUEUED only")
        .contains("error: " + unknown + " skipped: no such message");
    assertThat(state(queued)).isEqualTo(MessageState.HOLD);

    Result again = run("hold", queued.toString(), "--json");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out().strip())
        .isEqualTo(
            "{\"held\":0,\"skipped\":[{\"id\":\""
                + queued
                + "\",\"state\":\"HOLD\",\"reason\":\"it is HOLD; hold applies to DEFERRED, QUEUED only\"}]}");

    assertThat(run("release", queued.toString()).exitCode()).isZero();
    Result retried = run("retry", queued.toString());
    assertThat(retried.exitCode()).isZero();
    assertThat(retried.out().strip()).isEqualTo("retried 0 messages");
    assertThat(retried.err()).contains(queued + " skipped: it is due already");

    Result deleted = run("delete", unknown.toString());
    assertThat(deleted.exitCode()).isEqualTo(1);
    assertThat(deleted.err()).contains("no such message");
  }

  /**
   * Rows written before replies were sanitised, or by another tool, may hold a server's escape
   * sequences: the table output shows them escaped, never raw (terminal escape injection).
   */
  @Test
  void controlCharactersFromTheNetworkArePrintedEscaped() throws Exception {
    MessageId id = insert("shop@example.com", "receipt", "a@example.org");
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE "
                  + prefix
                  + "recipient SET status = 'DEFERRED', "
                  + "reply_code = 451, reply_text = ? WHERE message_id = ?")) {
        ps.setString(1, "try later\u001b[2J\u001b]0;owned\u0007\r\nfake: line");
        ps.setObject(2, id.value());
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE "
                  + prefix
                  + "message SET last_code = 451, "
                  + "last_text = ? WHERE id = ?")) {
        ps.setString(1, "try later\u001b[2J\u001b]0;owned\u0007\r\nfake: line");
        ps.setObject(2, id.value());
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO "
                  + prefix
                  + "attempt (message_id, lease_token, "
                  + "finished_at, duration_ms, remote_host, outcome, counted, uncertain, reply_code, reply_text) "
                  + "VALUES (?, 1, 0, 5, ?, 'DEFERRED', true, false, 451, ?)")) {
        ps.setObject(1, id.value());
        ps.setString(2, "mx.example.org\u001b[31m\u009b1m");
        ps.setString(3, "again\u001b[2J");
        ps.executeUpdate();
      }
    }
    for (String command : List.of("show", "list")) {
      Result r = command.equals("show") ? run("show", id.toString()) : run("list");
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.out().chars())
          .as(command)
          .noneMatch(ch -> ch == 0x1b || ch == 0x07 || ch == 0x9b || ch == '\r');
      assertThat(r.out()).as(command).contains("try later\\x1b[2J\\x1b]0;owned\\x07 fake: line");
      if (command.equals("show")) {
        assertThat(r.out()).contains("mx.example.org\\x1b[31m\\x9b1m").contains("again\\x1b[2J");
      }
    }
  }

  @Test
  void eraseRemovesEveryTraceOfAnAddress() throws Exception {
    MessageId toErin = insert("shop@example.com", "receipt", "erin@example.org");
    MessageId toOthers = insert("shop@example.com", "receipt", "other@example.org");
    store.admin().suppress("erin@example.org", "complaint", null);

    Result r = run("erase", "Erin@Example.org");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("erased 1 message and the suppression entry of Erin@Example.org");
    assertThat(store.find(toErin)).isEmpty();
    assertThat(store.find(toOthers)).isPresent();
    assertThat(store.admin().suppression("erin@example.org")).isEmpty();
  }

  @Test
  void holdReleaseAndDeleteByIdAndByFilter() throws Exception {
    MessageId keep = insert("shop@example.com", "receipt", "a@example.org");
    MessageId spam = insert("loop@example.com", "spam", "b@example.org");

    Result held = run("hold", keep.toString());
    assertThat(held.exitCode()).as(held.err()).isZero();
    assertThat(held.out().strip()).isEqualTo("held 1 message");
    assertThat(state(keep)).isEqualTo(MessageState.HOLD);
    assertThat(run("list", "--state", "hold").out())
        .contains(keep.toString())
        .doesNotContain(spam.toString());

    Result released = run("release", "--state", "HOLD", "--json");
    assertThat(released.out().strip()).isEqualTo("{\"released\":1}");
    assertThat(state(keep)).isEqualTo(MessageState.QUEUED);

    Result deleted = run("delete", "--sender", "loop@example.com");
    assertThat(deleted.out().strip()).isEqualTo("deleted 1 message");
    assertThat(store.find(spam)).isEmpty();
    assertThat(store.find(keep)).isPresent();
  }

  @Test
  void shapeAndStatsShowWhereTheBacklogIs() throws Exception {
    insert("s@example.com", null, "a@gmail.com", "b@yahoo.com");
    MessageId old = insert("s@example.com", null, "c@gmail.com");
    Result ok = run("stats", "--check");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(ok.out()).containsPattern("QUEUED +2").contains("health: OK");

    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE " + prefix + "message SET created_at = created_at - ? WHERE id = ?")) {
      ps.setLong(1, Duration.ofMinutes(30).toMillis());
      ps.setObject(2, old.value());
      ps.executeUpdate();
    }
    Result shape = run("shape");
    assertThat(shape.exitCode()).as(shape.err()).isZero();
    String[] lines = shape.out().split("\\R");
    assertThat(lines[0])
        .matches("DOMAIN +TOTAL +0-5m +5-10m +10-20m +20-40m +40-80m +80-160m +160m\\+");
    assertThat(lines[1]).matches("TOTAL +3 +2 +0 +0 +1 +0 +0 +0");
    assertThat(lines[2]).matches("gmail.com +2 +1 +0 +0 +1 +0 +0 +0");
    assertThat(lines[3]).matches("yahoo.com +1 +1 +0 +0 +0 +0 +0 +0");

    Result degraded = run("stats", "--check", "--json");
    assertThat(degraded.exitCode()).isEqualTo(3);
    assertThat(degraded.out()).contains("\"health\":\"DEGRADED\"").contains("\"QUEUED\":2");
  }

  @Test
  void badInputIsReportedWithPicocliExitCodes() throws Exception {
    Result notAnId = run("show", "not-a-uuid");
    assertThat(notAnId.exitCode()).isEqualTo(2);
    assertThat(notAnId.err()).contains("not a message id");

    Result noSelection = run("delete");
    assertThat(noSelection.exitCode()).isEqualTo(2);
    assertThat(noSelection.err()).contains("give ids, filter flags");

    Result unknown = run("show", MessageId.generate().toString());
    assertThat(unknown.exitCode()).isEqualTo(1);
    assertThat(unknown.err()).contains("no message");

    ProcessBuilder noDatabase = cli("list");
    noDatabase.environment().remove("MAILQUEUE_JDBC_URL");
    Result missing = run(noDatabase, null);
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("pass --jdbc-url or set MAILQUEUE_JDBC_URL");

    Result absentTables = run(cli("list", "--table-prefix", "absent_"), null);
    assertThat(absentTables.exitCode()).isEqualTo(1);
    assertThat(absentTables.err()).contains("schema-postgresql.sql");
  }

  @Test
  void sendReadsAMessageFromStdinAndHonoursTheSuppressionList() throws Exception {
    Result added = run("suppress", "add", "Gone@Example.org", "--reason", "complaint");
    assertThat(added.exitCode()).as(added.err()).isZero();
    assertThat(run("suppress", "list").out()).containsPattern("gone@example.org +complaint");

    String message =
        "From: Shop <shop@example.com>\nTo: bob@example.org\nSubject: piped\nMessage-ID: <piped-1@example.com>\n"
            + "\nHello from stdin.\n";
    List<String> args =
        new ArrayList<>(
            List.of(
                "send",
                "--from",
                "shop@example.com",
                "--to",
                "bob@example.org,gone@example.org",
                "--message",
                "-",
                "--tag",
                "cli",
                "--table-prefix",
                prefix));
    Result sent = run(cli(args.toArray(String[]::new)), message);
    assertThat(sent.exitCode()).as(sent.err()).isZero();
    MessageId id = MessageId.parse(sent.out().strip());
    var view = store.find(id).orElseThrow();
    assertThat(view.messageIdHeader()).isEqualTo("<piped-1@example.com>");
    assertThat(view.tag()).isEqualTo("cli");
    assertThat(view.recipients())
        .extracting(r -> r.status())
        .containsExactly(RecipientStatus.PENDING, RecipientStatus.SUPPRESSED);
    String stored = new String(store.loadMime(id), StandardCharsets.US_ASCII);
    assertThat(stored).contains("Hello from stdin.\r\n");
    assertThat(stored.replace("\r\n", ""))
        .as("the piped LF line ends are stored as CRLF")
        .doesNotContain("\n");

    assertThat(run("suppress", "remove", "gone@example.org").exitCode()).isZero();
    assertThat(run("suppress", "remove", "gone@example.org").exitCode()).isEqualTo(1);
  }

  @Test
  void aSuppressionScopedToATagStopsOnlyMailWithThatTag() throws Exception {
    Result added =
        run("suppress", "add", "reader@example.org", "--scope", "newsletter", "--reason", "left");
    assertThat(added.exitCode()).as(added.err()).isZero();
    assertThat(run("suppress", "list").out())
        .containsPattern("reader@example.org +left +newsletter");
    String message = "From: shop@example.com\nTo: reader@example.org\nSubject: s\n\nHello.\n";
    List<RecipientStatus> statuses = new ArrayList<>();
    for (String tag : List.of("newsletter", "receipt")) {
      Result sent =
          run(
              cli(
                  "send",
                  "--from",
                  "shop@example.com",
                  "--to",
                  "reader@example.org",
                  "--message",
                  "-",
                  "--tag",
                  tag,
                  "--table-prefix",
                  prefix),
              message);
      assertThat(sent.exitCode()).as(sent.err()).isZero();
      statuses.add(
          store
              .find(MessageId.parse(sent.out().strip()))
              .orElseThrow()
              .recipients()
              .get(0)
              .status());
    }
    assertThat(statuses).containsExactly(RecipientStatus.SUPPRESSED, RecipientStatus.PENDING);
    assertThat(run("suppress", "add", "reader@example.org", "--scope", "no spaces").exitCode())
        .isNotZero();
  }

  @Test
  void sendRefusesAMessageWithANulInAHeaderAndStoresNothing() throws Exception {
    String message =
        "From: shop@example.com\nTo: bob@example.org\nX-Campaign: a\u0000b\nSubject: nul\n\nbody\n";
    Result refused =
        run(
            cli(
                "send",
                "--from",
                "shop@example.com",
                "--to",
                "bob@example.org",
                "--message",
                "-",
                "--table-prefix",
                prefix),
            message);
    assertThat(refused.exitCode()).as(refused.out()).isEqualTo(2);
    assertThat(refused.err()).contains("header[X-Campaign]").contains("control character");
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + prefix + "message");
        var rs = ps.executeQuery()) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).as("messages stored").isZero();
    }
  }

  @Test
  void everyCommandTakesHelpAndErrorsAreOneLineWithAHint() throws Exception {
    for (List<String> command :
        List.of(
            List.of("show"),
            List.of("list"),
            List.of("hold"),
            List.of("run"),
            List.of("suppress", "add"),
            List.of("erase"),
            List.of("send"),
            List.of("stats"))) {
      for (String flag :
          command.get(0).equals("show") || command.get(0).equals("suppress")
              ? List.of("--help", "-h")
              : List.of("--help")) {
        List<String> args = new ArrayList<>(command);
        args.add(flag);
        Result help = run(cli(args.toArray(String[]::new)), null);
        assertThat(help.exitCode()).as(args + ": " + help.err()).isZero();
        assertThat(help.out())
            .as(args.toString())
            .startsWith("Usage: mailqueue " + String.join(" ", command));
        assertThat(help.err()).as(args.toString()).isEmpty();
      }
    }

    Result missingId = run(cli("show"), null);
    assertThat(missingId.exitCode()).isEqualTo(2);
    assertThat(missingId.out()).isEmpty();
    assertThat(missingId.err())
        .isEqualTo(
            "error: Missing required parameter: 'ID'"
                + System.lineSeparator()
                + "try 'mailqueue show --help'"
                + System.lineSeparator());

    Result unknownOption = run(cli("list", "--bogus"), null);
    assertThat(unknownOption.exitCode()).isEqualTo(2);
    assertThat(unknownOption.err())
        .as("no usage after an error")
        .doesNotContain("Usage:")
        .contains("error: Unknown option: '--bogus'")
        .contains("try 'mailqueue list --help'");
  }

  @Test
  void versionIsTheBuildsVersion() throws Exception {
    for (List<String> args :
        List.of(List.of("--version"), List.of("-V"), List.of("list", "--version"))) {
      Result version = run(cli(args.toArray(String[]::new)), null);
      assertThat(version.exitCode()).as(version.err()).isZero();
      assertThat(version.out().strip())
          .as(args.toString())
          .matches("mailqueue \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }
  }

  /**
   * stdout holds the command's output only; a library warning (the local PostgreSQL runs with
   * autovacuum off) is one line on stderr in a command line tool's form, printed once, by stats;
   * other commands such as list stay quiet.
   */
  @Test
  void libraryWarningsGoToStderrInTheCliFormOnce() throws Exception {
    insert("shop@example.com", null, "a@example.org");
    boolean autovacuumOff;
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT current_setting('autovacuum')");
        var rs = ps.executeQuery()) {
      rs.next();
      autovacuumOff = rs.getString(1).equalsIgnoreCase("off");
    }
    for (String command : List.of("stats", "list")) {
      Result r = run(command);
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.out())
          .as(command)
          .doesNotContain("WARN")
          .doesNotContain("autovacuum")
          .doesNotContain("dev.mailqueue");
      if (!command.equals("stats")) {
        assertThat(r.err())
            .as(command + ": library warnings are for stats (and run), not every call")
            .isEmpty();
      } else if (autovacuumOff) {
        assertThat(r.err().lines().toList())
            .as(command)
            .hasSize(1)
            .first()
            .asString()
            .startsWith("mailqueue: warning: PostgreSQL runs with autovacuum off");
      } else {
        assertThat(r.err()).as(command).isEmpty();
      }
    }
  }

  /** A database that is not there fails on the first try, with the driver's reason in one line. */
  @Test
  void aBadJdbcUrlFailsAtOnceWithTheDriversReason() throws Exception {
    String base = url.substring(0, url.indexOf('?') < 0 ? url.length() : url.indexOf('?'));
    String noDatabase =
        url.replace(base, base.substring(0, base.lastIndexOf('/') + 1) + "no_such_db_" + prefix);
    Result absent = run(cli("list", "--jdbc-url", noDatabase), null);
    assertThat(absent.exitCode()).isEqualTo(1);
    assertThat(absent.err().lines().toList())
        .as(absent.err())
        .hasSize(1)
        .first()
        .asString()
        .startsWith("error: cannot connect to the database: ")
        .contains("no_such_db_" + prefix);

    Result refused = run(cli("list", "--jdbc-url", "jdbc:postgresql://127.0.0.1:1/test"), null);
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err().lines().toList())
        .as(refused.err())
        .hasSize(1)
        .first()
        .asString()
        .startsWith("error: cannot connect to the database: ")
        .contains("refused");
  }

  @Test
  void runDeliversThroughARelayUntilSigtermWithItsOptionsAndExits143() throws Exception {
    GreenMail relay = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    relay.start();
    Process p = null;
    File out = File.createTempFile("run", ".out");
    try {
      MessageId id = insert("shop@example.com", null, "bob@example.org");
      ProcessBuilder pb =
          cli(
              "run",
              "--relay-host",
              "127.0.0.1",
              "--relay-port",
              String.valueOf(relay.getSmtp().getPort()),
              "--security",
              "none",
              "--poll-interval",
              "200ms",
              "--workers",
              "2",
              "--lease",
              "45s",
              "--worker-id",
              "cli-w1",
              "--ehlo-name",
              "mq.example.test",
              "--table-prefix",
              prefix);
      pb.redirectOutput(out).redirectError(ProcessBuilder.Redirect.DISCARD);
      p = pb.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> state(id) == MessageState.DELIVERED);
      assertThat(relay.getReceivedMessages()).hasSize(1);
      assertThat(
              String.join(
                  "\n", Collections.list(relay.getReceivedMessages()[0].getAllHeaderLines())))
          .as("the EHLO name in the relay's Received header")
          .contains("mq.example.test");
      p.destroy();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
      assertThat(p.exitValue()).as("128 + SIGTERM, as documented").isEqualTo(143);
      assertThat(Files.readString(out.toPath()))
          .contains("with 2 workers as cli-w1, mode live; stop with SIGTERM");
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
      relay.stop();
      Files.deleteIfExists(out.toPath());
    }
  }

  /** Issue 19: run --mode capture records mail CAPTURED, sends nothing and names the mode. */
  @Test
  void runInCaptureModeSendsNothingAndSaysSo() throws Exception {
    GreenMail relay = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    relay.start();
    Process p = null;
    File out = File.createTempFile("run", ".out");
    try {
      MessageId id = insert("shop@example.com", null, "bob@example.org");
      ProcessBuilder pb =
          cli(
              "run",
              "--relay-host",
              "127.0.0.1",
              "--relay-port",
              String.valueOf(relay.getSmtp().getPort()),
              "--security",
              "none",
              "--poll-interval",
              "200ms",
              "--mode",
              "capture",
              "--table-prefix",
              prefix);
      pb.redirectOutput(out).redirectError(ProcessBuilder.Redirect.DISCARD);
      p = pb.start();
      // a JVM to start and a schema check first: generous on a busy machine
      await().atMost(Duration.ofSeconds(60)).until(() -> state(id) == MessageState.CAPTURED);
      assertThat(relay.getReceivedMessages()).isEmpty();
      p.destroy();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readString(out.toPath())).contains(", mode capture; stop with SIGTERM");
      assertThat(run("stats").out()).containsIgnoringCase("captured");
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
      relay.stop();
      Files.deleteIfExists(out.toPath());
    }
  }

  @Test
  void runRefusesAModeWithoutItsListAsAUsageError() throws Exception {
    Result r = run(cli("run", "--direct", "--mode", "redirect"), null);
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("error: redirect mode needs at least one inbox");
    Result unknown = run(cli("run", "--direct", "--mode", "staging"), null);
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("error: unknown mode 'staging'");
  }

  @Test
  void runRefusesABadTrustStoreOrWorkerIdBeforeConnecting() throws Exception {
    Result noFile =
        run(
            cli(
                "run",
                "--relay-host",
                "relay.example.test",
                "--trust-store",
                "/nonexistent/ca.pem"),
            null);
    assertThat(noFile.exitCode()).isEqualTo(2);
    assertThat(noFile.err()).startsWith("error: cannot read trust store /nonexistent/ca.pem");
    Result badId = run(cli("run", "--direct", "--worker-id", "x".repeat(65)), null);
    assertThat(badId.exitCode()).isEqualTo(2);
    assertThat(badId.err()).startsWith("error: workerId must have 1 to 64 characters");
  }

  @Test
  void operationVerbsRefuseAMalformedIdAsShowDoes() throws Exception {
    for (String verb : List.of("hold", "release", "retry", "expire", "delete")) {
      Result r = run(verb, "nosuchid");
      assertThat(r.exitCode()).as(verb + ": " + r.err()).isEqualTo(2);
      assertThat(r.err())
          .as(verb)
          .isEqualTo(
              "error: 'nosuchid' is not a message id (a UUID such as "
                  + "01a2234f-8e28-779c-b8c1-ae654c82dbc3)"
                  + System.lineSeparator()
                  + "try 'mailqueue "
                  + verb
                  + " --help'"
                  + System.lineSeparator());
    }
    Result unknown = run("hold", MessageId.generate().toString());
    assertThat(unknown.exitCode())
        .as("a well-formed unknown id still fails while running")
        .isEqualTo(1);
  }

  @Test
  void runRefusesOptionCombinationsAsUsageErrorsInCliTerms() throws Exception {
    ProcessBuilder plain =
        cli(
            "run",
            "--relay-host",
            "127.0.0.1",
            "--security",
            "NONE",
            "--username",
            "mq",
            "--table-prefix",
            prefix);
    plain.environment().put("MAILQUEUE_SMTP_PASSWORD", "secret");
    Result credentials = run(plain, null);
    assertThat(credentials.exitCode()).as(credentials.err()).isEqualTo(2);
    assertThat(credentials.err())
        .startsWith("error: --username is never sent without TLS: remove --username, ")
        .contains("--security STARTTLS_REQUIRED or IMPLICIT_TLS")
        .endsWith("try 'mailqueue run --help'" + System.lineSeparator());

    Result both = run("run", "--relay-host", "127.0.0.1", "--direct");
    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err())
        .startsWith("error: give --relay-host or --direct, not both" + System.lineSeparator())
        .contains("try 'mailqueue run --help'");

    Result neither = run("run");
    assertThat(neither.exitCode()).isEqualTo(2);
    assertThat(neither.err())
        .startsWith(
            "error: give --relay-host HOST (a relay) or --direct (MX delivery)"
                + System.lineSeparator())
        .contains("try 'mailqueue run --help'");

    Result relayOptionWithDirect = run("run", "--direct", "--relay-port", "25");
    assertThat(relayOptionWithDirect.exitCode()).isEqualTo(2);
    assertThat(relayOptionWithDirect.err()).contains("apply to --relay-host, not --direct");

    MessageId id = insert("shop@example.com", null, "a@example.org");
    Result twoFormats = run("show", id.toString(), "--json", "--body");
    assertThat(twoFormats.exitCode()).isEqualTo(2);
    assertThat(twoFormats.err())
        .startsWith("error: give one of --json, --body or --raw, not several")
        .contains("try 'mailqueue show --help'");

    for (Result r : List.of(credentials, both, neither, relayOptionWithDirect, twoFormats)) {
      assertThat(r.err()).as("picocli's own prefix is not doubled").doesNotContain("Error:");
    }
  }

  @Test
  void aUrlWithoutADriverOrTablesIsExplainedInCliTerms() throws Exception {
    Result notJdbc = run(cli("stats", "--jdbc-url", "postgres://127.0.0.1/test"), null);
    assertThat(notJdbc.exitCode()).as(notJdbc.err()).isEqualTo(2);
    assertThat(notJdbc.err())
        .startsWith("error: 'postgres://127.0.0.1/test' is not a JDBC URL")
        .contains("jdbc:postgresql:, jdbc:mariadb:, jdbc:mysql: or jdbc:h2:")
        .contains("try 'mailqueue stats --help'")
        .doesNotContain("driver instance");

    Result absent = run(cli("stats", "--table-prefix", "absent_"), null);
    assertThat(absent.exitCode()).isEqualTo(1);
    assertThat(absent.err())
        .contains("schema-postgresql.sql")
        .contains("mq_ prefix replaced by absent_")
        .contains("or pass --create-schema")
        .doesNotContain("createSchema");
  }

  @Test
  void listSaysHowManyFinishedMessagesThePendingDefaultHid() throws Exception {
    MessageId done = insert("done@example.com", null, "a@example.org");
    insert("other@example.com", null, "b@example.org");
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE "
                    + prefix
                    + "message SET state = 'DELIVERED', "
                    + "due_at = NULL, finished_at = created_at WHERE id = ?")) {
      ps.setObject(1, done.value());
      ps.executeUpdate();
    }

    Result hidden = run("list", "--sender", "done@example.com");
    assertThat(hidden.exitCode()).as(hidden.err()).isZero();
    assertThat(hidden.out())
        .contains("-- 0 messages pending" + System.lineSeparator())
        .endsWith("-- 1 more in finished states: add --all-states" + System.lineSeparator());

    Result all = run("list", "--sender", "done@example.com", "--all-states");
    assertThat(all.out()).contains(done.toString()).doesNotContain("more in finished states");

    Result nothingHidden = run("list", "--sender", "other@example.com");
    assertThat(nothingHidden.out())
        .contains("-- 1 message pending")
        .doesNotContain("more in finished states");
  }

  @Test
  void suppressAddHelpSaysItAppliesToMailAlreadyQueued() throws Exception {
    Result help = run(cli("suppress", "add", "--help"), null);
    assertThat(help.exitCode()).isZero();
    assertThat(help.out().replaceAll("\\s+", " "))
        .contains("neither later mail nor mail already queued")
        .doesNotContain("later mail to it is not sent");
  }
}
