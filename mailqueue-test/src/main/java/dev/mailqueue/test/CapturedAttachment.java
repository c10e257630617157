package dev.mailqueue.test;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One attachment of a {@link CapturedMail}, decoded (base64 or quoted-printable undone).
 *
 * @param filename the file name as the message gives it, decoded (RFC 2231), or {@code null} for an
 *     inline part without one
 * @param contentType the base content type in lower case, e.g. {@code application/pdf}, without
 *     parameters
 * @param content the decoded bytes
 */
public record CapturedAttachment(@Nullable String filename, String contentType, byte[] content) {
  /**
   * Validates presence and copies the bytes.
   *
   * @param filename the file name, or {@code null}
   * @param contentType the base content type in lower case
   * @param content the decoded bytes
   */
  public CapturedAttachment {
    Objects.requireNonNull(contentType, "contentType");
    content = content.clone();
  }

  /** {@return a copy of the decoded bytes} */
  @Override
  public byte[] content() {
    return content.clone();
  }

  /** {@return the content read as UTF-8 text, for text attachments} */
  public String contentAsText() {
    return new String(content, StandardCharsets.UTF_8);
  }

  /** {@return the file name, content type and size; never the content} */
  @Override
  public String toString() {
    return "CapturedAttachment["
        + filename
        + ", "
        + contentType
        + ", "
        + content.length
        + " bytes]";
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof CapturedAttachment a
        && Objects.equals(filename, a.filename)
        && contentType.equals(a.contentType)
        && java.util.Arrays.equals(content, a.content);
  }

  @Override
  public int hashCode() {
    return Objects.hash(filename, contentType, java.util.Arrays.hashCode(content));
  }
}
