package dev.mailqueue.smtp;

import dev.mailqueue.MailQueueException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS that encrypts without authenticating the server: opportunistic STARTTLS to MX hosts (RFC
 * 7435, Postfix {@code smtp_tls_security_level = may}), which protects against passive listeners
 * only. Never used in relay mode, nor for domains that require verified TLS.
 */
final class UnverifiedTls {
  private UnverifiedTls() {}

  static SSLSocketFactory socketFactory() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new AcceptAny()}, null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new MailQueueException("cannot create a TLS context: " + e.getMessage(), e);
    }
  }

  private static final class AcceptAny extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // opportunistic: any certificate is accepted
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
      // opportunistic: any certificate is accepted
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      // opportunistic: any certificate is accepted
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
