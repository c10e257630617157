package dev.mailqueue.smtp;

import dev.mailqueue.spi.NetworkText;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Fetches a domain's MTA-STS policy from {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}
 * (RFC 8461 3.3): the host is resolved through the transport's {@link DnsMxResolver} (so the same
 * name servers answer as for the MX lookup) and its addresses pass the {@link AddressPolicy}; the
 * certificate must be valid for the host name (the JDK's PKIX check and its HTTPS host name rule,
 * with SNI); only a {@code 200} with media type {@code text/plain} is accepted, redirects are not
 * followed; the whole fetch, connect and handshake included, ends after {@link #TIMEOUT}, and
 * nothing past {@link #MAX_POLICY_BYTES} of body is read.
 *
 * <p>Why a plain HTTP/1.0 GET over an {@link SSLSocket} and not {@code java.net.http.HttpClient}:
 * the JDK 17 client resolves host names only through the system resolver, and cannot be told to
 * connect to an address looked up elsewhere while verifying the certificate for the name. HTTP/1.0
 * keeps the response simple to read safely: no chunked encoding, the connection ends the body.
 * Thread-safe.
 */
final class MtaStsFetcher {
  /** The HTTPS port. */
  static final int HTTPS_PORT = 443;

  /** The largest policy read: 64 KiB (RFC 8461 3.3 lets senders refuse larger ones). */
  static final int MAX_POLICY_BYTES = 64 * 1024;

  /** The status line and header fields, at most. */
  static final int MAX_HEADER_BYTES = 8 * 1024;

  /** The whole fetch: 10 seconds. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Addresses of the policy host tried, at most. */
  private static final int MAX_ADDRESSES = 2;

  private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
  private static final Pattern CONTENT_LENGTH =
      Pattern.compile(
          "^content-length:[ \t]*([0-9]{1,9})[ \t]*$",
          Pattern.CASE_INSENSITIVE | Pattern.MULTILINE);
  private static final Pattern STATUS = Pattern.compile("HTTP/1\\.[01] ([0-9]{3})(?: .*)?");

  private final DnsMxResolver dns;
  private final AddressPolicy addressPolicy;
  private final SSLSocketFactory tls;
  private final int port;
  private final Duration timeout;

  /** Why no policy could be fetched; the message is sanitised and short. */
  static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;

    Failed(String message) {
      super(NetworkText.sanitize(message, 300));
    }
  }

  /**
   * @param tls verifies the certificate chain (the transport's trust store or the JDK default)
   * @param port {@link #HTTPS_PORT}; another one only in tests
   */
  MtaStsFetcher(
      DnsMxResolver dns,
      AddressPolicy addressPolicy,
      SSLSocketFactory tls,
      int port,
      Duration timeout) {
    this.dns = dns;
    this.addressPolicy = addressPolicy;
    this.tls = tls;
    this.port = port;
    this.timeout = timeout;
  }

  /**
   * The policy of {@code domain} (lower-case A-labels).
   *
   * @throws Failed when none was fetched: DNS, connection, TLS, HTTP status, media type, size or
   *     syntax
   */
  MtaStsPolicy fetch(String domain) throws Failed {
    String host = "mta-sts." + domain;
    long end = System.nanoTime() + timeout.toNanos();
    List<InetAddress> addresses = dns.hostAddresses(host);
    if (addresses.isEmpty()) {
      throw new Failed("no address for " + host);
    }
    Failed last = null;
    for (InetAddress a : addresses.subList(0, Math.min(MAX_ADDRESSES, addresses.size()))) {
      if (addressPolicy.check(host, a) != AddressPolicy.Verdict.ALLOWED) {
        last = new Failed(host + " resolves to a non-public address " + a.getHostAddress());
        continue;
      }
      String body;
      try {
        body = get(host, a, end);
      } catch (IOException e) {
        last = new Failed("fetch from " + host + "[" + a.getHostAddress() + "]: " + describe(e));
        continue;
      }
      try {
        return MtaStsPolicy.parse(body);
      } catch (MtaStsPolicy.Invalid e) {
        throw new Failed("invalid policy at " + host + ": " + e.getMessage());
      }
    }
    throw last;
  }

  private String get(String host, InetAddress address, long end) throws IOException, Failed {
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(address, port), remainingMillis(end));
      try (SSLSocket s = (SSLSocket) tls.createSocket(plain, host, port, true)) {
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setServerNames(List.of(new SNIHostName(host)));
        s.setSSLParameters(p);
        s.setSoTimeout(remainingMillis(end));
        s.startHandshake();
        OutputStream out = s.getOutputStream();
        String hostHeader = port == HTTPS_PORT ? host : host + ":" + port;
        out.write(
            ("GET /.well-known/mta-sts.txt HTTP/1.0\r\n"
                    + "Host: "
                    + hostHeader
                    + "\r\nUser-Agent: mailqueue\r\nAccept: text/plain\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return body(read(s, end), host);
      }
    }
  }

  /**
   * The response, up to the header limit plus one byte more than a policy may have, within the
   * deadline: until the server closes the connection or, when it sent a Content-Length, until the
   * body is complete (a server may keep the connection open despite {@code Connection: close}).
   */
  private static byte[] read(SSLSocket s, long end) throws IOException {
    InputStream in = s.getInputStream();
    byte[] buf = new byte[MAX_HEADER_BYTES + MAX_POLICY_BYTES + 1];
    int n = 0;
    while (n < buf.length && !complete(buf, n)) {
      s.setSoTimeout(remainingMillis(end));
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    byte[] result = new byte[n];
    System.arraycopy(buf, 0, result, 0, n);
    return result;
  }

  /** The body of a complete response, if it is an acceptable policy document. */
  private static String body(byte[] response, String host) throws Failed {
    int headerEnd = indexOf(response, response.length, HEADER_END);
    if (headerEnd < 0 || headerEnd > MAX_HEADER_BYTES) {
      throw new Failed("no complete HTTP header from " + host);
    }
    String[] lines =
        new String(response, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r\n", -1);
    Matcher status = STATUS.matcher(lines[0]);
    if (!status.matches()) {
      throw new Failed("not an HTTP/1.x response from " + host);
    }
    int code = Integer.parseInt(status.group(1));
    if (code >= 300 && code < 400) {
      throw new Failed(
          "HTTP " + code + " from " + host + ": redirects are not followed (RFC 8461)");
    }
    if (code != 200) {
      throw new Failed("HTTP " + code + " from " + host);
    }
    String contentType = null;
    long contentLength = -1;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).strip();
      switch (name) {
        case "content-type" -> contentType = value;
        case "content-length" -> {
          if (!value.matches("[0-9]{1,9}")) {
            throw new Failed("unusable Content-Length from " + host);
          }
          contentLength = Long.parseLong(value);
        }
        case "transfer-encoding" -> throw new Failed("Transfer-Encoding from " + host);
        default -> {
          // not needed
        }
      }
    }
    String mediaType =
        contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (!mediaType.equals("text/plain")) {
      throw new Failed("media type of the policy at " + host + " is not text/plain: " + mediaType);
    }
    int start = headerEnd + HEADER_END.length;
    int available = response.length - start;
    if (available > MAX_POLICY_BYTES || contentLength > MAX_POLICY_BYTES) {
      throw new Failed("policy at " + host + " is larger than " + MAX_POLICY_BYTES + " bytes");
    }
    int length = available;
    if (contentLength >= 0) {
      if (contentLength > available) {
        throw new Failed("policy at " + host + " ended before its Content-Length");
      }
      length = (int) contentLength;
    }
    try {
      return StandardCharsets.US_ASCII
          .newDecoder()
          .decode(ByteBuffer.wrap(response, start, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw new Failed("policy at " + host + " is not ASCII");
    }
  }

  /** Whether the first {@code n} bytes hold a header with a Content-Length and all of its body. */
  private static boolean complete(byte[] data, int n) {
    int headerEnd = indexOf(data, n, HEADER_END);
    if (headerEnd < 0) {
      return false;
    }
    Matcher m = CONTENT_LENGTH.matcher(new String(data, 0, headerEnd, StandardCharsets.ISO_8859_1));
    return m.find() && n - (headerEnd + HEADER_END.length) >= Long.parseLong(m.group(1));
  }

  private static int indexOf(byte[] data, int length, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (data[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static int remainingMillis(long endNanos) throws SocketTimeoutException {
    long ms = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
    if (ms <= 0) {
      throw new SocketTimeoutException("time for the policy fetch used up");
    }
    return (int) Math.min(ms, Integer.MAX_VALUE);
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
