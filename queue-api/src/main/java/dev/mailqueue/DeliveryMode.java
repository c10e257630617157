package dev.mailqueue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What a queue does with mail it dispatches: send it ({@link #live()}, the default), keep it
 * ({@link #capture()}), send it to other inboxes ({@link #redirect}), or send only what is listed
 * ({@link #allow}). For staging and development, so that a copy of production data cannot mail real
 * customers. The mode applies when mail is dispatched, on the node that dispatches it; what is
 * stored at enqueue is the same in every mode.
 *
 * <p>A recipient that is not sent is recorded {@link RecipientStatus#CAPTURED}, with a local reply
 * naming the mode, and its message ends {@link MessageState#CAPTURED} when no recipient was
 * delivered, bounced or expired; it is counted, listed and shown like any finished mail, and its
 * body is kept until the retention purges it. Addresses at {@code simulator.invalid} are answered
 * by the simulator in every mode and never reach a transport (see the README).
 *
 * <p>Immutable and thread-safe. {@link #toString()} is the mode's name, a lower-case word ({@code
 * live}, {@code capture}, {@code redirect}, {@code allow}), followed for redirect and allow by
 * their addresses or domains.
 */
public final class DeliveryMode {
  /** The four modes. */
  public enum Kind {
    /** Mail is sent to its recipients. */
    LIVE,
    /** Nothing is sent: every recipient is recorded captured. */
    CAPTURE,
    /**
     * Mail is sent to the configured inboxes instead of its recipients, with a header naming them.
     */
    REDIRECT,
    /** Recipients whose address or domain is listed are sent to; the others are captured. */
    ALLOW;

    /** {@return the lower-case name used in configuration and logs, e.g. {@code capture}} */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final DeliveryMode LIVE = new DeliveryMode(Kind.LIVE, List.of(), Set.of());
  private static final DeliveryMode CAPTURE = new DeliveryMode(Kind.CAPTURE, List.of(), Set.of());

  private final Kind kind;
  private final List<MailAddress> inboxes;
  private final Set<String> allowed;

  private DeliveryMode(Kind kind, List<MailAddress> inboxes, Set<String> allowed) {
    this.kind = kind;
    this.inboxes = inboxes;
    this.allowed = allowed;
  }

  /** {@return the production mode: mail goes to its recipients} */
  public static DeliveryMode live() {
    return LIVE;
  }

  /** {@return a mode that sends nothing: every recipient is recorded captured, like a catcher} */
  public static DeliveryMode capture() {
    return CAPTURE;
  }

  /**
   * Sends every message to {@code inboxes} instead of its recipients. The message's stored bytes
   * are sent with an {@code X-Mailqueue-Original-To} header in front, naming the original
   * recipients (Bcc included); each original recipient is recorded with the outcome of the
   * redirected delivery.
   *
   * @param inboxes where all mail goes, at least one
   * @return the mode
   * @throws IllegalArgumentException if no inbox is given
   */
  public static DeliveryMode redirect(MailAddress... inboxes) {
    return redirect(List.of(inboxes));
  }

  /**
   * Sends every message to {@code inboxes} instead of its recipients; see {@link
   * #redirect(MailAddress...)}.
   *
   * @param inboxes where all mail goes, at least one
   * @return the mode
   * @throws IllegalArgumentException if no inbox is given
   */
  public static DeliveryMode redirect(Collection<MailAddress> inboxes) {
    List<MailAddress> list = List.copyOf(inboxes);
    if (list.isEmpty()) {
      throw new IllegalArgumentException("redirect mode needs at least one inbox to send to");
    }
    return new DeliveryMode(Kind.REDIRECT, list, Set.of());
  }

  /**
   * Sends only to listed recipients: an entry with an {@code @} is an address, compared
   * case-insensitively; an entry without is a domain, matching addresses in exactly that domain
   * (not its subdomains). Every other recipient is recorded captured.
   *
   * @param domainsOrAddresses the domains and addresses mail may go to, at least one
   * @return the mode
   * @throws IllegalArgumentException if the collection is empty or an entry is blank, contains
   *     whitespace or a control character, or is not a valid address
   */
  public static DeliveryMode allow(Collection<String> domainsOrAddresses) {
    Set<String> set = new LinkedHashSet<>();
    for (String entry : domainsOrAddresses) {
      Objects.requireNonNull(entry, "allowed entry");
      String e = entry.strip().toLowerCase(Locale.ROOT);
      if (e.isEmpty() || e.chars().anyMatch(c -> Character.isWhitespace(c) || c < 0x20)) {
        throw new IllegalArgumentException(
            "allow mode: not a domain or address: '" + entry.strip() + "'");
      }
      if (e.indexOf('@') >= 0) {
        address("allow mode", e);
      } else if (e.startsWith(".") || e.endsWith(".")) {
        throw new IllegalArgumentException("allow mode: not a domain: '" + e + "'");
      }
      set.add(e);
    }
    if (set.isEmpty()) {
      throw new IllegalArgumentException(
          "allow mode needs at least one domain or address; use capture() to send nothing");
    }
    return new DeliveryMode(Kind.ALLOW, List.of(), Collections.unmodifiableSet(set));
  }

  /**
   * The mode named as in configuration ({@code mailqueue.mode}, the CLI's {@code --mode}).
   *
   * @param name {@code live}, {@code capture}, {@code redirect} or {@code allow}, in any case
   * @param redirectTo the inboxes, for {@code redirect} (required there, refused elsewhere)
   * @param allow the domains and addresses, for {@code allow} (required there, refused elsewhere)
   * @return the mode
   * @throws IllegalArgumentException if the name is unknown or the lists do not fit the mode
   */
  public static DeliveryMode of(
      String name, Collection<String> redirectTo, Collection<String> allow) {
    Kind kind;
    try {
      kind = Kind.valueOf(Objects.requireNonNull(name, "name").strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown mode '" + name.strip() + "'; use live, capture, redirect or allow", e);
    }
    if (kind != Kind.REDIRECT && !redirectTo.isEmpty()) {
      throw new IllegalArgumentException(
          "redirect inboxes are given but the mode is " + kind.label() + ", not redirect");
    }
    if (kind != Kind.ALLOW && !allow.isEmpty()) {
      throw new IllegalArgumentException(
          "allowed domains are given but the mode is " + kind.label() + ", not allow");
    }
    return switch (kind) {
      case LIVE -> live();
      case CAPTURE -> capture();
      case REDIRECT -> {
        List<MailAddress> inboxes = new ArrayList<>();
        for (String s : redirectTo) {
          inboxes.add(address("redirect mode", s));
        }
        yield redirect(inboxes);
      }
      case ALLOW -> allow(allow);
    };
  }

  private static MailAddress address(String mode, String text) {
    try {
      return MailAddress.parse(text.strip());
    } catch (InvalidMailException e) {
      throw new IllegalArgumentException(mode + ": not an address: " + e.getMessage(), e);
    }
  }

  /** {@return which mode this is} */
  public Kind kind() {
    return kind;
  }

  /** {@return whether this is the production mode, {@link Kind#LIVE}} */
  public boolean isLive() {
    return kind == Kind.LIVE;
  }

  /** {@return the inboxes mail is redirected to; empty unless {@link Kind#REDIRECT}} */
  public List<MailAddress> redirectTo() {
    return inboxes;
  }

  /** {@return the allowed domains and addresses, lower case; empty unless {@link Kind#ALLOW}} */
  public Set<String> allowed() {
    return allowed;
  }

  /**
   * Whether this mode lets mail to {@code recipient} leave (possibly redirected): always in live
   * and redirect mode, never in capture mode, when listed in allow mode.
   *
   * @param recipient the original recipient
   * @return whether it is sent rather than captured
   */
  public boolean sends(MailAddress recipient) {
    return switch (kind) {
      case LIVE, REDIRECT -> true;
      case CAPTURE -> false;
      case ALLOW -> {
        String address = recipient.address().toLowerCase(Locale.ROOT);
        yield allowed.contains(address)
            || allowed.contains(address.substring(address.lastIndexOf('@') + 1));
      }
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeliveryMode m
        && kind == m.kind
        && inboxes.equals(m.inboxes)
        && allowed.equals(m.allowed);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, inboxes, allowed);
  }

  /**
   * {@return the name, e.g. {@code live}, {@code capture}, {@code redirect to qa@example.com} or
   * {@code allow example.com, ops@example.org}}
   */
  @Override
  public String toString() {
    return switch (kind) {
      case LIVE, CAPTURE -> kind.label();
      case REDIRECT ->
          "redirect to " + String.join(", ", inboxes.stream().map(MailAddress::address).toList());
      case ALLOW -> "allow " + String.join(", ", allowed);
    };
  }
}
