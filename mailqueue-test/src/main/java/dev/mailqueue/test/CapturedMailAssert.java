package dev.mailqueue.test;

import dev.mailqueue.MailAddress;
import dev.mailqueue.Priority;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.assertj.core.api.AbstractAssert;
import org.jspecify.annotations.Nullable;

/**
 * Assertions on one {@link CapturedMail}, on its decoded headers, bodies, attachments and links.
 * Bodies are compared after decoding, with {@code \n} line ends.
 */
public final class CapturedMailAssert extends AbstractAssert<CapturedMailAssert, CapturedMail> {

  /**
   * Assertions on {@code actual}; see {@link MailQueueAssertions#assertThat(CapturedMail)}.
   *
   * @param actual the captured attempt
   */
  public CapturedMailAssert(CapturedMail actual) {
    super(actual, CapturedMailAssert.class);
  }

  /**
   * Verifies the From address (the address, not the display name).
   *
   * @param address the expected address, in any case
   * @return this
   */
  public CapturedMailAssert isFrom(String address) {
    isNotNull();
    List<String> from = keys(actual.from());
    if (!from.equals(List.of(address.toLowerCase(Locale.ROOT)))) {
      failWithMessage("Expected From <%s> but was %s", address, actual.from());
    }
    return this;
  }

  /**
   * Verifies the To header's addresses, in any order.
   *
   * @param addresses the expected addresses, in any case
   * @return this
   */
  public CapturedMailAssert isTo(String... addresses) {
    return sameAddresses("To", actual.to(), addresses);
  }

  /**
   * Verifies the Cc header's addresses, in any order.
   *
   * @param addresses the expected addresses, in any case
   * @return this
   */
  public CapturedMailAssert isCc(String... addresses) {
    return sameAddresses("Cc", actual.cc(), addresses);
  }

  /**
   * Verifies the Bcc recipients (envelope recipients in neither To nor Cc), in any order.
   *
   * @param addresses the expected addresses, in any case
   * @return this
   */
  public CapturedMailAssert isBcc(String... addresses) {
    return sameAddresses("Bcc", actual.bcc(), addresses);
  }

  private CapturedMailAssert sameAddresses(
      String what, List<MailAddress> actualAddresses, String... expected) {
    isNotNull();
    List<String> have = keys(actualAddresses).stream().sorted().toList();
    List<String> want =
        java.util.Arrays.stream(expected).map(a -> a.toLowerCase(Locale.ROOT)).sorted().toList();
    if (!have.equals(want)) {
      failWithMessage("Expected %s %s but was %s", what, want, actualAddresses);
    }
    return this;
  }

  /**
   * Verifies the decoded subject.
   *
   * @param subject the expected subject
   * @return this
   */
  public CapturedMailAssert hasSubject(String subject) {
    isNotNull();
    if (!Objects.equals(actual.subject(), subject)) {
      failWithMessage("Expected subject \"%s\" but was \"%s\"", subject, actual.subject());
    }
    return this;
  }

  /**
   * Verifies that the decoded text body contains every one of {@code parts}.
   *
   * @param parts what the text contains
   * @return this
   */
  public CapturedMailAssert textContains(String... parts) {
    return bodyContains("text", actual.text(), parts);
  }

  /**
   * Verifies that the decoded HTML body contains every one of {@code parts}.
   *
   * @param parts what the HTML contains
   * @return this
   */
  public CapturedMailAssert htmlContains(String... parts) {
    return bodyContains("HTML", actual.html(), parts);
  }

  /**
   * Verifies that the decoded text body contains none of {@code parts}, e.g. no secret.
   *
   * @param parts what the text must not contain
   * @return this
   */
  public CapturedMailAssert textDoesNotContain(String... parts) {
    isNotNull();
    String text = actual.text();
    for (String p : parts) {
      if (text != null && text.contains(p)) {
        failWithMessage("Expected the text body not to contain \"%s\" but it was:%n%s", p, text);
      }
    }
    return this;
  }

