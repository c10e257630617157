package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.AttemptView;
import dev.mailqueue.Erasure;
import dev.mailqueue.HealthThresholds;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.MessageDetails;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.MessageView;
import dev.mailqueue.Priority;
import dev.mailqueue.QueueHealth;
import dev.mailqueue.QueueShape;
import dev.mailqueue.RecipientStatus;
import dev.mailqueue.SendQuota;
import dev.mailqueue.SenderBlock;
import dev.mailqueue.SmtpReply;
import dev.mailqueue.Suppression;
import dev.mailqueue.UnsubscribeTokens;
import dev.mailqueue.spi.ClaimedMail;
import dev.mailqueue.spi.Completion;
import dev.mailqueue.spi.QueuedMail;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The administrative interface and the suppression list on every database; one subclass per real
 * database supplies the DataSource.
 */
abstract class MailQueueAdminContract extends StoreTestBase {
  private static final Duration LEASE = Duration.ofMinutes(5);
  private static final SmtpReply OK = SmtpReply.parse(250, "2.0.0 ok");
  private static final SmtpReply GREYLISTED =
      SmtpReply.parse(451, "4.7.1 greylisted 50%_off, try later");
  private static final SmtpReply UNKNOWN = SmtpReply.parse(550, "5.1.1 user unknown");

  protected MailQueueAdmin admin;

  @BeforeEach
  void admin() {
    admin = store.admin();
  }

  static QueuedMail mail(String from, String tag, Instant notBefore, String... recipients) {
    MessageId id = MessageId.generate();
    List<MailAddress> to = new ArrayList<>();
    for (String r : recipients) {
      to.add(MailAddress.of(r));
    }
    byte[] mime =
        ("Message-ID: <" + id + "@example.com>\r\nSubject: test\r\n\r\nbody\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    return new QueuedMail(
        id,
        "<" + id + "@example.com>",
        MailAddress.of(from),
        to,
        mime,
        Priority.NORMAL,
        notBefore,
        Duration.ofDays(5),
        tag,
        null);
  }

  private MessageId insert(String from, String tag, String... recipients) {
    return store.insert(mail(from, tag, null, recipients));
  }

  private ClaimedMail claimOne() {
    List<ClaimedMail> claimed = store.claim("w1", 1, LEASE);
    assertThat(claimed).hasSize(1);
    return claimed.get(0);
  }

  private static Completion deferred(ClaimedMail m, SmtpReply reply) {
    List<Completion.RecipientUpdate> updates = new ArrayList<>();
    for (ClaimedMail.PendingRecipient p : m.recipients()) {
      updates.add(new Completion.RecipientUpdate(p.index(), RecipientStatus.DEFERRED, reply));
    }
    return new Completion(
        MessageState.DEFERRED,
        Duration.ofHours(1),
        true,
        false,
        updates,
        "mx1.example.org",
        Duration.ofMillis(42),
        reply);
  }

  private static Completion finished(
      ClaimedMail m, MessageState state, RecipientStatus status, SmtpReply reply) {
    List<Completion.RecipientUpdate> updates = new ArrayList<>();
    for (ClaimedMail.PendingRecipient p : m.recipients()) {
      updates.add(new Completion.RecipientUpdate(p.index(), status, reply));
    }
    return new Completion(
        state, null, true, false, updates, "mx2.example.org", Duration.ofMillis(7), reply);
  }

  /**
   * The completion with the claim's suppressed recipients recorded SUPPRESSED, as the engine adds
   * them.
   */
  private static Completion withSuppressed(ClaimedMail m, Completion c) {
    SmtpReply reply = SmtpReply.local(550, "5.7.1", "recipient on the suppression list, not sent");
    List<Completion.RecipientUpdate> updates = new ArrayList<>(c.recipients());
    for (ClaimedMail.PendingRecipient p : m.suppressed()) {
      updates.add(new Completion.RecipientUpdate(p.index(), RecipientStatus.SUPPRESSED, reply));
    }
    return new Completion(
        c.newState(),
        c.retryDelay(),
        c.countsAsAttempt(),
        c.uncertain(),
        updates,
        c.remoteHost(),
        c.duration(),
        c.summary());
  }

  private MessageState state(MessageId id) {
    return store.find(id).orElseThrow().state();
  }

  /** Moves a message's enqueue time into the past, as if it had waited that long. */
  private void age(MessageId id, Duration by) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE " + prefix + "message SET created_at = created_at - ? " + "WHERE id = ?")) {
      ps.setLong(1, by.toMillis());
      ps.setObject(2, store.dialectName().equals("mariadb") ? id.value().toString() : id.value());
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  private static List<MessageId> ids(List<MessageSummary> list) {
    return list.stream().map(MessageSummary::id).toList();
  }

