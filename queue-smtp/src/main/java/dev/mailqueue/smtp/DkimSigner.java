package dev.mailqueue.smtp;

import dev.mailqueue.spi.NetworkText;
import dev.mailqueue.spi.OutboundMail;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs one attempt's bytes with the keys {@link DkimSigning} chooses for its From domain: adds a
 * {@code DKIM-Signature} field per key at the top of a copy of the bytes (relaxed/relaxed, {@code
 * t=} the attempt's time). Thread-safe.
 */
final class DkimSigner {
  private static final Logger log = LoggerFactory.getLogger(SmtpTransport.class);

  /** Where the signature field is folded: RFC 5322's 78 characters. */
  private static final int LINE = 78;

  private final DkimSigning signing;
  private final Set<String> unsignedDomainsLogged = ConcurrentHashMap.newKeySet();

  DkimSigner(DkimSigning signing) {
    this.signing = signing;
  }

  /** The attempt with its signatures, or {@code mail} itself when its From domain has no key. */
  OutboundMail sign(OutboundMail mail, long epochSecond) {
    byte[] mime = mail.mime();
    byte[] signatures = signatures(mime, epochSecond, mail.id().toString());
    if (signatures.length == 0) {
      return mail;
    }
    byte[] signed = new byte[signatures.length + mime.length];
    System.arraycopy(signatures, 0, signed, 0, signatures.length);
    System.arraycopy(mime, 0, signed, signatures.length, mime.length);
    return new OutboundMail(
        mail.id(),
        mail.messageIdHeader(),
        mail.envelopeFrom(),
        mail.recipients(),
        signed,
        mail.attempt(),
        mail.tag(),
        mail.smtpUtf8());
  }

  /** The signature fields, each ending with CRLF; empty when the mail goes unsigned. */
  byte[] signatures(byte[] mime, long epochSecond, String forLog) {
    List<int[]> fields = new ArrayList<>();
    int bodyStart = headerFields(mime, fields);
    String fromDomain = fromDomain(mime, fields);
    List<DkimKey> keys = fromDomain == null ? List.of() : signing.signingKeys(fromDomain);
    if (keys.isEmpty()) {
      String what =
          fromDomain == null ? "(no readable From address)" : NetworkText.sanitize(fromDomain, 255);
      // bounded: a queue with mail of very many domains stops remembering (and logging) them
      if (unsignedDomainsLogged.size() < 10_000 && unsignedDomainsLogged.add(what)) {
        log.info(
            "DKIM: no key for the From domain {}: its mail is sent unsigned (first seen on {})",
            what,
            forLog);
      }
      return new byte[0];
    }
    String bodyHash;
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      DkimCanonicalizer.body(mime, bodyStart, sha256);
      bodyHash = Base64.getEncoder().encodeToString(sha256.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    List<String> names = new ArrayList<>();
    ByteArrayOutputStream canonical = new ByteArrayOutputStream(1024);
    for (String name : signing.signedHeaders()) {
      // instances are signed from the bottom up (RFC 6376 5.4.2)
      List<int[]> present = new ArrayList<>();
      for (int[] f : fields) {
        if (nameIs(mime, f, name)) {
          present.add(0, f);
        }
      }
      for (int[] f : present) {
        names.add(name.toLowerCase(Locale.ROOT));
        DkimCanonicalizer.header(mime, f[0], f[1], true, canonical);
      }
      if (name.equalsIgnoreCase("From")) {
        names.add("from"); // over-signed: a nonexistent field, so no From may be added
      }
    }
    byte[] headers = canonical.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream(512 * keys.size());
    for (DkimKey key : keys) {
      byte[] field = unsignedField(key, epochSecond, names, bodyHash);
      ByteArrayOutputStream data = new ByteArrayOutputStream(headers.length + field.length);
      data.writeBytes(headers);
      DkimCanonicalizer.header(field, 0, field.length, false, data);
      String b = Base64.getEncoder().encodeToString(sign(key, data.toByteArray()));
      out.writeBytes(field);
      out.writeBytes(fold(b, lastLineLength(field)).getBytes(StandardCharsets.US_ASCII));
      out.write('\r');
      out.write('\n');
    }
    return out.toByteArray();
  }

  /** The signature field with an empty {@code b=}, folded, without a final line break. */
  private static byte[] unsignedField(
      DkimKey key, long epochSecond, List<String> names, String bodyHash) {
    List<String> tags = new ArrayList<>();
    tags.add("v=1;");
    tags.add("a=" + key.algorithm().tag() + ";");
    tags.add("c=relaxed/relaxed;");
    tags.add("d=" + key.domain() + ";");
    tags.add("s=" + key.selector() + ";");
    tags.add("t=" + epochSecond + ";");
    StringBuilder h = new StringBuilder("h=");
    for (int i = 0; i < names.size(); i++) {
      h.append(names.get(i)).append(i + 1 < names.size() ? ":" : ";");
    }
    tags.add(h.toString());
    tags.add("bh=" + bodyHash + ";");
    tags.add("b=");
    StringBuilder s = new StringBuilder("DKIM-Signature:");
    int line = s.length();
    for (String tag : tags) {
      if (tag.startsWith("h=") && line + 1 + tag.length() > LINE) {
        // a long h= list is folded after its colons
        s.append("\r\n\t");
        line = 1;
        for (String part : tag.split("(?<=:)")) {
          if (line + part.length() > LINE) {
            s.append("\r\n\t");
            line = 1;
          }
          s.append(part);
          line += part.length();
        }
        continue;
      }
      if (line + 1 + tag.length() > LINE) {
        s.append("\r\n\t");
        line = 1;
      } else {
        s.append(' ');
        line++;
      }
      s.append(tag);
      line += tag.length();
    }
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static int lastLineLength(byte[] field) {
    int i = field.length;
    while (i > 0 && field[i - 1] != '\n') {
      i--;
    }
    return field.length - i + (i == 0 ? 0 : 7); // a tab counts as up to eight columns
  }

  /** {@code b} folded so that no line exceeds {@link #LINE}; the verifier ignores the blanks. */
  private static String fold(String b, int column) {
    StringBuilder s = new StringBuilder(b.length() + b.length() / 40);
    int room = Math.max(8, LINE - column);
    int i = 0;
    while (i < b.length()) {
      int end = Math.min(b.length(), i + room);
      if (i > 0) {
        s.append("\r\n\t");
      }
      s.append(b, i, end);
      i = end;
      room = LINE - 8;
    }
    return s.toString();
  }

  private static byte[] sign(DkimKey key, byte[] data) {
    try {
      Signature s;
      if (key.algorithm() == DkimAlgorithm.ED25519_SHA256) {
        // RFC 8463 3: Ed25519 signs the SHA-256 hash of the data, not the data
        s = Signature.getInstance("Ed25519");
        s.initSign(key.privateKey());
        s.update(MessageDigest.getInstance("SHA-256").digest(data));
      } else {
        s = Signature.getInstance("SHA256withRSA");
        s.initSign(key.privateKey());
        s.update(data);
      }
      return s.sign();
    } catch (GeneralSecurityException e) {
      // DkimKey proved at build time that the key signs
      throw new IllegalStateException("DKIM signing with " + key + " failed: " + e, e);
    }
  }

  /**
   * Collects the header fields of {@code mime} as {@code [start, end)} (continuation lines
   * included) and returns where the body starts.
   */
  static int headerFields(byte[] mime, List<int[]> fields) {
    int pos = 0;
    int[] current = null;
    while (pos < mime.length) {
      int next = StoredMessage.nextLine(mime, pos);
      byte c = mime[pos];
      if (c == '\r' || c == '\n') {
        return next; // the empty line
      }
      if ((c == ' ' || c == '\t') && current != null) {
        current[1] = next;
      } else {
        current = new int[] {pos, next};
        fields.add(current);
      }
      pos = next;
    }
    return mime.length;
  }

  private static boolean nameIs(byte[] b, int[] field, String name) {
    int n = name.length();
    int end = field[0] + n;
    if (end >= field[1]) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (Character.toLowerCase((char) (b[field[0] + i] & 0xff))
          != Character.toLowerCase(name.charAt(i))) {
        return false;
      }
    }
    int i = end;
    while (i < field[1] && (b[i] == ' ' || b[i] == '\t')) {
      i++;
    }
    return i < field[1] && b[i] == ':';
  }

  /** The domain of the first From address, or {@code null} when there is none that parses. */
  private static @Nullable String fromDomain(byte[] mime, List<int[]> fields) {
    for (int[] f : fields) {
      if (nameIs(mime, f, "From")) {
        String value = new String(mime, f[0], f[1] - f[0], StandardCharsets.UTF_8);
        value = value.substring(value.indexOf(':') + 1).replaceAll("\\r\\n|\\r|\\n", "");
        try {
          InternetAddress[] addresses = InternetAddress.parseHeader(value, false);
          if (addresses.length == 0) {
            return null;
          }
          String a = addresses[0].getAddress();
          int at = a == null ? -1 : a.lastIndexOf('@');
          return at < 0 ? null : a.substring(at + 1);
        } catch (AddressException e) {
          return null;
        }
      }
    }
    return null;
  }
}
