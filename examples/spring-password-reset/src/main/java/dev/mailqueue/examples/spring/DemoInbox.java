package dev.mailqueue.examples.spring;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import dev.mailqueue.DeliveryEvent;
import dev.mailqueue.DeliveryListener;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageView;
import dev.mailqueue.RecipientOutcome;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;

/**
 * The demo's view of its SMTP sink: a {@link DeliveryListener} (the starter hands every listener
 * bean to the queue) that logs, for each delivered message, what the sink received under that
 * message's Message-ID.
 */
final class DemoInbox implements DeliveryListener {
  private static final Logger log = LoggerFactory.getLogger(DemoInbox.class);

  private final GreenMail sink;
  // a provider, not the queue: the queue is built with its listeners, so it cannot be injected into
  // one
  private final ObjectProvider<MailQueue> queue;
  private final CountDownLatch firstDelivery = new CountDownLatch(1);

  DemoInbox(GreenMail sink, ObjectProvider<MailQueue> queue) {
    this.sink = sink;
    this.queue = queue;
  }

  int port() {
    return sink.getSmtp().getPort();
  }

  /** Waits until the first message has been delivered; false if {@code timeout} passed first. */
  boolean awaitFirstDelivery(Duration timeout) throws InterruptedException {
    return firstDelivery.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void delivered(DeliveryEvent event) {
    String recipients =
        event.recipients().stream()
            .map(r -> r.recipient().address() + " (" + r.reply() + ")")
            .collect(Collectors.joining(", "));
    log.info("delivered {} [{}] to {}", event.messageId(), event.tag(), recipients);
    String header =
        queue.getObject().find(event.messageId()).map(MessageView::messageIdHeader).orElse(null);
    Arrays.stream(sink.getReceivedMessages())
        .filter(m -> Objects.equals(messageId(m), header))
        .findFirst()
        .ifPresent(
            m ->
                log.info(
                    "the SMTP sink received:\n  To: {}\n  Subject: {}\n\n{}",
                    event.recipients().stream().map(RecipientOutcome::recipient).toList(),
                    subject(m),
                    text(m).indent(2)));
    firstDelivery.countDown();
  }

  private static String messageId(MimeMessage m) {
    try {
      return m.getMessageID();
    } catch (MessagingException e) {
      return null;
    }
  }

  private static String subject(MimeMessage m) {
    try {
      return m.getSubject();
    } catch (MessagingException e) {
      return "?";
    }
  }

  private static String text(MimeMessage m) {
    try {
      return m.getContent() instanceof String text ? text : GreenMailUtil.getBody(m);
    } catch (IOException | MessagingException e) {
      return GreenMailUtil.getBody(m);
    }
  }
}
