package dev.mailqueue.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.SocketFactory;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Remembers the socket Angus opens for one connection, so that the watchdog can close it from
 * another thread when an attempt runs past its deadline (per-read timeouts do not catch a server
 * that drips one byte at a time). Thread-safe.
 */
final class SocketCapture {
  private final AtomicReference<Socket> socket = new AtomicReference<>();
  private final String tlsHostName;
  private final boolean verifyCertificates;

  /** A capture for a relay: TLS is verified against the name Angus connects to. */
  SocketCapture() {
    this(null, true);
  }

  /**
   * @param tlsHostName the name to send as SNI and verify the certificate against, instead of the
   *     host Angus connected to (an address literal in direct mode); {@code null} to use that host
   * @param verifyCertificates whether the JDK verifies the host name during the handshake (the
   *     factory given to {@link #tls} decides about the chain)
   */
  SocketCapture(String tlsHostName, boolean verifyCertificates) {
    this.tlsHostName = tlsHostName;
    this.verifyCertificates = verifyCertificates;
  }

  void closeQuietly() {
    Socket s = socket.get();
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing is all we wanted
      }
    }
  }

  private <S extends Socket> S remember(S s) {
    socket.set(s);
    return s;
  }

  /** A plain socket factory whose sockets this capture remembers. */
  SocketFactory plain() {
    return new SocketFactory() {
      private final SocketFactory delegate = SocketFactory.getDefault();

      @Override
      public Socket createSocket() throws IOException {
        return remember(delegate.createSocket());
      }

      @Override
      public Socket createSocket(String host, int port) throws IOException {
        return remember(delegate.createSocket(host, port));
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return remember(delegate.createSocket(host, port, localHost, localPort));
      }

      @Override
      public Socket createSocket(InetAddress host, int port) throws IOException {
        return remember(delegate.createSocket(host, port));
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
          throws IOException {
        return remember(delegate.createSocket(address, port, localAddress, localPort));
      }
    };
  }

  /**
   * A TLS socket factory whose sockets this capture remembers and which turns on the JDK's host
   * name verification during the handshake (in addition to Angus's check after it).
   */
  SSLSocketFactory tls(SSLSocketFactory delegate) {
    return new SSLSocketFactory() {
      @Override
      public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
      }

      @Override
      public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
      }

      @Override
      public Socket createSocket() throws IOException {
        return remember(verifying(delegate.createSocket()));
      }

      @Override
      public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
        // layered on the captured plain socket (STARTTLS): closing that one is enough
        return verifying(delegate.createSocket(s, tlsHostName != null ? tlsHostName : host, port, autoClose));
      }

      @Override
      public Socket createSocket(String host, int port) throws IOException {
        return remember(verifying(delegate.createSocket(host, port)));
      }

      @Override
      public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return remember(verifying(delegate.createSocket(host, port, localHost, localPort)));
      }

      @Override
      public Socket createSocket(InetAddress host, int port) throws IOException {
        return remember(verifying(delegate.createSocket(host, port)));
      }

      @Override
      public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
          throws IOException {
        return remember(verifying(delegate.createSocket(address, port, localAddress, localPort)));
      }
    };
  }

  private Socket verifying(Socket s) {
    if (verifyCertificates && s instanceof SSLSocket ssl) {
      SSLParameters p = ssl.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      ssl.setSSLParameters(p);
    }
    return s;
  }
}
