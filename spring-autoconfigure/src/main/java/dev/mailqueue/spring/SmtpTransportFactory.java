package dev.mailqueue.spring;

import dev.mailqueue.smtp.DkimKey;
import dev.mailqueue.smtp.DkimSigning;
import dev.mailqueue.smtp.RelayBuilder;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.core.io.Resource;
import org.springframework.util.StringUtils;

/**
 * Maps {@code mailqueue.smtp.*} onto {@link RelayBuilder}, taking what is unset from Spring Boot's
 * standard {@code spring.mail.*} properties (read as Boot reads them, see {@link
 * SpringMailSettings}), so that an application that already sends with {@code JavaMailSender}
 * queues through the same relay, with the same TLS settings and SSL bundle, without new
 * configuration.
 */
final class SmtpTransportFactory {
  /** The port JavaMail uses when {@code spring.mail.port} is unset. */
  static final int DEFAULT_PORT = 25;

  private SmtpTransportFactory() {}

  /**
   * The relay builder with every property applied; the caller applies customizers and builds.
   *
   * @param sslBundles the application's SSL bundles, or null when it has none
   */
  static RelayBuilder builder(
      MailQueueProperties.Smtp smtp, SpringMailSettings mail, SslBundles sslBundles) {
    String host = firstSet(smtp.getHost(), mail.host());
    if (host == null) {
      throw new NoRelayConfiguredException();
    }
    Integer port = smtp.getPort() != null ? smtp.getPort() : mail.port();
    RelayBuilder b = SmtpTransport.relay(host, port != null ? port : DEFAULT_PORT);
    for (String relay : smtp.getFailover()) {
      int colon = relay.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(
            "mailqueue.smtp.failover entries must be host:port: '" + relay + "'");
      }
      b.failover(relay.substring(0, colon), Integer.parseInt(relay.substring(colon + 1)));
    }
    Security security =
        smtp.getSecurity() != null ? smtp.getSecurity() : securityFromSpringMail(mail);
    if (security != null) {
      b.security(security);
    }
    String bundle = firstSet(smtp.getSslBundle(), mail.sslBundle());
    if (bundle != null) {
      if (sslBundles == null) {
        throw new IllegalStateException(
            "SSL bundle '"
                + bundle
                + "' is configured for the mail relay, but the "
                + "application has no SslBundles bean: define the bundle under spring.ssl.bundle.*");
      }
      // Trust (and any client key) of the bundle; host names are verified regardless.
      b.sslSocketFactory(sslBundles.getBundle(bundle).createSslContext().getSocketFactory());
    }
    String username = firstSet(smtp.getUsername(), mail.username());
    String password = firstSet(smtp.getPassword(), mail.password());
    if (username != null) {
      if (password == null) {
        throw new IllegalStateException(
            "an SMTP username is set but no password: set mailqueue.smtp.password "
                + "(or spring.mail.password)");
      }
      b.credentials(username, password);
    }
    if (smtp.getEhloName() != null) {
      b.ehloName(smtp.getEhloName());
    }
    return b.connectTimeout(smtp.getConnectTimeout())
        .readTimeout(smtp.getReadTimeout())
        .writeTimeout(smtp.getWriteTimeout())
        .attemptDeadline(smtp.getAttemptDeadline())
        .maxMessagesPerConnection(smtp.getMaxMessagesPerConnection())
        .idleTimeout(smtp.getIdleTimeout())
        .maxConnectionsPerServer(smtp.getMaxConnectionsPerRelay());
  }

  /**
   * The signing configuration of {@code mailqueue.dkim.*}, or null when no private key is set.
   *
   * @throws IllegalStateException when the key is set without a domain or selector, cannot be read,
   *     or is not a usable key
   */
  static DkimSigning dkim(MailQueueProperties.Dkim dkim) {
    Resource resource = dkim.getPrivateKey();
    if (resource == null) {
      return null;
    }
    if (!StringUtils.hasText(dkim.getDomain()) || !StringUtils.hasText(dkim.getSelector())) {
      throw new IllegalStateException(
          "mailqueue.dkim.private-key is set: set mailqueue.dkim.domain and "
              + "mailqueue.dkim.selector too");
    }
    String pem;
    try (InputStream in = resource.getInputStream()) {
      pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read mailqueue.dkim.private-key " + resource.getDescription() + ": " + e, e);
    }
    try {
      return DkimSigning.builder()
          .key(DkimKey.fromPem(dkim.getDomain(), dkim.getSelector(), pem))
          .checkDnsAtStart(dkim.isCheckDnsAtStart())
          .build();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "mailqueue.dkim.private-key " + resource.getDescription() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The first value that is neither null nor blank (an empty property counts as unset), or null.
   */
  private static String firstSet(String value, String fallback) {
    return StringUtils.hasText(value) ? value : StringUtils.hasText(fallback) ? fallback : null;
  }

  /**
   * Implicit TLS for {@code spring.mail.ssl.enabled}, {@code spring.mail.protocol=smtps} or {@code
   * mail.smtp.ssl.enable}, STARTTLS required for {@code mail.smtp.starttls.required}; otherwise
   * null, leaving the transport's default (which is never weaker than what JavaMail would have
   * done).
   */
  static Security securityFromSpringMail(SpringMailSettings mail) {
    if (mail.sslEnabled()
        || "smtps".equalsIgnoreCase(mail.protocol())
        || mail.flag("mail.smtp.ssl.enable")) {
      return Security.IMPLICIT_TLS;
    }
    if (mail.flag("mail.smtp.starttls.required")) {
      return Security.STARTTLS_REQUIRED;
    }
    return null;
  }
}
