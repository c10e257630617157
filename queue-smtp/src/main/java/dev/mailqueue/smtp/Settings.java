package dev.mailqueue.smtp;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLSocketFactory;

/** The validated, immutable configuration of an {@link SmtpTransport}. */
record Settings(List<Relay> relays, Security security, Credentials credentials, SSLSocketFactory sslSocketFactory,
                String ehloName, Duration connectTimeout, Duration readTimeout, Duration writeTimeout,
                Duration attemptDeadline, int maxMessagesPerConnection, Duration idleTimeout,
                int maxConnectionsPerRelay) {

  Settings {
    relays = List.copyOf(relays);
  }

  /** {@code smtps} for implicit TLS, {@code smtp} otherwise; every property is prefixed with it. */
  String protocol() {
    return security == Security.IMPLICIT_TLS ? "smtps" : "smtp";
  }

  /**
   * The Angus session properties for one connection. Every default that is unsafe for a queue is
   * overridden here (timeouts, sendpartial, quitwait, socket factory fallback, 8BITMIME rewriting,
   * envelope sender, EHLO name, TLS verification); protocol logging stays off because it would
   * print AUTH lines and message bodies.
   */
  Properties sessionProperties(SocketCapture capture, ScheduledExecutorService executor) {
    String p = "mail." + protocol();
    Properties props = new Properties();
    props.setProperty("mail.debug", "false");
    props.setProperty(p + ".connectiontimeout", millis(connectTimeout));
    props.setProperty(p + ".timeout", millis(readTimeout));
    props.setProperty(p + ".writetimeout", millis(writeTimeout));
    props.put(p + ".executor.writetimeout", executor);
    props.setProperty(p + ".sendpartial", "true");
    props.setProperty(p + ".quitwait", "false");
    props.setProperty(p + ".socketFactory.fallback", "false");
    props.setProperty(p + ".allow8bitmime", "false");
    props.setProperty(p + ".localhost", ehloName);
    props.setProperty(p + ".ehlo", "true");
    props.setProperty(p + ".userset", "true");
    props.setProperty(p + ".noop.strict", "true");
    props.setProperty(p + ".ssl.checkserveridentity", "true");
    props.put(p + ".socketFactory", capture.plain());
    props.put(p + ".ssl.socketFactory", capture.tls(sslSocketFactory));
    props.setProperty(p + ".ssl.enable", Boolean.toString(security == Security.IMPLICIT_TLS));
    props.setProperty(p + ".starttls.enable",
        Boolean.toString(security == Security.STARTTLS_REQUIRED || security == Security.STARTTLS_OPPORTUNISTIC));
    props.setProperty(p + ".starttls.required", Boolean.toString(security == Security.STARTTLS_REQUIRED));
    props.setProperty(p + ".auth", Boolean.toString(credentials != null));
    if (credentials != null) {
      props.setProperty(p + ".auth.mechanisms", credentials.mechanisms());
    }
    return props;
  }

  private static String millis(Duration d) {
    return Long.toString(d.toMillis());
  }
}
