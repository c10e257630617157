package dev.mailqueue;

import dev.mailqueue.internal.Engine;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A file attached to a {@link Mail}. The bytes are not copied; do not modify the array after
 * handing it over.
 *
 * <p>The recipient receives exactly these bytes. A part that is not {@code text/*} is always sent
 * base64-encoded, whatever its bytes look like; a {@code text/*} part is sent as 7bit when it is
 * ASCII without NUL, with CRLF line ends only and lines of at most 998 octets, and base64-encoded
 * otherwise (so a text file with LF line ends keeps them). A {@code message/*} part may not be
 * encoded at all (RFC 2046 5.2.1), so its content must already be such 7bit text; attach anything
 * else as {@code application/octet-stream}. A {@code multipart/*} type cannot be attached (it would
 * need a boundary parameter): attach its parts instead.
 *
 * @param filename the file name shown to the recipient (non-ASCII allowed; RFC 2231 encoded)
 * @param contentType a MIME type such as {@code application/pdf}
 * @param content the bytes
 * @param contentId a Content-ID for inline parts referenced from HTML as {@code cid:...}, or {@code
 *     null} for an ordinary attachment
 */
public record Attachment(
    String filename, String contentType, byte[] content, @Nullable String contentId) {
  private static final Pattern MIME_TYPE =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*");
  private static final Pattern CONTENT_ID =
      Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,200}");

  /**
   * Validates every field; throws {@link InvalidMailException}.
   *
   * @param filename the file name shown to the recipient (non-ASCII allowed; RFC 2231 encoded)
   * @param contentType a MIME type such as {@code application/pdf}
   * @param content the bytes
   * @param contentId a Content-ID for inline parts referenced from HTML as {@code cid:...}, or
   *     {@code null} for an ordinary attachment
   * @throws InvalidMailException if the file name is missing, longer than 255 characters or has a
   *     control character, the content type is not {@code type/subtype} or is a multipart, a {@code
   *     message/*} part is not 7bit, or the Content-ID has characters it may not have
   */
  public Attachment {
    if (filename == null || filename.isBlank()) {
      throw new InvalidMailException("attachment.name", "is missing");
    }
    MailAddress.rejectControl("attachment.name", filename);
    if (filename.length() > 255) {
      throw new InvalidMailException("attachment.name", "longer than 255 characters");
    }
    if (contentType == null || !MIME_TYPE.matcher(contentType).matches()) {
      throw new InvalidMailException(
          "attachment.contentType", "is not a type/subtype MIME type: " + contentType);
    }
    Objects.requireNonNull(content, "content");
    String type = contentType.toLowerCase(Locale.ROOT);
    if (type.startsWith("multipart/")) {
      throw new InvalidMailException(
          "attachment.contentType",
          "a multipart cannot be attached ("
              + contentType
              + "); attach its parts, or attach it as application/octet-stream");
    }
    if (type.startsWith("message/") && !Engine.isSevenBit(content)) {
      throw new InvalidMailException(
          "attachment.content",
          contentType
              + " must be 7bit as it is (RFC 2046 forbids "
              + "encoding it): ASCII without NUL, CRLF line ends only, lines of at most "
              + Engine.MAX_LINE
              + " octets; convert its line ends to CRLF, or attach it as application/octet-stream");
    }
    if (contentId != null && !CONTENT_ID.matcher(contentId).matches()) {
      throw new InvalidMailException(
          "attachment.contentId", "has characters not allowed in a Content-ID");
    }
  }

  /**
   * An ordinary attachment.
   *
   * @param filename the file name shown to the recipient (non-ASCII allowed; RFC 2231 encoded)
   * @param contentType a MIME type such as {@code application/pdf}
   * @param content the bytes
   * @return the attachment, without Content-ID
   * @throws InvalidMailException as the canonical constructor
   */
  public static Attachment of(String filename, String contentType, byte[] content) {
    return new Attachment(filename, contentType, content, null);
  }

  /**
   * An inline part, referenced from the HTML body as {@code cid:contentId}.
   *
   * @param filename the file name shown to the recipient (non-ASCII allowed; RFC 2231 encoded)
   * @param contentType a MIME type such as {@code application/pdf}
   * @param content the bytes
   * @param contentId the Content-ID the HTML body refers to, without angle brackets
   * @return the inline part
   * @throws InvalidMailException as the canonical constructor
   */
  public static Attachment inline(
      String filename, String contentType, byte[] content, String contentId) {
    return new Attachment(filename, contentType, content, contentId);
  }

  @Override
  public String toString() {
    return "Attachment[" + filename + ", " + contentType + ", " + content.length + " bytes]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attachment a
        && filename.equals(a.filename)
        && contentType.equals(a.contentType)
        && java.util.Arrays.equals(content, a.content)
        && Objects.equals(contentId, a.contentId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(filename, contentType, java.util.Arrays.hashCode(content), contentId);
  }
}