  @Test
  void listFiltersByStateTagSenderDomainAgeAndLastReply() throws SQLException {
    MessageId receipt = insert("shop@example.com", "receipt", "a@gmail.com", "b@example.org");
    MessageId news = insert("news@example.com", "newsletter", "c@yahoo.com");
    MessageId greylisted = insert("shop@example.com", "receipt", "d@yahoo.com");
    age(news, Duration.ofHours(2));
    // Claim order is by due time: take the greylisted one through one deferred attempt.
    List<ClaimedMail> claimed = store.claim("w1", 3, LEASE);
    for (ClaimedMail c : claimed) {
      if (c.id().equals(greylisted)) {
        assertThat(store.complete(c, deferred(c, GREYLISTED))).isTrue();
      }
    }
    store.release(claimed.stream().filter(c -> !c.id().equals(greylisted)).toList());

    assertThat(ids(admin.list(MessageFilter.all())))
        .containsExactlyInAnyOrder(receipt, news, greylisted);
    assertThat(ids(admin.list(MessageFilter.state(MessageState.DEFERRED))))
        .containsExactly(greylisted);
    assertThat(ids(admin.list(MessageFilter.builder().tag("receipt").build())))
        .containsExactlyInAnyOrder(receipt, greylisted);
    assertThat(ids(admin.list(MessageFilter.builder().sender("news@example.com").build())))
        .containsExactly(news);
    assertThat(ids(admin.list(MessageFilter.builder().recipientDomain("YAHOO.com").build())))
        .containsExactlyInAnyOrder(news, greylisted);
    assertThat(ids(admin.list(MessageFilter.builder().olderThan(Duration.ofHours(1)).build())))
        .containsExactly(news);
    assertThat(ids(admin.list(MessageFilter.builder().youngerThan(Duration.ofHours(1)).build())))
        .containsExactlyInAnyOrder(receipt, greylisted);
    assertThat(ids(admin.list(MessageFilter.builder().lastReplyCode(451).build())))
        .containsExactly(greylisted);
    assertThat(ids(admin.list(MessageFilter.builder().lastReplyContains("50%_off").build())))
        .containsExactly(greylisted);
    assertThat(admin.list(MessageFilter.builder().lastReplyContains("50%_of_").build()))
        .as("wildcards in the text are literal")
        .isEmpty();
    assertThat(
            admin.count(MessageFilter.builder().tag("receipt").sender("shop@example.com").build()))
        .isEqualTo(2);

    MessageSummary s = admin.list(MessageFilter.ids(greylisted)).get(0);
    assertThat(s.state()).isEqualTo(MessageState.DEFERRED);
    assertThat(s.attempts()).isEqualTo(1);
    assertThat(s.lastReply()).isEqualTo(GREYLISTED);
    assertThat(s.dueAt()).isAfter(Instant.now().plus(Duration.ofMinutes(50)));
    assertThat(admin.list(MessageFilter.ids(receipt)).get(0))
        .satisfies(
            r -> {
              assertThat(r.recipients()).isEqualTo(2);
              assertThat(r.pendingRecipients()).isEqualTo(2);
              assertThat(r.envelopeFrom().address()).isEqualTo("shop@example.com");
              assertThat(r.sizeBytes()).isPositive();
              assertThat(r.lastReply()).isNull();
            });
  }

  @Test
  void listPagesByOffsetAndByKeyset() {
    List<MessageId> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(insert("s@example.com", null, "r" + i + "@example.org"));
    }
    List<MessageId> ordered = ids(admin.list(MessageFilter.all()));
    assertThat(ordered).containsExactlyInAnyOrderElementsOf(all);

