package dev.mailqueue.spring;

import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueueException;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.springframework.mail.MailException;
import org.springframework.mail.MailParseException;
import org.springframework.mail.MailPreparationException;
import org.springframework.mail.MailSendException;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

/**
 * A {@link JavaMailSender} that enqueues instead of sending, through a {@link
 * TransactionalMailQueue}: inside a transaction the mail is sent only if it commits. Existing code
 * that calls {@code JavaMailSender.send} gets retries, persistence and transactional delivery
 * without changes. Registered as the primary {@code JavaMailSender} when {@code
 * mailqueue.replace-java-mail-sender=true}.
 *
 * <p>A {@link MimeMessage} is queued as it is (its own headers, Message-ID kept if set), with the
 * envelope sender taken from its Sender header or else its first From address, and the envelope
 * recipients from its To, Cc and Bcc headers (the Bcc header itself is never sent). A {@link
 * SimpleMailMessage} is composed into a plain-text mail. A message without From (and Sender) gets
 * the {@code mail.from} of the JavaMail properties, as with Spring's own sender. Invalid messages
 * throw {@link MailPreparationException} or {@link MailParseException}; when several messages are
 * sent at once, the valid ones are enqueued and the failures are reported together in a {@link
 * MailSendException}, as {@code JavaMailSenderImpl} does. Thread-safe.
 */
public final class QueuedJavaMailSender implements JavaMailSender {
  private final TransactionalMailQueue queue;
  private final Session session;
  private final InternetAddress defaultFrom;

  /**
   * A sender enqueueing through {@code queue}, without a default From.
   *
   * @param queue the queue every message is enqueued on, in the caller's transaction; not null
   */
  public QueuedJavaMailSender(TransactionalMailQueue queue) {
    this(queue, new Properties());
  }

  /**
   * A sender enqueueing through {@code queue} whose messages are created in a JavaMail session with
   * {@code javaMailProperties} (the starter passes {@code spring.mail.properties.*}), as {@code
   * JavaMailSenderImpl}'s are. Their {@code mail.from}, when set, is the From of messages that have
   * neither a From nor a Sender, as for Spring's own sender.
   *
   * @param queue the queue every message is enqueued on, in the caller's transaction; not null
   * @param javaMailProperties JavaMail session properties, copied; not null, may be empty
   * @throws IllegalArgumentException if {@code mail.from} is not an address
   */
  public QueuedJavaMailSender(TransactionalMailQueue queue, Properties javaMailProperties) {
    this.queue = Objects.requireNonNull(queue, "queue");
    Properties copy = new Properties();
    copy.putAll(Objects.requireNonNull(javaMailProperties, "javaMailProperties"));
    this.session = Session.getInstance(copy);
    String from = copy.getProperty("mail.from");
    try {
      this.defaultFrom = from == null || from.isBlank() ? null : new InternetAddress(from, true);
    } catch (MessagingException e) {
      throw new IllegalArgumentException("mail.from is not an address: '" + from + "'", e);
    }
  }

  @Override
  public MimeMessage createMimeMessage() {
    return new MimeMessage(session);
  }

  @Override
  public MimeMessage createMimeMessage(InputStream contentStream) throws MailException {
    try {
      return new MimeMessage(session, contentStream);
    } catch (MessagingException e) {
      throw new MailParseException("cannot parse the MIME message", e);
    }
  }

  @Override
  public void send(MimeMessage... mimeMessages) throws MailException {
    Map<Object, Exception> failed = new LinkedHashMap<>();
    for (MimeMessage message : mimeMessages) {
      try {
        enqueue(toMail(message, defaultFrom));
      } catch (MailException e) {
        if (mimeMessages.length == 1) {
          throw e;
        }
        failed.put(message, e);
      }
    }
    throwIfFailed(failed);
  }

