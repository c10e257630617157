package dev.mailqueue.benchmarks;

import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The end-to-end baseline: the benchmark's messages sent by bare Angus Mail, no queue, one reused
 * {@link Transport} per connection. Each message is parsed from its stored bytes before it is sent,
 * as a queue must do. Messages are rendered by {@link #BareAngus}; only {@link #send()} is meant to
 * be timed.
 */
final class BareAngus {
  private final Session session;
  private final int connections;
  private final List<byte[]> messages;

  /** Renders {@code count} messages with {@code body} for a sink on 127.0.0.1:{@code port}. */
  BareAngus(int port, int connections, int count, String body) throws Exception {
    Properties p = new Properties();
    p.setProperty("mail.smtp.host", "127.0.0.1");
    p.setProperty("mail.smtp.port", Integer.toString(port));
    this.session = Session.getInstance(p);
    this.connections = connections;
    this.messages = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      MimeMessage m = new MimeMessage(session);
      m.setFrom("bench@example.com");
      m.setRecipients(MimeMessage.RecipientType.TO, recipient(i));
      m.setSubject("bench " + i);
      m.setText(body);
      m.saveChanges();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      m.writeTo(out);
      messages.add(out.toByteArray());
    }
  }

  /** Sends every message, spread over the connections, and returns when all are accepted. */
  void send() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < connections; t++) {
        int first = t;
        done.add(
            pool.submit(
                () -> {
                  try (Transport transport = session.getTransport("smtp")) {
                    transport.connect();
                    for (int i = first; i < messages.size(); i += connections) {
                      MimeMessage m =
                          new MimeMessage(session, new ByteArrayInputStream(messages.get(i)));
                      transport.sendMessage(
                          m, new InternetAddress[] {new InternetAddress(recipient(i))});
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static String recipient(int i) {
    return "r" + i + "@example.org";
  }
}
