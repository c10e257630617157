package dev.mailqueue.smtp;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLSocketFactory;

/**
 * The validated, immutable configuration of an {@link SmtpTransport}, or of the pools to one kind
 * of destination in direct mode.
 *
 * @param direct whether connections go straight to MX hosts (no relays, no credentials)
 * @param verifyCertificates whether a TLS server's certificate chain and host name are checked;
 *     always true in relay mode, false for opportunistic TLS to MX hosts (RFC 7435)
 * @param greetingTimeout how long a new connection may take to be ready for a transaction (connect,
 *     greeting, EHLO, STARTTLS, AUTH), within the attempt deadline
 */
record Settings(
    List<Relay> relays,
    Security security,
    Credentials credentials,
    SSLSocketFactory sslSocketFactory,
    String ehloName,
    Duration connectTimeout,
    Duration readTimeout,
    Duration writeTimeout,
    Duration attemptDeadline,
    Duration greetingTimeout,
    int maxMessagesPerConnection,
    Duration idleTimeout,
    int maxConnectionsPerServer,
    boolean direct,
    boolean verifyCertificates) {

  Settings {
    relays = List.copyOf(relays);
  }

  /** The same settings with another TLS mode (direct mode: one per kind of destination). */
  Settings withTls(Security security, SSLSocketFactory factory, boolean verifyCertificates) {
    return new Settings(
        relays,
        security,
        credentials,
        factory,
        ehloName,
        connectTimeout,
        readTimeout,
        writeTimeout,
        attemptDeadline,
        greetingTimeout,
        maxMessagesPerConnection,
        idleTimeout,
        maxConnectionsPerServer,
        direct,
        verifyCertificates);
  }

  /**
   * The settings of the pool to {@code host}: with shaping, its connections follow the session
   * limits of the host's destination; without ({@code shaping == null}), these settings.
   */
  Settings forHost(DestinationLimits shaping, String host) {
    return shaping == null ? this : withSessionLimits(shaping.destinationOfHost(host).limit());
  }

  /** The same settings with the session limits of one destination (shaping). */
  private Settings withSessionLimits(DestinationLimits.Limit limit) {
    return new Settings(
        relays,
        security,
        credentials,
        sslSocketFactory,
        ehloName,
        connectTimeout,
        readTimeout,
        writeTimeout,
        attemptDeadline,
        greetingTimeout,
        limit.messagesPerSession(),
        idleTimeout,
        limit.maxConcurrentSessions(),
        direct,
        verifyCertificates);
  }

  /** {@code smtps} for implicit TLS, {@code smtp} otherwise; every property is prefixed with it. */
  String protocol() {
    return security == Security.IMPLICIT_TLS ? "smtps" : "smtp";
  }

  /**
   * The Angus session properties for the connections of one pool (sockets are told apart by {@link
   * SocketCapture}). Every default that is unsafe for a queue is overridden here (timeouts,
   * sendpartial, quitwait, socket factory fallback, 8BITMIME rewriting, envelope sender, EHLO name,
   * TLS verification); protocol logging stays off because it would print AUTH lines and message
   * bodies.
   */
  Properties sessionProperties(ScheduledExecutorService executor) {
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
    // Relay mode: Angus checks the name it connected to. Direct mode connects to an address
    // literal, so the check against the MX name is done by the JDK during the handshake
    // (SocketCapture), and only when certificates are verified.
    props.setProperty(p + ".ssl.checkserveridentity", Boolean.toString(!direct));
    props.put(p + ".socketFactory", SocketCapture.plain());
    props.put(p + ".ssl.socketFactory", SocketCapture.tls(sslSocketFactory));
    props.setProperty(p + ".ssl.enable", Boolean.toString(security == Security.IMPLICIT_TLS));
    props.setProperty(
        p + ".starttls.enable",
        Boolean.toString(
            security == Security.STARTTLS_REQUIRED || security == Security.STARTTLS_OPPORTUNISTIC));
    props.setProperty(
        p + ".starttls.required", Boolean.toString(security == Security.STARTTLS_REQUIRED));
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