  @Override
  public void send(SimpleMailMessage... simpleMessages) throws MailException {
    Map<Object, Exception> failed = new LinkedHashMap<>();
    for (SimpleMailMessage message : simpleMessages) {
      try {
        enqueue(toMail(message, defaultFrom));
      } catch (MailException e) {
        if (simpleMessages.length == 1) {
          throw e;
        }
        failed.put(message, e);
      }
    }
    throwIfFailed(failed);
  }

  private void enqueue(Mail mail) {
    try {
      queue.enqueue(mail);
    } catch (InvalidMailException e) {
      throw new MailPreparationException(e.getMessage(), e);
    } catch (MailQueueException e) {
      throw new MailSendException(e.getMessage(), e);
    }
  }

  private static void throwIfFailed(Map<Object, Exception> failed) {
    if (!failed.isEmpty()) {
      throw new MailSendException(failed);
    }
  }

  static Mail toMail(MimeMessage message) {
    return toMail(message, null);
  }

  /**
   * {@code defaultFrom} (or null) becomes the From header of a message that has neither From nor
   * Sender.
   */
  static Mail toMail(MimeMessage message, InternetAddress defaultFrom) {
    try {
      Address sender = message.getSender();
      if (sender == null) {
        Address[] from = message.getFrom();
        sender = from == null || from.length == 0 ? null : from[0];
      }
      if (sender == null && defaultFrom != null) {
        message.setFrom(defaultFrom);
        sender = defaultFrom;
      }
      if (sender == null) {
        throw new MailPreparationException(
            "the message has neither a Sender nor a From address (nor is "
                + "spring.mail.properties.mail.from set)");
      }
      return Mail.ofMimeMessage(message, address(sender))
          .to(addresses(message.getRecipients(Message.RecipientType.TO)))
          .cc(texts(message.getRecipients(Message.RecipientType.CC)))
          .bcc(texts(message.getRecipients(Message.RecipientType.BCC)))
          .build();
    } catch (MessagingException e) {
      throw new MailParseException("cannot read the message's addresses: " + e.getMessage(), e);
    } catch (InvalidMailException e) {
      throw new MailPreparationException(e.getMessage(), e);
    }
  }

  static Mail toMail(SimpleMailMessage message) {
    return toMail(message, null);
  }

  /** {@code defaultFrom} (or null) is the From of a message without one. */
  static Mail toMail(SimpleMailMessage message, InternetAddress defaultFrom) {
    try {
      Mail.Builder b = Mail.builder();
      if (message.getFrom() != null) {
        b.from(message.getFrom());
      } else if (defaultFrom != null) {
        b.from(address(defaultFrom));
      }
      if (message.getReplyTo() != null) {
        b.replyTo(message.getReplyTo());
      }
      if (message.getTo() != null) {
        b.to(message.getTo());
      }
      if (message.getCc() != null) {
        b.cc(message.getCc());
      }
      if (message.getBcc() != null) {
        b.bcc(message.getBcc());
      }
      return b.subject(message.getSubject())
          .text(message.getText() != null ? message.getText() : "")
          .build();
    } catch (InvalidMailException e) {
      throw new MailPreparationException(e.getMessage(), e);
    }
  }

  private static MailAddress address(Address address) {
    if (address instanceof InternetAddress internet) {
      return MailAddress.of(internet.getAddress(), internet.getPersonal());
    }
    return MailAddress.parse(address.toString());
  }

  private static MailAddress[] addresses(Address[] addresses) {
    if (addresses == null) {
      return new MailAddress[0];
    }
    List<MailAddress> list = new ArrayList<>(addresses.length);
    for (Address a : addresses) {
      list.add(address(a));
    }
    return list.toArray(MailAddress[]::new);
  }

  /**
   * Cc and Bcc take strings on the builder; the address (without display name) is all the envelope
   * needs.
   */
  private static String[] texts(Address[] addresses) {
    MailAddress[] parsed = addresses(addresses);
    String[] texts = new String[parsed.length];
    for (int i = 0; i < parsed.length; i++) {
      texts[i] = parsed[i].address();
    }
    return texts;
  }
}