  private CapturedMailAssert bodyContains(String what, @Nullable String body, String... parts) {
    isNotNull();
    if (body == null) {
      failWithMessage("Expected a %s body but the mail has none: %s", what, actual);
      return this;
    }
    for (String p : parts) {
      if (!body.contains(p)) {
        failWithMessage("Expected the %s body to contain \"%s\" but it was:%n%s", what, p, body);
      }
    }
    return this;
  }

  /**
   * Verifies that the mail has no HTML body.
   *
   * @return this
   */
  public CapturedMailAssert hasNoHtml() {
    isNotNull();
    if (actual.html() != null) {
      failWithMessage("Expected no HTML body but it was:%n%s", actual.html());
    }
    return this;
  }

  /**
   * Verifies a header's first value, unfolded and decoded.
   *
   * @param name the header name, in any case
   * @param value the expected value
   * @return this
   */
  public CapturedMailAssert hasHeader(String name, String value) {
    isNotNull();
    String have = actual.header(name);
    if (!value.equals(have)) {
      failWithMessage("Expected header %s: \"%s\" but was \"%s\"", name, value, have);
    }
    return this;
  }

  /**
   * Verifies the tag.
   *
   * @param tag the expected tag
   * @return this
   */
  public CapturedMailAssert hasTag(String tag) {
    isNotNull();
    if (!tag.equals(actual.tag())) {
      failWithMessage("Expected tag \"%s\" but was \"%s\"", tag, actual.tag());
    }
    return this;
  }

  /**
   * Verifies the priority, as the queue stored it.
   *
   * @param priority the expected priority
   * @return this
   */
  public CapturedMailAssert hasPriority(Priority priority) {
    isNotNull();
    Priority have = actual.priority();
    if (have != priority) {
      failWithMessage("Expected priority %s but was %s", priority, have);
    }
    return this;
  }

  /**
   * Verifies that an attachment with this file name exists.
   *
   * @param filename the file name, decoded
   * @return this
   */
  public CapturedMailAssert hasAttachment(String filename) {
    isNotNull();
    if (actual.attachments().stream().noneMatch(a -> filename.equals(a.filename()))) {
      failWithMessage(
          "Expected an attachment \"%s\" but the attachments were %s",
          filename, actual.attachments());
    }
    return this;
  }

  /**
   * Verifies that an attachment with this file name, content type and decoded content exists.
   *
   * @param filename the file name, decoded
   * @param contentType the base content type, e.g. {@code application/pdf}
   * @param content the decoded bytes
   * @return this
   */
  public CapturedMailAssert hasAttachment(String filename, String contentType, byte[] content) {
    isNotNull();
    CapturedAttachment want =
        new CapturedAttachment(filename, contentType.toLowerCase(Locale.ROOT), content);
    if (!actual.attachments().contains(want)) {
      failWithMessage(
          "Expected attachment %s but the attachments were %s", want, actual.attachments());
    }
    return this;
  }

  /**
   * Verifies the number of attachments.
   *
   * @param count the expected number
   * @return this
   */
  public CapturedMailAssert hasAttachments(int count) {
    isNotNull();
    if (actual.attachments().size() != count) {
      failWithMessage("Expected %d attachment(s) but were %s", count, actual.attachments());
    }
    return this;
  }

  /**
   * Verifies that exactly one link (text or HTML) contains {@code part}; {@link
   * CapturedMail#link(String)} returns it.
   *
   * @param part what the link contains, e.g. {@code "/reset?token="}
   * @return this
   */
  public CapturedMailAssert hasLinkContaining(String part) {
    isNotNull();
    List<String> matching = actual.links().stream().filter(l -> l.contains(part)).toList();
    if (matching.size() != 1) {
      failWithMessage(
          "Expected one link containing \"%s\" but found %s; all links: %s",
          part, matching, actual.links());
    }
    return this;
  }

  private static List<String> keys(List<MailAddress> addresses) {
    return addresses.stream().map(CapturedMail::key).toList();
  }
}