    assertThat(ids(admin.list(MessageFilter.builder().limit(2).offset(2).build())))
        .containsExactlyElementsOf(ordered.subList(2, 4));
    List<MessageId> keyset = new ArrayList<>();
    MessageId after = null;
    while (true) {
      List<MessageSummary> page = admin.list(MessageFilter.builder().limit(2).after(after).build());
      if (page.isEmpty()) {
        break;
      }
      keyset.addAll(ids(page));
      after = page.get(page.size() - 1).id();
    }
    assertThat(keyset).containsExactlyElementsOf(ordered);
  }

  @Test
  void showListsEveryAttemptWithItsReply() {
    MessageId id = insert("s@example.com", null, "bob@example.org");
    ClaimedMail first = claimOne();
    assertThat(store.complete(first, deferred(first, GREYLISTED))).isTrue();
    assertThat(admin.retryNow(id)).isTrue();
    ClaimedMail second = claimOne();
    assertThat(
            store.complete(
                second,
                finished(
                    second,
                    MessageState.BOUNCED,
                    RecipientStatus.BOUNCED,
                    SmtpReply.parse(550, "5.7.1 rejected by policy"))))
        .isTrue();

    MessageDetails d = admin.show(id).orElseThrow();
    assertThat(d.message().state()).isEqualTo(MessageState.BOUNCED);
    assertThat(d.sizeBytes()).isPositive();
    assertThat(d.attempts()).hasSize(2);
    AttemptView a1 = d.attempts().get(0);
    assertThat(a1.outcome()).isEqualTo(MessageState.DEFERRED);
    assertThat(a1.remoteHost()).isEqualTo("mx1.example.org");
    assertThat(a1.reply()).isEqualTo(GREYLISTED);
    assertThat(a1.duration()).isEqualTo(Duration.ofMillis(42));
    assertThat(a1.counted()).isTrue();
    assertThat(a1.uncertain()).isFalse();
    AttemptView a2 = d.attempts().get(1);
    assertThat(a2.reply().code()).isEqualTo(550);
    assertThat(a2.reply().enhancedStatus()).isEqualTo("5.7.1");
    assertThat(a2.finishedAt()).isAfterOrEqualTo(a1.finishedAt());
    assertThat(admin.show(MessageId.generate())).isEmpty();
  }

  @Test
  void showNamesTheLeaseOfAMessageBeingSentAndViewsAndContentAnswerForSeveral() {
    MessageId first = insert("s@example.com", null, "bob@example.org", "carol@example.net");
    MessageId second = insert("s@example.com", null, "dave@example.org");
    assertThat(admin.show(first).orElseThrow().leaseOwner()).as("not sending: no lease").isNull();
    ClaimedMail claimed = claimOne();
    MessageDetails sending = admin.show(claimed.id()).orElseThrow();
    assertThat(sending.message().state()).isEqualTo(MessageState.SENDING);
    assertThat(sending.leaseOwner()).isEqualTo("w1");
    assertThat(sending.leaseUntil()).isAfter(sending.message().createdAt());

    List<MessageView> views = admin.views(List.of(second, MessageId.generate(), first));
    assertThat(views).extracting(MessageView::id).containsExactly(second, first);
    assertThat(views.get(1).messageIdHeader()).isEqualTo("<" + first + "@example.com>");
    assertThat(views.get(1).recipients())
        .extracting(r -> r.address().address())
        .containsExactly("bob@example.org", "carol@example.net");
    assertThat(admin.views(List.of())).isEmpty();

    assertThat(new String(admin.content(first).orElseThrow(), StandardCharsets.US_ASCII))
        .isEqualTo("Message-ID: <" + first + "@example.com>\r\nSubject: test\r\n\r\nbody\r\n");
    assertThat(admin.content(MessageId.generate())).isEmpty();
  }

  @Test
  void holdKeepsMailFromWorkersUntilReleased() {
    MessageId held = insert("s@example.com", null, "a@example.org");
    MessageId other = insert("s@example.com", null, "b@example.org");
    assertThat(admin.hold(held)).isTrue();
    assertThat(admin.hold(held)).as("already held").isFalse();
    MessageView view = store.find(held).orElseThrow();
    assertThat(view.state()).isEqualTo(MessageState.HOLD);
    assertThat(view.dueAt()).isNull();

    ClaimedMail c = claimOne();
    assertThat(c.id()).isEqualTo(other);
    assertThat(admin.hold(other)).as("a message being sent is left alone").isFalse();
    assertThat(store.claim("w1", 10, LEASE)).as("held mail is never claimed").isEmpty();

    assertThat(admin.release(MessageFilter.state(MessageState.HOLD))).isEqualTo(1);
    assertThat(state(held)).isEqualTo(MessageState.QUEUED);
    assertThat(claimOne().id()).isEqualTo(held);
    assertThat(admin.release(held)).as("not held").isFalse();
  }

  @Test
  void releasedMailThatWasTriedBeforeIsDeferred() {
    MessageId id = insert("s@example.com", null, "a@example.org");
    ClaimedMail c = claimOne();
    store.complete(c, deferred(c, GREYLISTED));
    assertThat(admin.hold(MessageFilter.builder().lastReplyCode(451).build())).isEqualTo(1);
    assertThat(admin.release(id)).isTrue();
    assertThat(state(id)).isEqualTo(MessageState.DEFERRED);
    assertThat(claimOne().attempts()).isEqualTo(1);
  }

  @Test
  void retryNowMakesScheduledMailDue() {
    MessageId later =
        store.insert(
            mail(
                "s@example.com",
                "digest",
                Instant.now().plus(Duration.ofHours(3)),
                "a@example.org"));
    assertThat(store.claim("w1", 10, LEASE)).isEmpty();
    assertThat(admin.retryNow(MessageFilter.builder().tag("other").build())).isZero();
    assertThat(admin.retryNow(MessageFilter.builder().tag("digest").build())).isEqualTo(1);
    assertThat(admin.retryNow(later)).as("already due").isFalse();
    assertThat(claimOne().id()).isEqualTo(later);
  }

  @Test
  void expireGivesUpOnPendingRecipientsOnly() {
    MessageId id = insert("s@example.com", null, "ok@example.org", "later@example.org");
    ClaimedMail c = claimOne();
    store.complete(
        c,
        new Completion(
            MessageState.DEFERRED,
            Duration.ofHours(1),
            true,
            false,
            List.of(
                new Completion.RecipientUpdate(0, RecipientStatus.DELIVERED, OK),
                new Completion.RecipientUpdate(1, RecipientStatus.DEFERRED, GREYLISTED)),
            "mx",
            Duration.ofMillis(3),
            GREYLISTED));
    MessageId sending = insert("s@example.com", null, "x@example.org");
    claimOne();

    assertThat(admin.expire(MessageFilter.all())).isEqualTo(1);
    MessageView v = store.find(id).orElseThrow();
    assertThat(v.state()).isEqualTo(MessageState.EXPIRED);
    assertThat(v.dueAt()).isNull();
    assertThat(v.recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(RecipientStatus.DELIVERED, RecipientStatus.EXPIRED);
    assertThat(v.recipients().get(1).lastReply()).isEqualTo(GREYLISTED);
    assertThat(store.find(sending).orElseThrow().recipients().get(0).status())
        .isEqualTo(RecipientStatus.PENDING);
    assertThat(store.stats().backlog()).isEqualTo(1);
  }

  @Test
  void deleteRemovesMessagesWithTheirRowsByIdAndByFilter() {
    MessageId tried = insert("s@example.com", "spam", "a@example.org");
    ClaimedMail c = claimOne();
    store.complete(c, deferred(c, GREYLISTED));
    insert("s@example.com", "spam", "b@example.org");
    MessageId keep = insert("s@example.com", "receipt", "c@example.org");

    assertThat(admin.delete(tried)).isTrue();
    assertThat(store.find(tried)).isEmpty();
    assertThat(admin.show(tried)).isEmpty();
    assertThat(admin.delete(MessageFilter.builder().tag("spam").build())).isEqualTo(1);
    assertThat(ids(admin.list(MessageFilter.all()))).containsExactly(keep);
    assertThat(admin.delete(MessageId.generate())).isFalse();
  }

  @Test
  void bulkOperationsCoverMoreThanOneChunk() {
    int n = JdbcMailAdmin.CHUNK + 20;
    List<QueuedMail> mails = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      mails.add(mail("bulk@example.com", "campaign", null, "r" + i + "@example.org"));
    }
    store.insertAll(mails);
    insert("s@example.com", "receipt", "x@example.org");
    MessageFilter campaign = MessageFilter.builder().tag("campaign").build();
    assertThat(admin.hold(campaign)).isEqualTo(n);
    assertThat(admin.count(MessageFilter.state(MessageState.HOLD))).isEqualTo(n);
    assertThat(admin.delete(campaign)).isEqualTo(n);
    assertThat(admin.count(MessageFilter.all())).isEqualTo(1);
  }

  @Test
  void shapeCountsPendingMessagesPerDomainAndAge() throws SQLException {
    MessageId fresh = insert("s@example.com", null, "a@gmail.com", "b@gmail.com", "c@yahoo.com");
    MessageId old = insert("s@example.com", null, "d@gmail.com");
    MessageId ancient = insert("s@example.com", null, "e@gmail.com");
    age(old, Duration.ofMinutes(30));
    age(ancient, Duration.ofHours(5));
    MessageId done = insert("s@example.com", null, "f@gmail.com");
    age(done, Duration.ofDays(1));
    ClaimedMail c =
        store.claim("w1", 10, LEASE).stream()
            .filter(m -> m.id().equals(done))
            .findFirst()
            .orElseThrow();
    store.complete(c, finished(c, MessageState.DELIVERED, RecipientStatus.DELIVERED, OK));
    assertThat(fresh).isNotNull();

    QueueShape shape = admin.shape();
    assertThat(shape.bucketLabels())
        .containsExactly("0-5m", "5-10m", "10-20m", "20-40m", "40-80m", "80-160m", "160m+");
    assertThat(shape.domains())
        .extracting(QueueShape.Row::domain)
        .containsExactly("gmail.com", "yahoo.com");
    assertThat(shape.domains().get(0).buckets()).containsExactly(1L, 0L, 0L, 1L, 0L, 0L, 1L);
    assertThat(shape.domains().get(0).count()).isEqualTo(3);
    assertThat(shape.domains().get(1).buckets()).containsExactly(1L, 0L, 0L, 0L, 0L, 0L, 0L);
    assertThat(shape.total().count()).isEqualTo(4);
    assertThat(admin.shape(EnumSet.of(MessageState.DEFERRED), 10).total().count()).isZero();
    assertThat(admin.shape(EnumSet.of(MessageState.QUEUED, MessageState.SENDING), 1).domains())
        .hasSize(1);

    assertThat(admin.stats().count(MessageState.DELIVERED)).isEqualTo(1);
    assertThat(admin.stats().oldestWaiting()).isGreaterThanOrEqualTo(Duration.ofHours(5));
    QueueHealth health = admin.health(HealthThresholds.defaults());
    assertThat(health.status()).isEqualTo(QueueHealth.Status.DEGRADED);
    assertThat(health.reasons()).singleElement().asString().contains("oldest waiting message");
    assertThat(admin.health(new HealthThresholds(Duration.ofHours(6), 1000)).isOk()).isTrue();
  }

  @Test
  void suppressedRecipientsAreNotSentTo() {
    admin.suppress("Gone@Example.org", null, null);
    assertThat(admin.suppression("gone@example.org"))
        .get()
        .satisfies(
            s -> {
              assertThat(s.reason()).isEqualTo(Suppression.MANUAL);
              assertThat(s.expiresAt()).isNull();
            });
    MessageId mixed = insert("s@example.com", null, "gone@example.org", "here@example.org");
    ClaimedMail c = claimOne();
    assertThat(c.id()).isEqualTo(mixed);
    assertThat(c.recipients())
        .extracting(p -> p.address().address())
        .containsExactly("here@example.org");
    assertThat(c.suppressed())
        .as("for the engine to record and tell")
        .extracting(p -> p.address().address())
        .containsExactly("gone@example.org");
    store.complete(
        c, withSuppressed(c, finished(c, MessageState.DELIVERED, RecipientStatus.DELIVERED, OK)));
    assertThat(store.find(mixed).orElseThrow().recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(RecipientStatus.SUPPRESSED, RecipientStatus.DELIVERED);

    MessageId allSuppressed = insert("s@example.com", null, "GONE@example.org");
    MessageView v = store.find(allSuppressed).orElseThrow();
    assertThat(v.state())
        .as("queued all the same, so that the engine records it and tells its listener")
        .isEqualTo(MessageState.QUEUED);
    assertThat(v.recipients().get(0).status()).isEqualTo(RecipientStatus.SUPPRESSED);
    ClaimedMail s = claimOne();
    assertThat(s.id()).isEqualTo(allSuppressed);
    assertThat(s.recipients()).as("nothing to send").isEmpty();
    assertThat(s.suppressed())
        .extracting(p -> p.address().address())
        .containsExactly("GONE@example.org");
    assertThat(s.deliveredBefore()).isFalse();
    assertThat(
            store.complete(
                s,
                withSuppressed(
                    s, finished(s, MessageState.SUPPRESSED, RecipientStatus.DELIVERED, OK))))
        .isTrue();
    assertThat(state(allSuppressed)).isEqualTo(MessageState.SUPPRESSED);
    assertThat(admin.stats().count(MessageState.SUPPRESSED))
        .as("counted apart from delivered")
        .isEqualTo(1);
    assertThat(store.claim("w1", 10, LEASE)).isEmpty();

    assertThat(admin.unsuppress("gone@example.org")).isTrue();
    assertThat(admin.unsuppress("gone@example.org")).isFalse();
    MessageId again = insert("s@example.com", null, "gone@example.org");
    assertThat(store.find(again).orElseThrow().recipients().get(0).status())
        .isEqualTo(RecipientStatus.PENDING);
  }

  @Test
  void suppressingAnAddressSuppressesItsPendingRecipientsInQueuedMailButNotInMailBeingSent()
      throws Exception {
    MessageId sending = insert("s@example.com", null, "x@example.org");
    ClaimedMail leased = claimOne();
    assertThat(leased.id()).isEqualTo(sending);
    MessageId mixed = insert("s@example.com", null, "x@example.org", "y@example.org");
    MessageId alone =
        store.insert(
            mail("s@example.com", null, Instant.now().plus(Duration.ofHours(3)), "x@example.org"));
    MessageId held = insert("s@example.com", null, "x@example.org");
    assertThat(admin.hold(MessageFilter.builder().ids(List.of(held)).build())).isEqualTo(1);
    MessageId other = insert("s@example.com", null, "z@example.org");

    admin.suppress("x@EXAMPLE.org", "complaint", null);

    assertThat(store.find(sending).orElseThrow().recipients().get(0).status())
        .as("being sent under a lease: left to its attempt")
        .isEqualTo(RecipientStatus.PENDING);
    assertThat(store.find(mixed).orElseThrow().recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(RecipientStatus.SUPPRESSED, RecipientStatus.PENDING);
    MessageView aloneView = store.find(alone).orElseThrow();
    assertThat(aloneView.recipients().get(0).status()).isEqualTo(RecipientStatus.SUPPRESSED);
    assertThat(aloneView.dueAt())
        .as("nothing left to send: due at once, not in three hours")
        .isBefore(Instant.now().plus(Duration.ofHours(1)));
    assertThat(store.find(held).orElseThrow().recipients().get(0).status())
        .isEqualTo(RecipientStatus.SUPPRESSED);
    assertThat(state(held)).isEqualTo(MessageState.HOLD);
    assertThat(store.find(other).orElseThrow().recipients().get(0).status())
        .isEqualTo(RecipientStatus.PENDING);

    List<ClaimedMail> claimed = store.claim("w2", 10, LEASE);
    assertThat(claimed).extracting(ClaimedMail::id).containsExactlyInAnyOrder(mixed, alone, other);
    ClaimedMail a = claimed.stream().filter(m -> m.id().equals(alone)).findFirst().orElseThrow();
    assertThat(a.recipients()).isEmpty();
    assertThat(a.suppressed())
        .extracting(p -> p.address().address())
        .containsExactly("x@example.org");
    ClaimedMail m = claimed.stream().filter(c -> c.id().equals(mixed)).findFirst().orElseThrow();
    assertThat(m.recipients())
        .extracting(p -> p.address().address())
        .containsExactly("y@example.org");
    assertThat(m.suppressed())
        .extracting(p -> p.address().address())
        .containsExactly("x@example.org");
  }

  @Test
  void aBatchEnqueueAppliesTheSuppressionListPerRecipient() throws Exception {
    admin.suppress("gone@example.org", null, null);
    QueuedMail mixed = mail("s@example.com", null, null, "GONE@example.org", "here@example.org");
    QueuedMail allSuppressed = mail("s@example.com", null, null, "gone@example.org");
    QueuedMail clean = mail("s@example.com", null, null, "other@example.org");
    try (java.sql.Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      store.insertAll(c, List.of(mixed, allSuppressed, clean));
      c.rollback();
    }
    assertThat(store.find(mixed.id())).as("the caller's rollback leaves nothing").isEmpty();

    assertThat(store.insertAll(List.of(mixed, allSuppressed, clean)))
        .containsExactly(mixed.id(), allSuppressed.id(), clean.id());
    assertThat(store.find(mixed.id()).orElseThrow().recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(RecipientStatus.SUPPRESSED, RecipientStatus.PENDING);
    MessageView queued = store.find(allSuppressed.id()).orElseThrow();
    assertThat(queued.state())
        .as("queued, for the engine to record SUPPRESSED")
        .isEqualTo(MessageState.QUEUED);
    assertThat(queued.recipients())
        .extracting(MessageView.Recipient::status)
        .containsExactly(RecipientStatus.SUPPRESSED);
    List<ClaimedMail> claimed = store.claim("w1", 10, LEASE);
    assertThat(claimed)
        .extracting(ClaimedMail::id)
        .containsExactlyInAnyOrder(mixed.id(), allSuppressed.id(), clean.id());
    assertThat(claimed)
        .filteredOn(m -> m.id().equals(allSuppressed.id()))
        .singleElement()
        .satisfies(m -> assertThat(m.recipients()).isEmpty());
    assertThat(store.loadMime(clean.id())).isEqualTo(clean.mime());
  }

  @Test
  void aScopedEntrySuppressesOnlyMailWithItsTag() {
    MessageId queuedNewsletter = insert("s@example.com", "newsletter", "Reader@example.org");
    MessageId queuedReceipt = insert("s@example.com", "receipt", "reader@example.org");
    admin.suppress("reader@example.org", "newsletter", "unsubscribed", null);

    assertThat(admin.suppression("reader@example.org")).as("not for all mail").isEmpty();
    assertThat(admin.suppression("reader@example.org", "newsletter"))
        .get()
        .satisfies(
            e -> {
              assertThat(e.scope()).isEqualTo("newsletter");
              assertThat(e.reason()).isEqualTo("unsubscribed");
            });
    assertThat(store.find(queuedNewsletter).orElseThrow().recipients().get(0).status())
        .as("already queued, with the tag")
        .isEqualTo(RecipientStatus.SUPPRESSED);
    assertThat(store.find(queuedReceipt).orElseThrow().recipients().get(0).status())
        .as("already queued, another tag")
        .isEqualTo(RecipientStatus.PENDING);

    MessageId newsletter = insert("s@example.com", "newsletter", "READER@example.org");
    MessageId receipt = insert("s@example.com", "receipt", "reader@example.org");
    MessageId untagged = insert("s@example.com", null, "reader@example.org");
    QueuedMail batchNewsletter = mail("s@example.com", "newsletter", null, "reader@example.org");
    QueuedMail batchReceipt = mail("s@example.com", "receipt", null, "reader@example.org");
    store.insertAll(List.of(batchNewsletter, batchReceipt));
    assertThat(
            List.of(newsletter, receipt, untagged, batchNewsletter.id(), batchReceipt.id()).stream()
                .map(id -> store.find(id).orElseThrow().recipients().get(0).status()))
        .containsExactly(
            RecipientStatus.SUPPRESSED,
            RecipientStatus.PENDING,
            RecipientStatus.PENDING,
            RecipientStatus.SUPPRESSED,
            RecipientStatus.PENDING);

    // An entry for all mail beside it: both are listed, in pages that split the address.
    admin.suppress("reader@example.org", UnsubscribeTokens.ALL_MAIL, "complaint", null);
    assertThat(store.find(insert("s@example.com", "receipt", "reader@example.org")))
        .get()
        .extracting(v -> v.recipients().get(0).status())
        .isEqualTo(RecipientStatus.SUPPRESSED);
    List<Suppression> first = admin.suppressionsAfter(null, 1);
    assertThat(first).hasSize(1);
    List<Suppression> rest = admin.suppressionsAfter(first.get(0), 10);
    assertThat(rest).hasSize(1);
    assertThat(java.util.Arrays.asList(first.get(0).scope(), rest.get(0).scope()))
        .containsExactlyInAnyOrder(null, "newsletter");
    assertThat(admin.suppressions((String) null, 10)).hasSize(2);
    assertThatThrownBy(() -> admin.suppress("reader@example.org", "no spaces", null, null))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(admin.unsuppress("reader@example.org")).isTrue();
    assertThat(admin.suppressions((String) null, 10)).as("every scope removed").isEmpty();
  }

  @Test
  void suppressionCanExpireAndIsListedByAddress() {
    admin.suppress("b@example.org", "complaint", null);
    admin.suppress("a@example.org", null, null);
    admin.suppress("soon@example.org", null, Duration.ofMillis(200));
    assertThat(admin.suppressions(null, 10))
        .extracting(Suppression::address)
        .containsExactly("a@example.org", "b@example.org", "soon@example.org");
    assertThat(admin.suppressions("a@example.org", 1))
        .extracting(Suppression::reason)
        .containsExactly("complaint");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> admin.suppression("soon@example.org").isEmpty());
    MessageId id = insert("s@example.com", null, "soon@example.org");
    assertThat(store.find(id).orElseThrow().recipients().get(0).status())
        .isEqualTo(RecipientStatus.PENDING);
    assertThat(admin.suppressions(null, 10)).hasSize(2);
  }

  @Test
  void hardBounceWithAConfiguredCodePutsTheRecipientOnTheList() {
    insert("s@example.com", null, "unknown@example.org", "blocked@example.org", "ok@example.org");
    ClaimedMail c = claimOne();
    store.complete(
        c,
        new Completion(
            MessageState.BOUNCED,
            null,
            true,
            false,
            List.of(
                new Completion.RecipientUpdate(0, RecipientStatus.BOUNCED, UNKNOWN),
                new Completion.RecipientUpdate(
                    1, RecipientStatus.BOUNCED, SmtpReply.parse(550, "5.7.1 blocked")),
                new Completion.RecipientUpdate(2, RecipientStatus.DELIVERED, OK)),
            "mx",
            Duration.ofMillis(3),
            UNKNOWN));

    assertThat(admin.suppression("unknown@example.org"))
        .get()
        .satisfies(
            s -> {
              assertThat(s.reason()).isEqualTo(Suppression.HARD_BOUNCE);
              assertThat(s.reply()).isEqualTo(UNKNOWN);
              assertThat(s.expiresAt())
                  .as("not for ever: 90 days by default")
                  .isEqualTo(s.createdAt().plus(JdbcMailStore.DEFAULT_BOUNCE_SUPPRESSION_TTL));
            });
    assertThat(admin.suppression("blocked@example.org"))
        .as("policy rejections are not suppressed")
        .isEmpty();
    assertThat(admin.suppression("ok@example.org")).isEmpty();

    // A second bounce of the same address (another message, same group commit) is an update, not an
    // error.
    insert("s@example.com", null, "unknown2@example.org");
    insert("s@example.com", null, "other@example.org");
    admin.unsuppress("unknown@example.org");
    List<ClaimedMail> both = store.claim("w1", 2, LEASE);
    List<Completion> completions = new ArrayList<>();
    for (ClaimedMail m : both) {
      completions.add(finished(m, MessageState.BOUNCED, RecipientStatus.BOUNCED, UNKNOWN));
    }
    assertThat(store.completeAll(both, completions)).containsExactly(true, true);
    assertThat(admin.suppressions(null, 10))
        .extracting(Suppression::address)
        .containsExactly("other@example.org", "unknown2@example.org");
  }

  /**
   * Issue 20: a bounce the transport marked as a block against the sender never suppresses, even
   * with its enhanced code among those configured to.
   */
  @Test
  void aBlockAgainstTheSenderIsNeverSuppressedWhateverItsCode() {
    JdbcMailStore strict =
        JdbcMailStore.builder(dataSource)
            .tablePrefix(prefix)
            .suppressOnBounce(Set.of("5.1.1", "5.7.1"))
            .build();
    strict.insert(mail("s@example.com", null, null, "listed@example.org", "refused@example.org"));
    ClaimedMail c = strict.claim("w1", 1, LEASE).get(0);
    SmtpReply listing = SmtpReply.parse(550, "5.7.1 blocked using zen.spamhaus.org");
    SmtpReply refused = SmtpReply.parse(550, "5.7.1 relay access denied");

    assertThat(
            strict.complete(
                c,
                new Completion(
                    MessageState.BOUNCED,
                    null,
                    true,
                    false,
                    List.of(
                        new Completion.RecipientUpdate(
                            0, RecipientStatus.BOUNCED, listing, SenderBlock.REPUTATION),
                        new Completion.RecipientUpdate(1, RecipientStatus.BOUNCED, refused)),
                    "mx",
                    Duration.ofMillis(3),
                    listing)))
        .isTrue();

    assertThat(admin.suppression("listed@example.org")).as("a block").isEmpty();
    assertThat(admin.suppression("refused@example.org"))
        .as("the same code without the block mark follows the configured codes")
        .isPresent();
  }

  @Test
  void bounceSuppressionCanBeTurnedOffOrKeptForEver() {
    JdbcMailStore off =
        JdbcMailStore.builder(dataSource).tablePrefix(prefix).bounceSuppression(false).build();
    off.insert(mail("s@example.com", null, null, "unknown@example.org"));
    ClaimedMail c = off.claim("w1", 1, LEASE).get(0);
    assertThat(off.complete(c, finished(c, MessageState.BOUNCED, RecipientStatus.BOUNCED, UNKNOWN)))
        .isTrue();
    assertThat(admin.suppression("unknown@example.org")).as("automatic suppression off").isEmpty();

    JdbcMailStore forEver =
        JdbcMailStore.builder(dataSource).tablePrefix(prefix).bounceSuppressionTtl(null).build();
    forEver.insert(mail("s@example.com", null, null, "unknown@example.org"));
    ClaimedMail d = forEver.claim("w1", 1, LEASE).get(0);
    assertThat(
            forEver.complete(
                d, finished(d, MessageState.BOUNCED, RecipientStatus.BOUNCED, UNKNOWN)))
        .isTrue();
    assertThat(admin.suppression("unknown@example.org"))
        .get()
        .satisfies(s -> assertThat(s.expiresAt()).isNull());
  }

  @Test
  void sendQuotaHoldsTheExcessOfARunawaySender() {
    store.sendQuotas(
        List.of(
            SendQuota.perSender(2, Duration.ofHours(1)),
            SendQuota.tag("campaign", 1, Duration.ofHours(1))));
    MessageId first = insert("loop@example.com", null, "a@example.org");
    MessageId second = insert("loop@example.com", null, "a@example.org");
    MessageId third = insert("loop@example.com", null, "a@example.org");
    MessageId otherSender = insert("fine@example.com", null, "a@example.org");
    MessageId campaign1 = insert("news@example.com", "campaign", "a@example.org");
    MessageId campaign2 = insert("news2@example.com", "campaign", "a@example.org");

    assertThat(ids(admin.list(MessageFilter.state(MessageState.HOLD))))
        .containsExactlyInAnyOrder(third, campaign2);
    assertThat(store.claim("w1", 10, LEASE))
        .extracting(ClaimedMail::id)
        .containsExactlyInAnyOrder(first, second, otherSender, campaign1);

    store.sendQuotas(List.of());
    MessageId fourth = insert("loop@example.com", null, "a@example.org");
    assertThat(state(fourth)).isEqualTo(MessageState.QUEUED);
    assertThat(admin.release(third)).isTrue();
    assertThat(claimOne().id()).isIn(third, fourth);
  }

  /**
   * A data subject's request: nothing of the address is left but what is being sent this very
   * moment.
   */
  @Test
  void eraseRemovesEveryMessageOfAnAddressAndItsSuppressionButNotOneBeingSent() {
    MessageId sending = insert("shop@example.com", "receipt", "Erin@Example.org");
    assertThat(claimOne().id()).isEqualTo(sending);
    MessageId queued =
        insert("shop@example.com", "receipt", "erin@example.org", "other@example.org");
    MessageId sent = insert("erin@example.org", "newsletter", "friend@example.net");
    MessageId unrelated = insert("shop@example.com", "receipt", "other@example.org");
    admin.suppress("ERIN@example.org", "complaint", null);

    Erasure erasure = admin.erase("erin@EXAMPLE.org");

    assertThat(erasure).isEqualTo(new Erasure(2, 1, true));
    assertThat(erasure.complete()).isFalse();
    assertThat(store.find(queued)).isEmpty();
    assertThat(store.find(sent)).isEmpty();
    assertThat(store.find(sending)).isPresent();
    assertThat(store.find(unrelated)).isPresent();
    assertThat(admin.suppression("erin@example.org")).isEmpty();
    assertThat(rows("body") + rows("recipient"))
        .as("body and recipient rows of the erased ones are gone")
        .isEqualTo(2 + 2);
    assertThat(admin.erase("nobody@example.org")).isEqualTo(new Erasure(0, 0, false));
  }

  private int rows(String table) {
    try (java.sql.Connection c = dataSource.getConnection();
        java.sql.ResultSet rs =
            c.createStatement().executeQuery("SELECT COUNT(*) FROM " + prefix + table)) {
      rs.next();
      return rs.getInt(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
