package dev.mailqueue;

import dev.mailqueue.internal.Engine;
import jakarta.mail.internet.MimeMessage;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One mail to enqueue: content, envelope and delivery options. Immutable once built; build one with
 * {@link #builder()}, or wrap a ready {@link MimeMessage} with {@link #ofMimeMessage}.
 *
 * <p>Every setter validates its value at once and throws {@link InvalidMailException} naming the
 * field: CR or LF anywhere in an address, display name, header, subject or file name is refused, so
 * header injection is impossible. {@link Builder#build()} checks what needs several fields (a From,
 * at least one recipient, a body). The size limit is checked when the mail is rendered at enqueue.
 *
 * <p>Bcc recipients receive the mail through the envelope only; no {@code Bcc:} header is ever
 * written.
 */
public final class Mail {
  /** Longest accepted subject, in characters. */
  public static final int MAX_SUBJECT_LENGTH = 998;

  /** Longest accepted idempotency key. */
  public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

  /** Most recipients (To + Cc + Bcc) in one mail. */
  public static final int MAX_RECIPIENTS = 1000;

  /** Tags are short and from a small alphabet because they label metrics. */
  /**
   * Longest URI (https or mailto) in a {@code List-Unsubscribe} header, in chars: each is written
   * unfolded on a header line, which SMTP caps at 998 octets.
   */
  public static final int MAX_UNSUBSCRIBE_URI_LENGTH = 900;

  /** The header of RFC 2369 that {@link Builder#listUnsubscribe} writes. */
  public static final String LIST_UNSUBSCRIBE = "List-Unsubscribe";

  /** The header of RFC 8058 that {@link Builder#oneClickUnsubscribe} writes. */
  public static final String LIST_UNSUBSCRIBE_POST = "List-Unsubscribe-Post";

  /** The only value RFC 8058 allows in {@value #LIST_UNSUBSCRIBE_POST}. */
  public static final String ONE_CLICK = "List-Unsubscribe=One-Click";

  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private static final Pattern HEADER_NAME = Pattern.compile("[\\x21-\\x39\\x3B-\\x7E]{1,76}");

  /**
   * Headers the renderer owns; setting them by hand would contradict the envelope or the MIME
   * structure.
   */
  private static final Set<String> RESERVED_HEADERS =
      Set.of(
          "from",
          "to",
          "cc",
          "bcc",
          "reply-to",
          "subject",
          "message-id",
          "date",
          "mime-version",
          "content-type",
          "content-transfer-encoding",
          "sender",
          "return-path");

  private final MailAddress from;
  private final MailAddress envelopeFrom;
  private final List<MailAddress> replyTo;
  private final List<MailAddress> to;
  private final List<MailAddress> cc;
  private final List<MailAddress> bcc;
  private final String subject;
  private final String text;
  private final String html;
  private final List<Attachment> attachments;
  private final Map<String, String> headers;
  private final Priority priority;
  private final Instant notBefore;
  private final Duration lifetime;
  private final String idempotencyKey;
  private final String tag;
  private final boolean smtpUtf8;
  private final MimeMessage mimeMessage;

  private Mail(Builder b) {
    this.from = b.from;
    this.envelopeFrom = b.envelopeFrom != null ? b.envelopeFrom : b.from;
    this.replyTo = List.copyOf(b.replyTo);
    this.to = List.copyOf(b.to);
    this.cc = List.copyOf(b.cc);
    this.bcc = List.copyOf(b.bcc);
    this.subject = b.subject;
    this.text = b.text;
    this.html = b.html;
    this.attachments = List.copyOf(b.attachments);
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.priority = b.priority;
    this.notBefore = b.notBefore;
    this.lifetime = b.lifetime;
    this.idempotencyKey = b.idempotencyKey;
    this.tag = b.tag;
    this.smtpUtf8 = b.smtpUtf8;
    this.mimeMessage = b.mimeMessage;
  }

  /** {@return a builder for a mail composed from parts} */
  public static Builder builder() {
    return new Builder(null);
  }

  /**
   * A builder for a ready message with an explicit envelope: {@code envelopeFrom} is the SMTP MAIL
   * FROM, and the recipients are given with {@link Builder#to}, {@link Builder#cc} or {@link
   * Builder#bcc} on the returned builder (all three only address the envelope; the message's own
   * headers are sent as they are, except that any Bcc header is dropped). The message keeps its
   * Message-ID if it has one. Content setters (subject, body, attachments, headers) are not allowed
   * on such a builder.
   *
   * <p>The message is held to the rules a built mail meets, as a postmaster's MTA would hold it
   * (RFC 5321 4.5.3.1.6, RFC 5322 2.1.1, RFC 2045):
   *
   * <ul>
   *   <li>A header field, of the message or of any body part, with NUL or another control character
   *       but HTAB, with CR or LF other than folding (CRLF then space or tab), or with a name that
   *       is not printable ASCII without colon, is refused with an {@link InvalidMailException}
   *       naming it ({@code header[Name]}, or {@code body.part[1.2].header[Name]} inside the body).
   *   <li>A header line over 998 octets is folded before a space or tab; one without a space or tab
   *       to fold at is refused.
   *   <li>A body part that its transfer encoding cannot carry through SMTP (a line over 998 octets
   *       or a NUL under 7bit or 8bit, or {@code binary}) is re-encoded: text as quoted-printable
   *       (base64 when most of it is not ASCII), anything else as base64, its bytes unchanged. A
   *       {@code message/*} part may not be encoded (RFC 2046), so such a line in one is refused
   *       ({@code body}).
   *   <li>Every other bare CR or bare LF becomes CRLF, as SMTP sends it: what is stored is what the
   *       server receives.
   * </ul>
   *
   * The message's own headers are checked when the mail is built, and everything again when it is
   * enqueued (the message may have changed in between), before anything is stored: a refused mail
   * stores nothing. Enqueueing saves the message's changes ({@code saveChanges()}), as sending it
   * would; re-encoding is done on a copy.
   *
   * @param message the ready message; its headers and body are sent as they are, but for a Bcc
   *     header which is dropped
   * @param envelopeFrom the SMTP MAIL FROM, where bounces go
   * @return a builder that takes only envelope recipients and delivery settings
   * @throws InvalidMailException if {@code envelopeFrom} is missing
   */
  public static Builder ofMimeMessage(MimeMessage message, MailAddress envelopeFrom) {
    Objects.requireNonNull(message, "message");
    Builder b = new Builder(message);
    b.from = requireAddress("envelopeFrom", envelopeFrom);
    b.envelopeFrom = b.from;
    return b;
  }

  /** {@return the From header address} */
  public MailAddress from() {
    return from;
  }

  /** {@return the SMTP envelope sender (MAIL FROM); defaults to {@link #from()}} */
  public MailAddress envelopeFrom() {
    return envelopeFrom;
  }

  /** {@return the Reply-To addresses; may be empty} */
  public List<MailAddress> replyTo() {
    return replyTo;
  }

  /** {@return the To recipients} */
  public List<MailAddress> to() {
    return to;
  }

  /** {@return the Cc recipients} */
  public List<MailAddress> cc() {
    return cc;
  }

  /** {@return the Bcc recipients: envelope only, never in a header} */
  public List<MailAddress> bcc() {
    return bcc;
  }

  /** {@return every envelope recipient, To then Cc then Bcc, without duplicates} */
  public List<MailAddress> recipients() {
    Map<String, MailAddress> unique = new LinkedHashMap<>();
    for (List<MailAddress> list : List.of(to, cc, bcc)) {
      for (MailAddress a : list) {
        unique.putIfAbsent(a.address().toLowerCase(Locale.ROOT), a);
      }
    }
    return List.copyOf(unique.values());
  }

  /** {@return the subject, or {@code null}} */
  public @Nullable String subject() {
    return subject;
  }

  /** {@return the plain-text body, or {@code null}} */
  public @Nullable String text() {
    return text;
  }

  /** {@return the HTML body, or {@code null}} */
  public @Nullable String html() {
    return html;
  }

  /** {@return the attachments and inline parts} */
  public List<Attachment> attachments() {
    return attachments;
  }

  /** Whether {@code tag} is a valid tag (for the scope of an unsubscribe token). */
  static boolean isValidTag(String tag) {
    return TAG.matcher(tag).matches();
  }

  /** {@return the extra headers, in insertion order} */
  public Map<String, String> headers() {
    return headers;
  }

  /** {@return the priority; defaults to {@link Priority#NORMAL}} */
  public Priority priority() {
    return priority;
  }

  /** {@return the earliest time of the first attempt, or {@code null} for as soon as possible} */
  public @Nullable Instant notBefore() {
    return notBefore;
  }

  /**
   * {@return how long the queue keeps trying, from enqueue; {@code null} for the retry policy's
   * maximum age}
   */
  public @Nullable Duration lifetime() {
    return lifetime;
  }

  /** {@return the idempotency key, or {@code null}} */
  public @Nullable String idempotencyKey() {
    return idempotencyKey;
  }

  /** {@return the tag (category) such as {@code password-reset}, or {@code null}} */
  public @Nullable String tag() {
    return tag;
  }

  /** {@return whether non-ASCII local parts are allowed (SMTPUTF8, RFC 6531)} Defaults to false. */
  public boolean smtpUtf8() {
    return smtpUtf8;
  }

  /** {@return the ready message this mail wraps, or {@code null} for a mail composed from parts} */
  public @Nullable MimeMessage mimeMessage() {
    return mimeMessage;
  }

  @Override
  public String toString() {
    return "Mail[from="
        + from.address()
        + ", recipients="
        + recipients().size()
        + ", tag="
        + tag
        + ", priority="
        + priority
        + "]";
  }

  private static MailAddress requireAddress(String field, MailAddress address) {
    if (address == null) {
      throw new InvalidMailException(field, "is missing");
    }
    return address;
  }

  private static MailAddress parse(String field, String address) {
    if (address == null) {
      throw new InvalidMailException(field, "is missing");
    }
    try {
      return MailAddress.parse(address);
    } catch (InvalidMailException e) {
      throw e.forField(field);
    }
  }

  /**
   * Builds a {@link Mail}. Every setter validates at once and says its default. Not thread-safe.
   */
  public static final class Builder {
    private final MimeMessage mimeMessage;
    private MailAddress from;
    private MailAddress envelopeFrom;
    private final List<MailAddress> replyTo = new ArrayList<>();
    private final List<MailAddress> to = new ArrayList<>();
    private final List<MailAddress> cc = new ArrayList<>();
    private final List<MailAddress> bcc = new ArrayList<>();
    private String subject;
    private String text;
    private String html;
    private final List<Attachment> attachments = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Priority priority = Priority.NORMAL;
    private Instant notBefore;
    private Duration lifetime;
    private String idempotencyKey;
    private String tag;
    private boolean smtpUtf8;
    private boolean oneClick;
    private boolean httpsUnsubscribe;

    private Builder(MimeMessage mimeMessage) {
      this.mimeMessage = mimeMessage;
    }

    /**
     * The From address, e.g. {@code "Shop <noreply@shop.example>"}. Required.
     *
     * @param address the From address as text, with or without a display name
     * @return this builder
     * @throws InvalidMailException if the address is missing or invalid, or on a builder from
     *     {@link Mail#ofMimeMessage}
     */
    public Builder from(String address) {
      return from(parse("from", address));
    }

    /**
     * The From address. Required.
     *
     * @param address the From address
     * @return this builder
     * @throws InvalidMailException if the address is missing, or on a builder from {@link
     *     Mail#ofMimeMessage}
     */
    public Builder from(MailAddress address) {
      requireParts("from");
      this.from = requireAddress("from", address);
      return this;
    }

    /**
     * The envelope sender (MAIL FROM, where bounces go). Defaults to the From address.
     *
     * @param address the envelope sender as text
     * @return this builder
     * @throws InvalidMailException if the address is invalid
     */
    public Builder envelopeFrom(String address) {
      this.envelopeFrom = parse("envelopeFrom", address);
      return this;
    }

    /**
     * Adds Reply-To addresses. None by default.
     *
     * @param addresses the addresses as text, each with or without a display name
     * @return this builder
     * @throws InvalidMailException if an address is missing or invalid, or on a builder from {@link
     *     Mail#ofMimeMessage}
     */
    public Builder replyTo(String... addresses) {
      requireParts("replyTo");
      add("replyTo", replyTo, addresses);
      return this;
    }

    /**
     * Adds Reply-To addresses. None by default.
     *
     * @param addresses the addresses; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing, or on a builder from {@link
     *     Mail#ofMimeMessage}
     */
    public Builder replyTo(MailAddress... addresses) {
      requireParts("replyTo");
      addAll("replyTo", replyTo, addresses);
      return this;
    }

    /**
     * Adds Reply-To addresses, in the collection's order. None by default.
     *
     * @param addresses the addresses; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing, or on a builder from {@link
     *     Mail#ofMimeMessage}
     */
    public Builder replyTo(Collection<MailAddress> addresses) {
      return replyTo(addresses.toArray(MailAddress[]::new));
    }

    /**
     * Adds To recipients.
     *
     * @param addresses the recipients as text, each with or without a display name
     * @return this builder
     * @throws InvalidMailException if an address is missing or invalid
     */
    public Builder to(String... addresses) {
      add("to", to, addresses);
      return this;
    }

    /**
     * Adds To recipients.
     *
     * @param addresses the recipients; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing
     */
    public Builder to(MailAddress... addresses) {
      addAll("to", to, addresses);
      return this;
    }

    /**
     * Adds To recipients, in the collection's order.
     *
     * @param addresses the recipients; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing
     */
    public Builder to(Collection<MailAddress> addresses) {
      return to(addresses.toArray(MailAddress[]::new));
    }

    /**
     * Adds Cc recipients.
     *
     * @param addresses the recipients as text, each with or without a display name
     * @return this builder
     * @throws InvalidMailException if an address is missing or invalid
     */
    public Builder cc(String... addresses) {
      add("cc", cc, addresses);
      return this;
    }

    /**
     * Adds Cc recipients.
     *
     * @param addresses the recipients; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing
     */
    public Builder cc(MailAddress... addresses) {
      addAll("cc", cc, addresses);
      return this;
    }

    /**
     * Adds Cc recipients, in the collection's order.
     *
     * @param addresses the recipients; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing
     */
    public Builder cc(Collection<MailAddress> addresses) {
      return cc(addresses.toArray(MailAddress[]::new));
    }

    /**
     * Adds Bcc recipients: they get the mail, but no header names them.
     *
     * @param addresses the recipients as text, each with or without a display name
     * @return this builder
     * @throws InvalidMailException if an address is missing or invalid
     */
    public Builder bcc(String... addresses) {
      add("bcc", bcc, addresses);
      return this;
    }

    /**
     * Adds Bcc recipients: they get the mail, but no header names them.
     *
     * @param addresses the recipients; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing
     */
    public Builder bcc(MailAddress... addresses) {
      addAll("bcc", bcc, addresses);
      return this;
    }

    /**
     * Adds Bcc recipients, in the collection's order: they get the mail, but no header names them.
     *
     * @param addresses the recipients; none may be null
     * @return this builder
     * @throws InvalidMailException if an address is missing
     */
    public Builder bcc(Collection<MailAddress> addresses) {
      return bcc(addresses.toArray(MailAddress[]::new));
    }

    /**
     * The subject; any Unicode text without CR, LF or another control character but HTAB, at most
     * 998 characters, and, when ASCII, without a run too long to fold into a 998-octet line. None
     * by default.
     *
     * @param subject the subject, or {@code null} for none
     * @return this builder
     * @throws InvalidMailException if the subject breaks one of these rules, or on a builder from
     *     {@link Mail#ofMimeMessage}
     */
    public Builder subject(String subject) {
      requireParts("subject");
      if (subject != null) {
        MailAddress.rejectControl("subject", subject);
        if (subject.length() > MAX_SUBJECT_LENGTH) {
          throw new InvalidMailException(
              "subject", "longer than " + MAX_SUBJECT_LENGTH + " characters");
        }
        checkFoldable("subject", "Subject", subject);
      }
      this.subject = subject;
      return this;
    }

    /**
     * The plain-text body (UTF-8). At least one of text and HTML is required.
     *
     * @param text the plain-text body, or {@code null} for none
     * @return this builder
     * @throws InvalidMailException on a builder from {@link Mail#ofMimeMessage}
     */
    public Builder text(String text) {
      requireParts("text");
      this.text = text;
      return this;
    }

    /**
     * The HTML body (UTF-8). With a text body too, both are sent as multipart/alternative.
     *
     * @param html the HTML body, or {@code null} for none
     * @return this builder
     * @throws InvalidMailException on a builder from {@link Mail#ofMimeMessage}
     */
    public Builder html(String html) {
      requireParts("html");
      this.html = html;
      return this;
    }

    /**
     * Adds an attachment.
     *
     * @param filename the file name the recipient sees
     * @param contentType the MIME type, e.g. {@code application/pdf}
     * @param content the bytes, sent as they are
     * @return this builder
     * @throws InvalidMailException naming {@code attachment[i]} if {@link Attachment#of} refuses
     *     the parts, or on a builder from {@link Mail#ofMimeMessage}
     */
    public Builder attachment(String filename, String contentType, byte[] content) {
      return attachment(
          wrap(
              "attachment[" + attachments.size() + "]",
              () -> Attachment.of(filename, contentType, content)));
    }

    /**
     * Adds an attachment or inline part.
     *
     * @param attachment the attachment or inline part
     * @return this builder
     * @throws InvalidMailException on a builder from {@link Mail#ofMimeMessage}
     */
    public Builder attachment(Attachment attachment) {
      requireParts("attachment");
      attachments.add(Objects.requireNonNull(attachment, "attachment"));
      return this;
    }

    /**
     * Adds a header such as {@code List-Unsubscribe}. The name must be printable ASCII without
     * colon; the value must not contain CR, LF or another control character but HTAB (long values
     * are folded, non-ASCII encoded; an ASCII value with a run of more than about 990 characters
     * without a space or tab cannot be folded into SMTP's 998-octet lines and is refused). Headers
     * the queue writes itself (From, To, Subject, Message-ID, Date, Content-Type, ...) cannot be
     * set here.
     *
     * @param name the header name, 1 to 76 characters
     * @param value the header value, not {@code null}
     * @return this builder
     * @throws InvalidMailException naming {@code header[name]} if the name or value breaks these
     *     rules, the header is one the queue writes, or on a builder from {@link
     *     Mail#ofMimeMessage}
     */
    public Builder header(String name, String value) {
      requireParts("header");
      String field = "header[" + name + "]";
      if (name == null || !HEADER_NAME.matcher(name).matches()) {
        throw new InvalidMailException(
            field, "header name must be 1-76 printable ASCII characters without ':' or whitespace");
      }
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new InvalidMailException(field, "is set by the queue; use the builder method for it");
      }
      if (value == null) {
        throw new InvalidMailException(field, "value is missing");
      }
      wrap(
          field,
          () -> {
            MailAddress.rejectControl("value", value);
            return null;
          });
      checkFoldable(field, name, value);
      headers.put(name, value);
      return this;
    }

    /**
     * Sets the {@value Mail#LIST_UNSUBSCRIBE} header (RFC 2369) to {@code <https://...>,
     * <mailto:...>}: where a recipient's mail program unsubscribes them. Bulk senders must offer it
     * (Gmail and Yahoo require one-click unsubscription of bulk mail since 2024; see {@link
     * #oneClickUnsubscribe()}). The https URI usually carries a token from {@link
     * UnsubscribeTokens}. Replaces a header set before. Defaults to no such header.
     *
     * @param https an absolute {@code https} URI, or {@code null} for none; at most {@value
     *     Mail#MAX_UNSUBSCRIBE_URI_LENGTH} characters, without a comma (encode it as {@code %2C})
     * @param mailto an ASCII address that unsubscribes whoever writes to it, or {@code null} for
     *     none
     * @return this builder
     * @throws InvalidMailException naming {@code listUnsubscribe} if both are {@code null}, the URI
     *     is not an absolute https URI with a host, either is too long, has a comma, or the address
     *     is not ASCII; or on a builder from {@link Mail#ofMimeMessage}
     */
    public Builder listUnsubscribe(@Nullable URI https, @Nullable MailAddress mailto) {
      requireParts("listUnsubscribe");
      String field = "listUnsubscribe";
      if (https == null && mailto == null) {
        throw new InvalidMailException(field, "needs an https URI, a mailto address or both");
      }
      List<String> uris = new ArrayList<>(2);
      if (https != null) {
        if (!https.isAbsolute()
            || !"https".equalsIgnoreCase(https.getScheme())
            || https.getHost() == null) {
          throw new InvalidMailException(
              field,
              "must be an absolute https URI with a host: " + MailAddress.quoted(https.toString()));
        }
        uris.add(unsubscribeUri(field, https.toASCIIString()));
      }
      if (mailto != null) {
        if (mailto.requiresSmtpUtf8()) {
          throw new InvalidMailException(
              field, "the mailto address must be ASCII: " + MailAddress.quoted(mailto.address()));
        }
        uris.add(unsubscribeUri(field, "mailto:" + mailto.address()));
      }
      StringBuilder value = new StringBuilder();
      for (String u : uris) {
        value.append(value.length() > 0 ? ", " : "").append('<').append(u).append('>');
      }
      header(LIST_UNSUBSCRIBE, value.toString());
      httpsUnsubscribe = https != null;
      return this;
    }

    /**
     * Adds {@code List-Unsubscribe-Post: List-Unsubscribe=One-Click} (RFC 8058): the recipient's
     * mail provider unsubscribes them with one POST to the https URI of {@link #listUnsubscribe},
     * without a page to confirm on. The DKIM signature must cover both headers (RFC 8058 section
     * 4), which mailqueue's signer does. Defaults to off.
     *
     * @return this builder
     * @throws InvalidMailException naming {@code oneClickUnsubscribe} at {@link #build()} when no
     *     https URI was given to {@link #listUnsubscribe}; on a builder from {@link
     *     Mail#ofMimeMessage} at once
     */
    public Builder oneClickUnsubscribe() {
      requireParts("oneClickUnsubscribe");
      this.oneClick = true;
      return this;
    }

    private static String unsubscribeUri(String field, String uri) {
      if (uri.length() > MAX_UNSUBSCRIBE_URI_LENGTH) {
        throw new InvalidMailException(
            field,
            "URI longer than " + MAX_UNSUBSCRIBE_URI_LENGTH + " characters: " + uri.length());
      }
      // RFC 2369 separates the URIs with commas and delimits them with angle brackets;
      // java.net.URI never lets '<', '>', a space or a control character through
      if (uri.indexOf(',') >= 0) {
        throw new InvalidMailException(
            field, "URI contains a comma; encode it as %2C: " + MailAddress.quoted(uri));
      }
      return uri;
    }

    /**
     * The priority. Defaults to {@link Priority#NORMAL}.
     *
     * @param priority the priority, not {@code null}
     * @return this builder
     */
    public Builder priority(Priority priority) {
      this.priority = Objects.requireNonNull(priority, "priority");
      return this;
    }

    /**
     * Do not send before this time (scheduled send). Defaults to as soon as possible.
     *
     * @param notBefore the earliest time of the first attempt, or {@code null} for as soon as
     *     possible
     * @return this builder
     */
    public Builder notBefore(Instant notBefore) {
      this.notBefore = notBefore;
      return this;
    }

    /**
     * Give up if not delivered within this time after enqueue, e.g. 30 minutes for a password
     * reset. Defaults to the retry policy's maximum age (5 days).
     *
     * @param lifetime how long to keep trying, positive, or {@code null} for the retry policy's
     *     maximum age
     * @return this builder
     * @throws InvalidMailException if the lifetime is zero or negative
     */
    public Builder lifetime(Duration lifetime) {
      if (lifetime != null && (lifetime.isNegative() || lifetime.isZero())) {
        throw new InvalidMailException("lifetime", "must be positive: " + lifetime);
      }
      this.lifetime = lifetime;
      return this;
    }

    /**
     * A key that makes enqueue idempotent: a second enqueue with the same key returns the first
     * message's id and stores nothing. At most 255 characters. None by default.
     *
     * @param key the key, 1 to 255 characters without control characters, or {@code null} for none
     * @return this builder
     * @throws InvalidMailException if the key is empty, too long or contains a control character
     */
    public Builder idempotencyKey(String key) {
      if (key != null) {
        MailAddress.rejectControl("idempotencyKey", key);
        if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
          throw new InvalidMailException(
              "idempotencyKey", "must have 1 to " + MAX_IDEMPOTENCY_KEY_LENGTH + " characters");
        }
      }
      this.idempotencyKey = key;
      return this;
    }

    /**
     * A category such as {@code password-reset}: selects a retry policy and labels metrics.
     * Letters, digits, '.', '_' and '-', at most 64 characters. None by default.
     *
     * @param tag the tag, starting with a letter or digit, or {@code null} for none
     * @return this builder
     * @throws InvalidMailException if the tag does not match these rules
     */
    public Builder tag(String tag) {
      if (tag != null && !TAG.matcher(tag).matches()) {
        throw new InvalidMailException(
            "tag",
            "must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit: "
                + MailAddress.quoted(tag));
      }
      this.tag = tag;
      return this;
    }

    /**
     * Allow non-ASCII local parts (SMTPUTF8, RFC 6531); addresses and display names are then
     * written in the header fields as UTF-8 (RFC 6532). A mail with a non-ASCII character in its
     * envelope or header fields is sent with the SMTPUTF8 extension, only to servers that offer it;
     * where none does, its recipients bounce with {@code 5.6.7}. One with only ASCII there is sent
     * as any other. Defaults to false.
     *
     * @param smtpUtf8 whether non-ASCII local parts are allowed
     * @return this builder
     */
    public Builder smtpUtf8(boolean smtpUtf8) {
      this.smtpUtf8 = smtpUtf8;
      return this;
    }

    /**
     * Checks the fields together and builds the mail.
     *
     * @return the mail
     */
    public Mail build() {
      if (from == null) {
        throw new InvalidMailException("from", "is missing");
      }
      int count = to.size() + cc.size() + bcc.size();
      if (count == 0) {
        throw new InvalidMailException("to", "no recipient: set at least one To, Cc or Bcc");
      }
      if (count > MAX_RECIPIENTS) {
        throw new InvalidMailException("to", "more than " + MAX_RECIPIENTS + " recipients");
      }
      if (mimeMessage == null && text == null && html == null) {
        throw new InvalidMailException("text", "no body: set a text or an HTML body");
      }
      if (mimeMessage != null) {
        Engine.checkHeaders(mimeMessage);
      }
      if (oneClick) {
        if (!httpsUnsubscribe || !headers.containsKey(LIST_UNSUBSCRIBE)) {
          throw new InvalidMailException(
              "oneClickUnsubscribe",
              "needs an https URI in listUnsubscribe(https, mailto) to post to (RFC 8058)");
        }
        headers.put(LIST_UNSUBSCRIBE_POST, ONE_CLICK);
      }
      if (!smtpUtf8) {
        checkAscii("from", List.of(from));
        checkAscii("envelopeFrom", envelopeFrom == null ? List.of() : List.of(envelopeFrom));
        checkAscii("replyTo", replyTo);
        checkAscii("to", to);
        checkAscii("cc", cc);
        checkAscii("bcc", bcc);
      }
      return new Mail(this);
    }

    /**
     * An ASCII value is written as it is, folded at its spaces and tabs: refused when a line of it
     * would be over 998 octets all the same. (Non-ASCII values become encoded words, which fold.)
     */
    private static void checkFoldable(String field, String name, String value) {
      for (int i = 0; i < value.length(); i++) {
        if (value.charAt(i) >= 0x80) {
          return;
        }
      }
      Engine.checkHeaderField(field, name + ": " + value);
    }

    private void requireParts(String field) {
      if (mimeMessage != null) {
        throw new InvalidMailException(
            field, "cannot be set on a mail wrapping a ready MimeMessage");
      }
    }

    private static void checkAscii(String field, List<MailAddress> list) {
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i).requiresSmtpUtf8()) {
          throw new InvalidMailException(
              field + (list.size() > 1 || !field.endsWith("rom") ? "[" + i + "]" : ""),
              "non-ASCII local part needs SMTPUTF8; enable it with smtpUtf8(true): "
                  + MailAddress.quoted(list.get(i).address()));
        }
      }
    }

    private static void add(String field, List<MailAddress> target, String... addresses) {
      for (String a : addresses) {
        target.add(parse(field + "[" + target.size() + "]", a));
      }
    }

    private static void addAll(String field, List<MailAddress> target, MailAddress... addresses) {
      for (MailAddress a : addresses) {
        target.add(requireAddress(field + "[" + target.size() + "]", a));
      }
    }

    private static <T> T wrap(String field, java.util.function.Supplier<T> check) {
      try {
        return check.get();
      } catch (InvalidMailException e) {
        throw new InvalidMailException(field + "." + e.field(), e.reason(), e);
      }
    }
  }
}
