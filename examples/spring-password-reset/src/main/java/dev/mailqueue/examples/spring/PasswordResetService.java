package dev.mailqueue.examples.spring;

import dev.mailqueue.InvalidMailException;
import dev.mailqueue.Mail;
import dev.mailqueue.MessageId;
import dev.mailqueue.Priority;
import dev.mailqueue.spring.TransactionalMailQueue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Password resets: a token row and the mail that carries the token, written in one transaction. The
 * mail is sent if and only if that transaction commits. Only the token's SHA-256 is stored; the
 * token itself exists in the mail alone.
 */
@Service
public class PasswordResetService {
  /** How long a token is valid, and so how long the queue keeps trying to deliver its mail. */
  public static final Duration LIFETIME = Duration.ofMinutes(30);

  /**
   * The tag of reset mail: it selects a retry policy ({@code
   * mailqueue.retry-by-tag.password-reset.*}) and labels metrics.
   */
  public static final String TAG = "password-reset";

  /** Longest accepted request key; the mail's idempotency key adds the tag to it. */
  public static final int MAX_REQUEST_KEY_LENGTH = 200;

  private static final int TOKEN_BYTES = 32;

  private final JdbcTemplate jdbc;
  private final TransactionalMailQueue mail;
  private final String from;
  private final SecureRandom random = new SecureRandom();

  public PasswordResetService(
      JdbcTemplate jdbc,
      TransactionalMailQueue mail,
      @Value("${password-reset.from}") String from) {
    this.jdbc = jdbc;
    this.mail = mail;
    this.from = from;
  }

  /**
   * Requests a reset as {@link #requestReset(String, String)} with a new request key: never a
   * repetition.
   */
  @Transactional
  public MessageId requestReset(String email) {
    return requestReset(email, UUID.randomUUID().toString());
  }

  /**
   * Stores a new reset token for the user with address {@code email} and queues a mail with it,
   * both in the caller's transaction (a new one if there is none). A repeated request, one with a
   * {@code requestKey} used before (a client retrying after a timeout), stores nothing and queues
   * nothing: the earlier request's mail, with the earlier token, is the answer to both.
   *
   * @param requestKey the client's key for this request, 1 to {@value #MAX_REQUEST_KEY_LENGTH}
   *     characters
   * @return the id of the queued mail
   * @throws UnknownUserException if no user has this address; the transaction rolls back and
   *     nothing is sent
   * @throws InvalidMailException if {@code email} is not a valid address
   * @throws IllegalArgumentException if the request key is empty or too long
   */
  @Transactional
  public MessageId requestReset(String email, String requestKey) {
    if (requestKey.isEmpty() || requestKey.length() > MAX_REQUEST_KEY_LENGTH) {
      throw new IllegalArgumentException(
          "a request key must have 1 to " + MAX_REQUEST_KEY_LENGTH + " characters");
    }
    String token = newToken();
    // The mail is queued before the user is looked up, on purpose: the transaction, not the order
    // of the statements, decides whether it is sent. With an unknown address the exception below
    // rolls the queued mail back with everything else.
    MessageId message =
        mail.enqueue(
            Mail.builder()
                .from(from)
                .to(email)
                .subject("Reset your password")
                .text(
                    "Someone (hopefully you) asked to reset the password of "
                        + email
                        + ".\n\n"
                        + "Your reset code: "
                        + token
                        + "\n\n"
                        + "It is valid for "
                        + LIFETIME.toMinutes()
                        + " minutes. If you did not ask, ignore this mail.\n")
                .tag(TAG)
                .priority(Priority.HIGH)
                .lifetime(LIFETIME)
                .idempotencyKey(TAG + ":" + requestKey)
                .build());
    long userId = userId(email).orElseThrow(UnknownUserException::new);
    if (!requested(requestKey)) {
      jdbc.update(
          "INSERT INTO password_reset (token_hash, user_id, request_key, expires_at) VALUES (?, ?, ?, ?)",
          sha256(token),
          userId,
          requestKey,
          OffsetDateTime.now(ZoneOffset.UTC).plus(LIFETIME));
    }
    return message;
  }

  /**
   * The address of the user whose password {@code token} may reset, if the token is known and still
   * valid.
   */
  @Transactional(readOnly = true)
  public Optional<String> emailForToken(String token) {
    List<String> emails =
        jdbc.queryForList(
            """
        SELECT u.email FROM password_reset r JOIN users u ON u.id = r.user_id
         WHERE r.token_hash = ? AND r.expires_at > ?""",
            String.class,
            sha256(token),
            OffsetDateTime.now(ZoneOffset.UTC));
    return emails.stream().findFirst();
  }

  private Optional<Long> userId(String email) {
    return jdbc
        .queryForList(
            "SELECT id FROM users WHERE email = ?", Long.class, email.toLowerCase(Locale.ROOT))
        .stream()
        .findFirst();
  }

  private boolean requested(String requestKey) {
    Integer n =
        jdbc.queryForObject(
            "SELECT COUNT(*) FROM password_reset WHERE request_key = ?", Integer.class, requestKey);
    return n != null && n > 0;
  }

  private String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(token.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
