package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.Suppression;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.QueuedMail;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The contract every database must satisfy; one subclass per real database supplies the DataSource.
 */
abstract class MailStoreContract extends StoreTestBase {
  private static final Duration LEASE = Duration.ofMinutes(5);

  static QueuedMail mail(String... recipients) {
    return mail(Priority.NORMAL, null, null, recipients);
  }

  static QueuedMail mail(
      Priority priority, String idempotencyKey, Instant notBefore, String... recipients) {
    MessageId id = MessageId.generate();
    List<MailAddress> to = new ArrayList<>();
    for (String r : recipients) {
      to.add(MailAddress.of(r));
    }
    byte[] mime =
        ("Message-ID: <" + id + "@example.com>\r\nSubject: test\r\n\r\nbody " + id + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    return new QueuedMail(
        id,
        "<" + id + "@example.com>",
        MailAddress.of("sender@example.com"),
        to,
        mime,
        priority,
        notBefore,
        Duration.ofDays(5),
        "test",
        idempotencyKey);
  }

  int countMessages() {
    try (Connection c = dataSource.getConnection();
        ResultSet rs =
            c.createStatement().executeQuery("SELECT COUNT(*) FROM " + prefix + "message")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static Completion finished(
      ClaimedMail m, MessageState state, RecipientStatus status, SmtpReply reply) {
    List<Completion.RecipientUpdate> updates = new ArrayList<>();
    for (ClaimedMail.PendingRecipient p : m.recipients()) {
      updates.add(new Completion.RecipientUpdate(p.index(), status, reply));
    }
    return new Completion(
        state, null, true, false, updates, "mx.example.com", Duration.ofMillis(12), reply);
  }

  @Test
  void insertedMailIsClaimedWithRecipientsAndBody() {
    QueuedMail m = mail("a@example.org", "b@example.net");
    assertThat(store.insert(m)).isEqualTo(m.id());

    List<ClaimedMail> claimed = store.claim("w1", 10, LEASE);
    assertThat(claimed).hasSize(1);
    ClaimedMail c = claimed.get(0);
    assertThat(c.id()).isEqualTo(m.id());
    assertThat(c.messageIdHeader()).isEqualTo(m.messageIdHeader());
    assertThat(c.recipients())
        .extracting(p -> p.address().address())
        .containsExactly("a@example.org", "b@example.net");
    assertThat(c.attempts()).isZero();
    assertThat(store.loadMime(m.id())).isEqualTo(m.mime());
    assertThat(store.claim("w2", 10, LEASE)).as("leased message is not claimed twice").isEmpty();
    assertThat(store.find(m.id()))
        .get()
        .extracting(MessageView::state)
        .isEqualTo(MessageState.SENDING);
  }

  @Test
  void recipientsKeepTheirOrderAtEveryCount() {
    // PostgreSQL binds up to 16 recipients one by one and more as arrays: both forms, and the edge
    for (int count : new int[] {1, 2, 16, 17, 40}) {
      String[] to = new String[count];
      for (int i = 0; i < count; i++) {
        to[i] = "r" + i + "-of-" + count + "@example.org";
      }
      QueuedMail m = mail(to);
      store.insert(m);
      List<ClaimedMail> claimed = store.claim("w1", 10, LEASE);
      assertThat(claimed)
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.id()).isEqualTo(m.id());
                assertThat(c.recipients())
                    .extracting(p -> p.address().address())
                    .containsExactly(to);
                assertThat(c.recipients())
                    .extracting(ClaimedMail.PendingRecipient::index)
                    .containsExactlyElementsOf(
                        java.util.stream.IntStream.range(0, count).boxed().toList());
              });
      store.complete(
          claimed.get(0),
          finished(
              claimed.get(0),
              MessageState.DELIVERED,
              RecipientStatus.DELIVERED,
              new SmtpReply(250, "2.0.0", "ok")));
    }
  }

