package dev.mailqueue;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Signed, expiring unsubscribe tokens for the https URI of a {@code List-Unsubscribe} header
 * ({@link Mail.Builder#listUnsubscribe}): the token names an address and a scope (a {@linkplain
 * Mail.Builder#tag tag}, or all mail), and only the holder of the secret can make one. The endpoint
 * that receives the one-click POST (RFC 8058) {@linkplain #verify verifies} it and suppresses the
 * address for that scope, so that no database lookup is needed and a forged or edited link
 * unsubscribes nobody.
 *
 * <p>A token is {@code base64url(payload) "." base64url(HMAC-SHA256(secret, payload))}, without
 * padding, where the payload is the expiry (epoch seconds), the address and the scope separated by
 * line feeds: URL-safe as it is. The address is readable by whoever has the link (as it is in the
 * mail itself); nothing else is in it. Verification compares the MAC in constant time and checks
 * the expiry against the clock. Thread-safe; the secret is copied and never printed.
 */
public final class UnsubscribeTokens {
  /** Fewest secret bytes accepted: 32, the output size of SHA-256 (RFC 2104 section 3). */
  public static final int MIN_SECRET_BYTES = 32;

  /** Longest token {@link #verify} looks at, in chars; longer input is refused unread. */
  public static final int MAX_TOKEN_LENGTH = 1024;

  /** The scope of a token that unsubscribes from all mail. */
  public static final String ALL_MAIL = "*";

  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final Clock clock;

  /**
   * What a valid token says.
   *
   * @param address the address to unsubscribe
   * @param scope the tag it unsubscribes from, or {@code null} for all mail
   * @param expiresAt when the token stops being accepted
   */
  public record Unsubscribe(MailAddress address, @Nullable String scope, Instant expiresAt) {
    /**
     * Validates presence.
     *
     * @param address the address to unsubscribe
     * @param scope the tag it unsubscribes from, or {@code null} for all mail
     * @param expiresAt when the token stops being accepted
     */
    public Unsubscribe {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  private UnsubscribeTokens(byte[] secret, Clock clock) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "the unsubscribe secret must have at least "
              + MIN_SECRET_BYTES
              + " bytes, got "
              + secret.length
              + "; make one with e.g. `openssl rand -base64 32`");
    }
    this.key = new SecretKeySpec(secret, ALGORITHM); // copies
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Tokens signed with {@code secret}, checked against the system clock.
   *
   * @param secret at least {@value #MIN_SECRET_BYTES} random bytes, kept secret and the same on
   *     every node (a new secret invalidates the links in mail already sent); copied
   * @return the token maker and checker
   * @throws IllegalArgumentException if the secret is shorter than {@value #MIN_SECRET_BYTES} bytes
   */
  public static UnsubscribeTokens of(byte[] secret) {
    return new UnsubscribeTokens(secret, Clock.systemUTC());
  }

  /**
   * Tokens signed with {@code secret}, with expiry checked against {@code clock} (tests).
   *
   * @param secret at least {@value #MIN_SECRET_BYTES} random bytes; copied
   * @param clock the clock expiry is read from
   * @return the token maker and checker
   * @throws IllegalArgumentException if the secret is shorter than {@value #MIN_SECRET_BYTES} bytes
   */
  public static UnsubscribeTokens of(byte[] secret, Clock clock) {
    return new UnsubscribeTokens(secret, clock);
  }

  /**
   * A token that unsubscribes {@code address} from {@code scope} until {@code ttl} from now.
   *
   * @param address the recipient
   * @param scope the tag of the mail it unsubscribes from (e.g. {@code newsletter}), or {@code
   *     null} or {@value #ALL_MAIL} for all mail; a receipt keeps reaching a customer who left a
   *     newsletter only when the scope is the newsletter's tag
   * @param ttl how long the link works, positive; mail providers may post to it days after the mail
   *     arrived, so weeks rather than hours
   * @return the token, URL-safe
   * @throws IllegalArgumentException if the scope is not a valid tag or the ttl is not positive
   */
  public String issue(MailAddress address, @Nullable String scope, Duration ttl) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    String s = scope == null || ALL_MAIL.equals(scope) ? ALL_MAIL : scope;
    if (!ALL_MAIL.equals(s) && !Mail.isValidTag(s)) {
      throw new IllegalArgumentException(
          "scope must be a tag (1-64 of [A-Za-z0-9._-]) or " + ALL_MAIL + ": " + scope);
    }
    long expiry = clock.instant().plus(ttl).getEpochSecond();
    byte[] payload =
        (expiry + "\n" + address.address() + "\n" + s).getBytes(StandardCharsets.UTF_8);
    return ENCODER.encodeToString(payload) + "." + ENCODER.encodeToString(mac(payload));
  }

  /**
   * What {@code token} says, if it was made with this secret and has not expired; empty for
   * anything else (forged, edited, truncated, expired, too long, not a token at all). Never throws
   * for bad input: it comes from the network.
   *
   * @param token the token from the link, or {@code null}
   * @return the unsubscription, or empty
   */
  public Optional<Unsubscribe> verify(@Nullable String token) {
    if (token == null || token.length() > MAX_TOKEN_LENGTH) {
      return Optional.empty();
    }
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      return Optional.empty();
    }
    byte[] payload;
    byte[] mac;
    try {
      payload = DECODER.decode(token.substring(0, dot));
      mac = DECODER.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!MessageDigest.isEqual(mac(payload), mac)) {
      return Optional.empty();
    }
    // signed by us: the payload has the shape issue() gave it
    String[] parts = new String(payload, StandardCharsets.UTF_8).split("\n", -1);
    if (parts.length != 3) {
      return Optional.empty();
    }
    try {
      Instant expiresAt = Instant.ofEpochSecond(Long.parseLong(parts[0]));
      if (!clock.instant().isBefore(expiresAt)) {
        return Optional.empty();
      }
      String scope = ALL_MAIL.equals(parts[2]) ? null : parts[2];
      return Optional.of(new Unsubscribe(MailAddress.of(parts[1]), scope, expiresAt));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private byte[] mac(byte[] payload) {
    try {
      Mac m = Mac.getInstance(ALGORITHM);
      m.init(key);
      return m.doFinal(payload);
    } catch (GeneralSecurityException e) {
      // every Java SE platform must provide HmacSHA256
      throw new MailQueueException("HmacSHA256 is not available: " + e.getMessage(), e);
    }
  }

  /** Names the algorithm; never the secret. */
  @Override
  public String toString() {
    return "UnsubscribeTokens[" + ALGORITHM + "]";
  }
}
