package dev.mailqueue.test;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.Priority;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import javax.sql.DataSource;

/**
 * The README's plain-Java example: a token row and the mail with the reset link, in one
 * transaction. The mail is sent if and only if the transaction commits.
 */
final class PasswordResets {
  private final DataSource db;
  private final MailQueue mail;
  private final SecureRandom random = new SecureRandom();

  PasswordResets(DataSource db, MailQueue mail) {
    this.db = db;
    this.mail = mail;
  }

  void createTables() throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS reset_token (token VARCHAR(64), email VARCHAR(254))");
    }
  }

  /** Stores a token and queues its mail; an unknown address rolls both back. */
  void requestReset(String email, boolean knownUser) throws SQLException {
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    String link = "https://shop.example/reset?token=" + token + "&lang=de";
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement insert =
          c.prepareStatement("INSERT INTO reset_token (token, email) VALUES (?, ?)")) {
        insert.setString(1, token);
        insert.setString(2, email);
        insert.executeUpdate();
      }
      mail.enqueue(
          c,
          Mail.builder()
              .from("Shop <noreply@shop.example>")
              .to(email)
              .subject("Passwort zurücksetzen")
              .text("Grüße! Open " + link + " within 30 minutes.\n")
              .html("<p>Grüße! <a href=\"" + link.replace("&", "&amp;") + "\">Reset</a></p>")
              .tag("password-reset")
              .priority(Priority.HIGH)
              .lifetime(Duration.ofMinutes(30))
              .build());
      if (knownUser) {
        c.commit();
      } else {
        c.rollback();
      }
    }
  }
}