  @Test
  void smallBodiesArriveWithTheClaim_largerOnesAreReadWhenSent() {
    QueuedMail small = mail("a@example.org");
    QueuedMail template = mail("b@example.org");
    byte[] bigger =
        (new String(template.mime(), StandardCharsets.US_ASCII) + "x".repeat(1000) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    QueuedMail large =
        new QueuedMail(
            template.id(),
            template.messageIdHeader(),
            template.envelopeFrom(),
            template.recipients(),
            bigger,
            template.priority(),
            null,
            Duration.ofDays(5),
            "test",
            null);
    store.insert(small);
    store.insert(large);
    try (JdbcMailStore limited =
        JdbcMailStore.builder(dataSource)
            .tablePrefix(prefix)
            .preloadBodyBytes(small.mime().length)
            .build()) {
      List<ClaimedMail> claimed = limited.claim("w1", 10, LEASE);
      assertThat(claimed).hasSize(2);
      for (ClaimedMail c : claimed) {
        if (c.id().equals(small.id())) {
          assertThat(c.preloadedMime())
              .as("at the limit: read with the claim")
              .isEqualTo(small.mime());
        } else {
          assertThat(c.preloadedMime()).as("over the limit: read when sent").isNull();
          assertThat(limited.loadMime(c.id())).isEqualTo(bigger);
        }
      }
      limited.release(claimed);
    }
    try (JdbcMailStore off =
        JdbcMailStore.builder(dataSource).tablePrefix(prefix).preloadBodyBytes(0).build()) {
      assertThat(off.claim("w1", 10, LEASE))
          .hasSize(2)
          .allSatisfy(c -> assertThat(c.preloadedMime()).isNull());
    }
  }

  @Test
  void callerTransactionDecides_rollbackLeavesNothing() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      store.insert(c, mail("a@example.org"));
      assertThat(c.getAutoCommit()).isFalse();
      c.rollback();
    }
    assertThat(countMessages()).isZero();
    assertThat(store.claim("w1", 10, LEASE)).isEmpty();
  }

  @Test
  void callerTransactionDecides_invisibleUntilCommit() throws SQLException {
    QueuedMail m = mail("a@example.org");
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      store.insert(c, m);
      assertThat(store.claim("w1", 10, LEASE)).as("not visible before commit").isEmpty();
      c.commit();
    }
    assertThat(store.claim("w1", 10, LEASE)).extracting(ClaimedMail::id).containsExactly(m.id());
  }

  @Test
  void idempotencyKeyStoresOnce() {
    QueuedMail first = mail(Priority.NORMAL, "order-42", null, "a@example.org");
    QueuedMail second = mail(Priority.NORMAL, "order-42", null, "a@example.org");
    assertThat(store.insert(first)).isEqualTo(first.id());
    assertThat(store.insert(second)).isEqualTo(first.id());
    assertThat(countMessages()).isEqualTo(1);
  }

  @Test
  void idempotencyKeyStoresOnceWhenTwoConnectionsRace() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 5; round++) {
        String key = "race-" + round;
        CountDownLatch bothInserted = new CountDownLatch(2);
        Callable<MessageId> task =
            () -> {
              try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                QueuedMail m = mail(Priority.NORMAL, key, null, "a@example.org");
                MessageId id;
                bothInserted.countDown();
                id = store.insert(c, m);
                c.commit();
                return id;
              }
            };
        Future<MessageId> a = pool.submit(task);
        Future<MessageId> b = pool.submit(task);
        assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo(b.get(30, TimeUnit.SECONDS));
      }
      assertThat(countMessages()).isEqualTo(5);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void insertAllIsAllOrNothing() {
    QueuedMail ok = mail("a@example.org");
    QueuedMail bad = mail("b@example.org");
    QueuedMail tooLongTag =
        new QueuedMail(
            bad.id(),
            bad.messageIdHeader(),
            bad.envelopeFrom(),
            bad.recipients(),
            bad.mime(),
            bad.priority(),
            null,
            bad.lifetime(),
            "t".repeat(200),
            null);
    assertThatThrownBy(() -> store.insertAll(List.of(ok, tooLongTag)))
        .isInstanceOf(JdbcStoreException.class);
    assertThat(countMessages()).isZero();
    QueuedMail second = mail("c@example.org");
    assertThat(store.insertAll(List.of(ok, second))).containsExactly(ok.id(), second.id());
    assertThat(countMessages()).isEqualTo(2);
  }

  @Test
  void higherPriorityIsClaimedFirst() {
    store.insert(mail(Priority.BULK, null, null, "bulk@example.org"));
    QueuedMail urgent = mail(Priority.HIGH, null, null, "reset@example.org");
    store.insert(urgent);
    assertThat(store.claim("w1", 1, LEASE))
        .extracting(ClaimedMail::id)
        .containsExactly(urgent.id());
  }

  @Test
  void scheduledMailWaitsForItsTime() {
    store.insert(
        mail(Priority.NORMAL, null, Instant.now().plus(Duration.ofHours(1)), "later@example.org"));
    assertThat(store.claim("w1", 10, LEASE)).isEmpty();
  }

  @Test
  void expiredLeaseIsReclaimedAndTheStaleWorkerIsFencedOut() {
    QueuedMail m = mail("a@example.org");
    store.insert(m);
    ClaimedMail stale = store.claim("w1", 1, Duration.ofMillis(300)).get(0);

    List<ClaimedMail> reclaimed = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              reclaimed.addAll(store.claim("w2", 1, LEASE));
              return !reclaimed.isEmpty();
            });
    ClaimedMail fresh = reclaimed.get(0);
    assertThat(fresh.id()).isEqualTo(m.id());
    assertThat(fresh.leaseToken()).isGreaterThan(stale.leaseToken());

    SmtpReply ok = SmtpReply.parse(250, "2.0.0 ok");
    assertThat(
            store.complete(
                stale, finished(stale, MessageState.DELIVERED, RecipientStatus.DELIVERED, ok)))
        .isFalse();
    assertThat(store.renewLease(stale, LEASE)).isFalse();
    assertThat(store.find(m.id()))
        .get()
        .extracting(MessageView::state)
        .isEqualTo(MessageState.SENDING);
    assertThat(
            store.complete(
                fresh, finished(fresh, MessageState.DELIVERED, RecipientStatus.DELIVERED, ok)))
        .isTrue();
    assertThat(store.find(m.id()))
        .get()
        .extracting(MessageView::state)
        .isEqualTo(MessageState.DELIVERED);
  }

  @Test
  void groupCompletionRecordsFreshLeasesAndRejectsTheStaleOne() {
    for (int i = 0; i < 3; i++) {
      store.insert(mail("r" + i + "@example.org"));
    }
    List<ClaimedMail> first = store.claim("w1", 3, Duration.ofMillis(300));
    assertThat(first).hasSize(3);
    ClaimedMail stale = first.get(1);
    // Only the middle one is taken over: the others are renewed by their worker.
    assertThat(store.renewLease(first.get(0), LEASE)).isTrue();
    assertThat(store.renewLease(first.get(2), LEASE)).isTrue();
    List<ClaimedMail> taken = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              taken.addAll(store.claim("w2", 3, LEASE));
              return !taken.isEmpty();
            });
    assertThat(taken).extracting(ClaimedMail::id).containsExactly(stale.id());

    SmtpReply ok = SmtpReply.parse(250, "2.0.0 ok");
    List<Completion> completions = new ArrayList<>();
    for (ClaimedMail m : first) {
      completions.add(finished(m, MessageState.DELIVERED, RecipientStatus.DELIVERED, ok));
    }
    assertThat(store.completeAll(first, completions)).containsExactly(true, false, true);
    assertThat(store.find(first.get(0).id()))
        .get()
        .extracting(MessageView::state)
        .isEqualTo(MessageState.DELIVERED);
    assertThat(store.find(stale.id()))
        .get()
        .satisfies(
            v -> {
              assertThat(v.state()).isEqualTo(MessageState.SENDING);
              assertThat(v.recipients().get(0).status()).isEqualTo(RecipientStatus.PENDING);
            });
    assertThat(store.find(first.get(2).id()))
        .get()
        .extracting(MessageView::state)
        .isEqualTo(MessageState.DELIVERED);
  }

  @Test
  void groupCompletionRecordsRepliesExactlyAsReceived() throws SQLException {
    store.insert(mail("a@example.org", "b@example.org"));
    store.insert(mail("c@example.org"));
    List<ClaimedMail> claimed = store.claim("w1", 2, LEASE);
    assertThat(claimed).hasSize(2);
    // Characters with a meaning in SQL array literals and CSV-like encodings, and a non-ASCII one.
    SmtpReply odd = SmtpReply.parse(550, "5.7.1 {\"quoted\", back\\slash}, NULL, 'single' ; Grüße");
    SmtpReply bare = SmtpReply.parse(451, "try again later");
    ClaimedMail two = claimed.get(0).recipients().size() == 2 ? claimed.get(0) : claimed.get(1);
    ClaimedMail one = two == claimed.get(0) ? claimed.get(1) : claimed.get(0);
    Completion bounced =
        new Completion(
            MessageState.BOUNCED,
            null,
            true,
            false,
            List.of(
                new Completion.RecipientUpdate(0, RecipientStatus.BOUNCED, odd),
                new Completion.RecipientUpdate(1, RecipientStatus.BOUNCED, null)),
            null,
            Duration.ofMillis(7),
            odd);
    Completion deferred =
        new Completion(
            MessageState.DEFERRED,
            Duration.ofHours(1),
            true,
            true,
            List.of(new Completion.RecipientUpdate(0, RecipientStatus.DEFERRED, bare)),
            "mx \"1\"",
            Duration.ZERO,
            bare);

    assertThat(store.completeAll(List.of(two, one), List.of(bounced, deferred)))
        .containsExactly(true, true);

    MessageView twoView = store.find(two.id()).orElseThrow();
    assertThat(twoView.state()).isEqualTo(MessageState.BOUNCED);
    assertThat(twoView.attempts()).isEqualTo(1);
    assertThat(twoView.dueAt()).isNull();
    assertThat(twoView.recipients())
        .extracting(MessageView.Recipient::lastReply)
        .containsExactly(odd, null);
    MessageView oneView = store.find(one.id()).orElseThrow();
    assertThat(oneView.state()).isEqualTo(MessageState.DEFERRED);
    assertThat(oneView.uncertainAttempts()).isEqualTo(1);
    assertThat(oneView.dueAt()).isAfter(Instant.now().plus(Duration.ofMinutes(50)));
    assertThat(oneView.recipients().get(0).lastReply()).isEqualTo(bare);
    try (Connection c = dataSource.getConnection();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT remote_host, outcome, reply_code, reply_enhanced, reply_text, uncertain FROM "
                        + prefix
                        + "attempt ORDER BY outcome")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isNull();
      assertThat(rs.getString(2)).isEqualTo("BOUNCED");
      assertThat(rs.getInt(3)).isEqualTo(550);
      assertThat(rs.getString(4)).isEqualTo("5.7.1");
      assertThat(rs.getString(5)).isEqualTo(odd.text());
      assertThat(rs.getBoolean(6)).isFalse();
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("mx \"1\"");
      assertThat(rs.getString(2)).isEqualTo("DEFERRED");
      assertThat(rs.getString(4)).isNull();
      assertThat(rs.getBoolean(6)).isTrue();
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void onlyDeferredRecipientsAreRetried() {
    QueuedMail m = mail("ok@example.org", "later@example.org", "gone@example.org");
    store.insert(m);
    ClaimedMail c = store.claim("w1", 1, LEASE).get(0);
    SmtpReply ok = SmtpReply.parse(250, "2.1.5 ok");
    SmtpReply busy = SmtpReply.parse(451, "4.2.0 try later");
    SmtpReply gone = SmtpReply.parse(550, "5.1.1 user unknown");
    Completion completion =
        new Completion(
            MessageState.DEFERRED,
            Duration.ZERO.plusMillis(1),
            true,
            false,
            List.of(
                new Completion.RecipientUpdate(0, RecipientStatus.DELIVERED, ok),
                new Completion.RecipientUpdate(1, RecipientStatus.DEFERRED, busy),
                new Completion.RecipientUpdate(2, RecipientStatus.BOUNCED, gone)),
            "mx",
            Duration.ofMillis(5),
            busy);
    assertThat(store.complete(c, completion)).isTrue();

    List<ClaimedMail> again = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              again.addAll(store.claim("w1", 1, LEASE));
              return !again.isEmpty();
            });
    ClaimedMail retry = again.get(0);
    assertThat(retry.attempts()).isEqualTo(1);
    assertThat(retry.bouncedBefore()).isTrue();
    assertThat(retry.recipients()).hasSize(1);
    assertThat(retry.recipients().get(0).address().address()).isEqualTo("later@example.org");
    assertThat(retry.recipients().get(0).lastReply()).isEqualTo(busy);

    MessageView view = store.find(m.id()).orElseThrow();
    assertThat(view.recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(
            RecipientStatus.DELIVERED, RecipientStatus.DEFERRED, RecipientStatus.BOUNCED);
    assertThat(view.recipients().get(2).lastReply()).isEqualTo(gone);
  }

  @Test
  void releasedMailIsDueAgainWithoutCountingAnAttempt() {
    store.insert(mail("a@example.org"));
    ClaimedMail c = store.claim("w1", 1, LEASE).get(0);
    store.release(List.of(c));
    ClaimedMail again = store.claim("w2", 1, LEASE).get(0);
    assertThat(again.id()).isEqualTo(c.id());
    assertThat(again.attempts()).isZero();
  }

  @Test
  void statsAndReplyCountsSummariseTheQueue() {
    store.insert(mail("a@example.org"));
    store.insert(mail("b@example.org"));
    ClaimedMail c = store.claim("w1", 1, LEASE).get(0);
    SmtpReply gone = SmtpReply.parse(550, "5.1.1 user unknown");
    store.complete(c, finished(c, MessageState.BOUNCED, RecipientStatus.BOUNCED, gone));

    assertThat(store.stats().count(MessageState.BOUNCED)).isEqualTo(1);
    assertThat(store.stats().count(MessageState.QUEUED)).isEqualTo(1);
    assertThat(store.stats().backlog()).isEqualTo(1);
    assertThat(store.replyCounts(10))
        .anySatisfy(
            rc -> {
              assertThat(rc.status()).isEqualTo(RecipientStatus.BOUNCED);
              assertThat(rc.reply()).isEqualTo(gone);
              assertThat(rc.recipients()).isEqualTo(1);
            });
  }

  /**
   * A delivered message's body (a reset link, a one-time code) is gone with the transaction that
   * records the delivery; a bounced one keeps it for inspection until purged.
   */
  @Test
  void aDeliveredBodyIsErasedWhenTheDeliveryIsRecordedAndABouncedOneIsKept() {
    QueuedMail delivered = mail("done@example.org");
    QueuedMail bounced = mail("gone@example.org");
    store.insertAll(List.of(delivered, bounced));
    List<ClaimedMail> claimed = store.claim("w1", 2, LEASE);
    assertThat(claimed).hasSize(2);
    ClaimedMail d =
        claimed.stream().filter(c -> c.id().equals(delivered.id())).findFirst().orElseThrow();
    ClaimedMail b =
        claimed.stream().filter(c -> c.id().equals(bounced.id())).findFirst().orElseThrow();
    assertThat(
            store.completeAll(
                List.of(d, b),
                List.of(
                    finished(
                        d,
                        MessageState.DELIVERED,
                        RecipientStatus.DELIVERED,
                        SmtpReply.parse(250, "2.0.0 ok")),
                    finished(
                        b,
                        MessageState.BOUNCED,
                        RecipientStatus.BOUNCED,
                        SmtpReply.parse(550, "5.1.1 unknown")))))
        .containsExactly(true, true);

    assertThat(store.loadMime(delivered.id())).isEmpty();
    assertThat(store.loadMime(bounced.id())).isEqualTo(bounced.mime());
    assertThat(store.find(delivered.id()).orElseThrow().state()).isEqualTo(MessageState.DELIVERED);
    // sender and tag stay for quotas and filters
    assertThat(store.admin().list(MessageFilter.builder().sender("sender@example.com").build()))
        .hasSize(2);
  }

  @Test
  void withRetainBodiesADeliveredBodyStaysUntilPurged() {
    JdbcMailStore keeping =
        JdbcMailStore.builder(dataSource).tablePrefix(prefix).retainBodies(true).build();
    QueuedMail m = mail("kept@example.org");
    keeping.insert(m);
    ClaimedMail c = keeping.claim("w1", 1, LEASE).get(0);
    keeping.complete(
        c,
        finished(c, MessageState.DELIVERED, RecipientStatus.DELIVERED, SmtpReply.parse(250, "ok")));
    assertThat(keeping.loadMime(m.id())).isEqualTo(m.mime());
  }

  @Test
  void aSuppressionWhoseTimeIsUpIsPurged() {
    store.admin().suppress("short@example.org", "manual", Duration.ofMillis(1));
    store.admin().suppress("forever@example.org", "manual", null);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              store.purgeFinished(Duration.ofDays(1), 100);
              return suppressionRows() == 1;
            });
    assertThat(store.admin().suppression("forever@example.org")).isPresent();
  }

  int suppressionRows() {
    try (Connection c = dataSource.getConnection();
        ResultSet rs =
            c.createStatement().executeQuery("SELECT COUNT(*) FROM " + prefix + "suppression")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void purgeRemovesOnlyFinishedMessagesPastRetention() {
    store.insert(mail("waiting@example.org"));
    store.insert(mail("done@example.org"));
    ClaimedMail c = store.claim("w1", 2, LEASE).get(0);
    store.complete(
        c,
        finished(c, MessageState.DELIVERED, RecipientStatus.DELIVERED, SmtpReply.parse(250, "ok")));
    assertThat(store.purgeFinished(Duration.ofDays(1), 100)).isZero();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> store.purgeFinished(Duration.ofMillis(1), 100) == 1);
    assertThat(countMessages()).isEqualTo(1);
    assertThat(store.find(c.id())).isEmpty();
  }

  @Test
  void twoWorkersClaimTenThousandMessagesExactlyOnce() throws Exception {
    int total = 10_000;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      for (int i = 0; i < total; i++) {
        store.insert(c, mail("r" + i + "@example.org"));
        if (i % 1000 == 999) {
          c.commit();
        }
      }
      c.commit();
    }
    Set<MessageId> seen = ConcurrentHashMap.newKeySet();
    List<MessageId> duplicates = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> workers = new ArrayList<>();
      for (String worker : List.of("w1", "w2")) {
        workers.add(
            pool.submit(
                () -> {
                  int claimedByMe = 0;
                  while (true) {
                    List<ClaimedMail> batch = store.claim(worker, 100, LEASE);
                    if (batch.isEmpty()) {
                      return claimedByMe;
                    }
                    for (ClaimedMail m : batch) {
                      if (!seen.add(m.id())) {
                        duplicates.add(m.id());
                      }
                    }
                    claimedByMe += batch.size();
                  }
                }));
      }
      int sum = 0;
      Set<Integer> perWorker = new HashSet<>();
      for (Future<Integer> f : workers) {
        int n = f.get(5, TimeUnit.MINUTES);
        perWorker.add(n);
        sum += n;
      }
      assertThat(duplicates).isEmpty();
      assertThat(seen).hasSize(total);
      assertThat(sum).isEqualTo(total);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void missingSchemaFailsFastWithAClearMessage() {
    JdbcMailStore other = JdbcMailStore.builder(dataSource).tablePrefix("absent_").build();
    assertThatThrownBy(other::start)
        .isInstanceOf(JdbcStoreException.class)
        .hasMessageContaining("absent_schema_version")
        .hasMessageContaining("schema-" + other.dialectName() + ".sql");
  }

  @Test
  void aVersion1SchemaIsUpgradedInPlaceKeepingItsMessagesForClaimsAndQuotas() throws Exception {
    String old = TestDatabases.randomPrefix();
    try {
      String dialect = store.dialectName();
      String script =
          new String(
                  MailStoreContract.class
                      .getResourceAsStream("v1/schema-" + dialect + ".sql")
                      .readAllBytes(),
                  StandardCharsets.UTF_8)
              .replace("mq_", old);
      MessageId id = MessageId.generate();
      Object idValue = dialect.equals("mariadb") ? id.toString() : id.value();
      byte[] mime = "Subject: from version 1\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
      try (Connection c = dataSource.getConnection();
          var s = c.createStatement()) {
        c.setAutoCommit(true);
        for (String statement : script.split(";\\s*\\n")) {
          String sql =
              statement
                  .lines()
                  .map(l -> l.contains("--") ? l.substring(0, l.indexOf("--")) : l)
                  .collect(java.util.stream.Collectors.joining("\n"))
                  .strip();
          if (!sql.isBlank()) {
            s.execute(sql);
          }
        }
        long now = System.currentTimeMillis();
        try (var ps =
            c.prepareStatement(
                "INSERT INTO "
                    + old
                    + "message (id, state, priority, due_at, created_at, "
                    + "updated_at, expires_at, tag, envelope_from, message_id_header, size_bytes) "
                    + "VALUES (?, 'QUEUED', ?, ?, ?, ?, ?, 'old-tag', 'legacy@example.com', '<v1@example.com>', ?)")) {
          ps.setObject(1, idValue);
          ps.setInt(2, Priority.NORMAL.rank());
          ps.setLong(3, now - 1000);
          ps.setLong(4, now - 1000);
          ps.setLong(5, now - 1000);
          ps.setLong(6, now + 86_400_000L);
          ps.setInt(7, mime.length);
          ps.executeUpdate();
        }
        try (var ps =
            c.prepareStatement("INSERT INTO " + old + "body (message_id, mime) VALUES (?, ?)")) {
          ps.setObject(1, idValue);
          ps.setBytes(2, mime);
          ps.executeUpdate();
        }
        try (var ps =
            c.prepareStatement(
                "INSERT INTO "
                    + old
                    + "recipient (message_id, idx, address, domain, status) "
                    + "VALUES (?, 0, 'r@example.org', 'example.org', 'PENDING')")) {
          ps.setObject(1, idValue);
          ps.executeUpdate();
        }
      }

      // An upgrade interrupted after its first step resumes: run that step by hand first.
      String upgrade =
          new String(
              JdbcMailStore.class
                  .getResourceAsStream("/dev/mailqueue/jdbc/upgrade-" + dialect + "-1-to-2.sql")
                  .readAllBytes(),
              StandardCharsets.UTF_8);
      String firstStep =
          upgrade
              .lines()
              .filter(l -> !l.startsWith("--"))
              .collect(java.util.stream.Collectors.joining("\n"))
              .strip()
              .split(";\\s*\\n")[0];
      assertThat(firstStep).startsWith("ALTER TABLE mq_body ADD COLUMN");
      try (Connection c = dataSource.getConnection();
          var s = c.createStatement()) {
        c.setAutoCommit(true);
        s.execute(firstStep.replace("mq_", old));
      }

      JdbcMailStore notUpgrading = JdbcMailStore.builder(dataSource).tablePrefix(old).build();
      assertThatThrownBy(notUpgrading::start)
          .isInstanceOf(JdbcStoreException.class)
          .hasMessageContaining("version 1 found")
          .hasMessageContaining("upgrade-" + dialect + "-1-to-2.sql");

      JdbcMailStore upgraded =
          JdbcMailStore.builder(dataSource).tablePrefix(old).createSchema(true).build();
      upgraded.start();
      JdbcMailStore.builder(dataSource)
          .tablePrefix(old)
          .createSchema(true)
          .build()
          .start(); // idempotent once at 2
      try (Connection c = dataSource.getConnection();
          ResultSet rs =
              c.createStatement().executeQuery("SELECT version FROM " + old + "schema_version")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(JdbcMailStore.SCHEMA_VERSION);
        assertThat(rs.next()).as("one version row").isFalse();
      }
      // The version 1 message counts against the sender's quota: its row was copied to the new
      // columns.
      upgraded.sendQuotas(
          List.of(
              dev.mailqueue.SendQuota.perSender(1, Duration.ofHours(1)),
              dev.mailqueue.SendQuota.tag("old-tag", 1, Duration.ofHours(1))));
      QueuedMail sameSender =
          new QueuedMail(
              MessageId.generate(),
              "<v2@example.com>",
              MailAddress.of("legacy@example.com"),
              List.of(MailAddress.of("s@example.org")),
              mime,
              Priority.NORMAL,
              null,
              Duration.ofDays(1),
              null,
              null);
      QueuedMail sameTag =
          new QueuedMail(
              MessageId.generate(),
              "<v2t@example.com>",
              MailAddress.of("new@example.com"),
              List.of(MailAddress.of("s@example.org")),
              mime,
              Priority.NORMAL,
              null,
              Duration.ofDays(1),
              "old-tag",
              null);
      QueuedMail neither =
          new QueuedMail(
              MessageId.generate(),
              "<v2n@example.com>",
              MailAddress.of("new2@example.com"),
              List.of(MailAddress.of("s@example.org")),
              mime,
              Priority.NORMAL,
              null,
              Duration.ofDays(1),
              "new-tag",
              null);
      for (QueuedMail m : List.of(sameSender, sameTag, neither)) {
        upgraded.insert(m);
      }
      assertThat(upgraded.find(sameSender.id()))
          .get()
          .extracting(MessageView::state)
          .isEqualTo(MessageState.HOLD);
      assertThat(upgraded.find(sameTag.id()))
          .get()
          .extracting(MessageView::state)
          .isEqualTo(MessageState.HOLD);
      assertThat(upgraded.find(neither.id()))
          .get()
          .extracting(MessageView::state)
          .isEqualTo(MessageState.QUEUED);

      List<ClaimedMail> claimed = upgraded.claim("w1", 10, LEASE);
      assertThat(claimed).extracting(ClaimedMail::id).containsExactlyInAnyOrder(id, neither.id());
      assertThat(upgraded.loadMime(id)).isEqualTo(mime);
      upgraded.close();
    } finally {
      TestDatabases.drop(dataSource, old);
    }
  }

  @Test
  void aVersion2SchemaIsUpgradedKeepingItsSuppressionsForAllMail() throws Exception {
    String old = TestDatabases.randomPrefix();
    try {
      String dialect = store.dialectName();
      runScript(
          new String(
                  MailStoreContract.class
                      .getResourceAsStream("v2/schema-" + dialect + ".sql")
                      .readAllBytes(),
                  StandardCharsets.UTF_8)
              .replace("mq_", old));
      try (Connection c = dataSource.getConnection();
          var ps =
              c.prepareStatement(
                  "INSERT INTO "
                      + old
                      + "suppression (address, reason, created_at) VALUES ('gone@example.org', 'manual', ?)")) {
        ps.setLong(1, System.currentTimeMillis());
        ps.executeUpdate();
      }
      // An upgrade interrupted after its first step resumes: run that step by hand first.
      String upgrade =
          new String(
              JdbcMailStore.class
                  .getResourceAsStream("/" + store.upgradeResource(2))
                  .readAllBytes(),
              StandardCharsets.UTF_8);
      String firstStep =
          upgrade
              .lines()
              .filter(l -> !l.startsWith("--"))
              .collect(java.util.stream.Collectors.joining("\n"))
              .strip()
              .split(";\\s*\\n")[0];
      assertThat(firstStep).startsWith("ALTER TABLE mq_suppression ADD COLUMN");
      runScript(firstStep.replace("mq_", old));

      JdbcMailStore notUpgrading = JdbcMailStore.builder(dataSource).tablePrefix(old).build();
      assertThatThrownBy(notUpgrading::start)
          .isInstanceOf(JdbcStoreException.class)
          .hasMessageContaining("version 2 found")
          .hasMessageContaining("upgrade-" + dialect + "-2-to-3.sql");

      JdbcMailStore upgraded =
          JdbcMailStore.builder(dataSource).tablePrefix(old).createSchema(true).build();
      upgraded.start();
      JdbcMailStore.builder(dataSource)
          .tablePrefix(old)
          .createSchema(true)
          .build()
          .start(); // idempotent once at 3
      try (Connection c = dataSource.getConnection();
          ResultSet rs =
              c.createStatement().executeQuery("SELECT version FROM " + old + "schema_version")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(3);
        assertThat(rs.next()).as("one version row").isFalse();
      }
      assertThat(upgraded.admin().suppression("gone@example.org"))
          .as("the version 2 entry applies to all mail")
          .get()
          .extracting(Suppression::scope)
          .isNull();
      upgraded.admin().suppress("gone@example.org", "newsletter", "unsubscribed", null);
      assertThat(upgraded.admin().suppressions((String) null, 10))
          .as("the key includes the scope")
          .hasSize(2);
      QueuedMail receipt =
          new QueuedMail(
              MessageId.generate(),
              "<v3@example.com>",
              MailAddress.of("s@example.com"),
              List.of(MailAddress.of("gone@example.org"), MailAddress.of("here@example.org")),
              "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII),
              Priority.NORMAL,
              null,
              Duration.ofDays(1),
              "receipt",
              null);
      upgraded.insert(receipt);
      assertThat(upgraded.find(receipt.id()).orElseThrow().recipients())
          .extracting(MessageView.Recipient::status)
          .containsExactly(RecipientStatus.SUPPRESSED, RecipientStatus.PENDING);
      upgraded.close();
    } finally {
      TestDatabases.drop(dataSource, old);
    }
  }

  /** Runs a script's statements in auto-commit, as a DBA would. */
  private void runScript(String script) throws Exception {
    try (Connection c = dataSource.getConnection();
        var s = c.createStatement()) {
      c.setAutoCommit(true);
      for (String statement : script.split(";\\s*\\n")) {
        String sql =
            statement
                .lines()
                .map(l -> l.contains("--") ? l.substring(0, l.indexOf("--")) : l)
                .collect(java.util.stream.Collectors.joining("\n"))
                .strip();
        if (!sql.isBlank()) {
          s.execute(sql);
        }
      }
    }
  }

  @Test
  void aClaimCompletesOnceEvenWhenTheCompletionIsRepeated() {
    // As after a commit whose reply was lost: the engine records the group again, one by one.
    QueuedMail m = mail("a@example.org");
    store.insert(m);
    ClaimedMail claimed = store.claim("w1", 1, LEASE).get(0);
    Completion deferred =
        new Completion(
            MessageState.DEFERRED,
            Duration.ofMinutes(5),
            true,
            false,
            List.of(
                new Completion.RecipientUpdate(
                    0, RecipientStatus.DEFERRED, new SmtpReply(451, "4.7.1", "later"))),
            "mx.example.com",
            Duration.ofMillis(12),
            new SmtpReply(451, "4.7.1", "later"));
    assertThat(store.isCompleted(claimed)).isFalse();
    assertThat(store.completeAll(List.of(claimed), List.of(deferred))).containsExactly(true);
    assertThat(store.isCompleted(claimed)).isTrue();
    assertThat(store.complete(claimed, deferred)).as("the same claim again").isFalse();
    assertThat(store.completeAll(List.of(claimed), List.of(deferred))).containsExactly(false);
    assertThat(store.find(m.id()))
        .get()
        .satisfies(
            v -> {
              assertThat(v.state()).isEqualTo(MessageState.DEFERRED);
              assertThat(v.attempts()).as("counted once").isEqualTo(1);
            });
  }

  @Test
  void aCompletionWaitingForAnotherTransactionsRowLockFailsAfterTheQueryTimeout() throws Exception {
    JdbcMailStore bounded =
        JdbcMailStore.builder(dataSource)
            .tablePrefix(prefix)
            .queryTimeout(Duration.ofSeconds(1))
            .build();
    QueuedMail m = mail("a@example.org");
    bounded.insert(m);
    ClaimedMail claimed = bounded.claim("w1", 1, LEASE).get(0);
    try (Connection locker = dataSource.getConnection()) {
      locker.setAutoCommit(false);
      try (var ps =
          locker.prepareStatement("SELECT id FROM " + prefix + "message WHERE id = ? FOR UPDATE")) {
        ps.setObject(1, store.dialectName().equals("mariadb") ? m.id().toString() : m.id().value());
        ps.executeQuery().close();
      }
      // PostgreSQL waits for a row lock for ever by default: without the timeout this would hang.
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          Duration.ofSeconds(30),
          () ->
              assertThatThrownBy(
                      () ->
                          bounded.complete(
                              claimed,
                              finished(
                                  claimed,
                                  MessageState.DELIVERED,
                                  RecipientStatus.DELIVERED,
                                  new SmtpReply(250, "2.0.0", "ok"))))
                  .isInstanceOf(RuntimeException.class));
      locker.rollback();
    }
    assertThat(
            bounded.complete(
                claimed,
                finished(
                    claimed,
                    MessageState.DELIVERED,
                    RecipientStatus.DELIVERED,
                    new SmtpReply(250, "2.0.0", "ok"))))
        .as("recorded once the lock is gone")
        .isTrue();
  }

  @Test
  void theDatabaseClockIsEpochMillisecondsInAnySessionTimeZone() throws Exception {
    try (Connection c = dataSource.getConnection();
        var s = c.createStatement()) {
      Dialect dialect =
          Dialect.detect(
              c.getMetaData().getDatabaseProductName(), c.getMetaData().getURL(), prefix, 30);
      // Far from UTC, with a half-hour offset: a clock expression that read wall-clock time would
      // be hours off.
      s.execute(
          dialect instanceof MariaDbDialect
              ? "SET time_zone = '+05:30'"
              : "SET TIME ZONE '+05:30'");
      long before = System.currentTimeMillis();
      long now;
      try (ResultSet rs = s.executeQuery("SELECT " + dialect.now())) {
        rs.next();
        now = rs.getLong(1);
      }
      long after = System.currentTimeMillis();
      // The server runs on this machine's clock; a few seconds allow for a database in a container.
      assertThat(now).isBetween(before - 5_000, after + 5_000);
    }
  }

  @Test
  void invalidTablePrefixIsRejected() {
    assertThatThrownBy(() -> JdbcMailStore.builder(dataSource).tablePrefix("mq; DROP TABLE x"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
