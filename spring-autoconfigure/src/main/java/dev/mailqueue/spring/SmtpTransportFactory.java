package dev.mailqueue.spring;

import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Maps {@code mailqueue.smtp.*} onto {@link SmtpTransport.Builder}, taking what is unset from
 * Spring Boot's standard {@code spring.mail.*} properties, so that an application that already
 * sends with {@code JavaMailSender} queues through the same relay without new configuration.
 */
final class SmtpTransportFactory {
  /** The port JavaMail uses when {@code spring.mail.port} is unset. */
  static final int DEFAULT_PORT = 25;

  private SmtpTransportFactory() {}

  static SmtpTransport create(MailQueueProperties.Smtp smtp, Environment env) {
    String host = firstSet(smtp.getHost(), env.getProperty("spring.mail.host"));
    if (host == null) {
      throw new NoRelayConfiguredException();
    }
    Integer port = smtp.getPort() != null ? smtp.getPort() : env.getProperty("spring.mail.port", Integer.class);
    SmtpTransport.Builder b = SmtpTransport.relay(host, port != null ? port : DEFAULT_PORT);
    for (String relay : smtp.getFailover()) {
      int colon = relay.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("mailqueue.smtp.failover entries must be host:port: '" + relay + "'");
      }
      b.failover(relay.substring(0, colon), Integer.parseInt(relay.substring(colon + 1)));
    }
    Security security = smtp.getSecurity() != null ? smtp.getSecurity() : securityFromSpringMail(env);
    if (security != null) {
      b.security(security);
    }
    String username = firstSet(smtp.getUsername(), env.getProperty("spring.mail.username"));
    String password = firstSet(smtp.getPassword(), env.getProperty("spring.mail.password"));
    if (username != null) {
      if (password == null) {
        throw new IllegalStateException("an SMTP username is set but no password: set mailqueue.smtp.password "
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
        .maxConnectionsPerRelay(smtp.getMaxConnectionsPerRelay())
        .build();
  }

  /** The first value that is neither null nor blank (an empty property counts as unset), or null. */
  private static String firstSet(String value, String fallback) {
    return StringUtils.hasText(value) ? value : StringUtils.hasText(fallback) ? fallback : null;
  }

  /**
   * Implicit TLS for {@code spring.mail.protocol=smtps} or {@code mail.smtp.ssl.enable}, STARTTLS
   * required for {@code mail.smtp.starttls.required}; otherwise null, leaving the transport's
   * default (which is never weaker than what JavaMail would have done).
   */
  static Security securityFromSpringMail(Environment env) {
    String p = "spring.mail.properties.mail.smtp.";
    if ("smtps".equalsIgnoreCase(env.getProperty("spring.mail.protocol"))
        || env.getProperty(p + "ssl.enable", Boolean.class, false)) {
      return Security.IMPLICIT_TLS;
    }
    if (env.getProperty(p + "starttls.required", Boolean.class, false)) {
      return Security.STARTTLS_REQUIRED;
    }
    return null;
  }
}
