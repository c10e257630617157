package dev.mailqueue.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.SocketFactory;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Remembers the socket Angus opens for one connection, so that the watchdog can close it from
 * another thread when an attempt runs past its deadline (per-read timeouts do not catch a server
 * that drips one byte at a time), and bounds what the server may send on it ({@link
 * ServerInputLimits}): the plain socket's stream counts until STARTTLS, the TLS socket's stream
 * counts the decrypted bytes after it (or from the start with implicit TLS). Thread-safe.
 *
 * <p>The socket factories ({@link #plain()}, {@link #tls}) are shared by every connection of a
 * pool, through one Angus session per pool (creating a session per connection scans the class path
 * for providers and cost more than the connection). Which capture a new socket belongs to is
 * therefore told by the thread that connects: Angus creates sockets only inside {@code connect()}
 * (including STARTTLS), on the caller's thread, between {@link #bind()} and {@link #unbind()}. A
 * socket requested outside of that is refused rather than left unwatched.
 */
final class SocketCapture {
  private static final ThreadLocal<SocketCapture> CONNECTING = new ThreadLocal<>();
  private static final SocketFactory PLAIN = new CapturingSocketFactory();

  private final AtomicReference<Socket> socket = new AtomicReference<>();
  private final ServerInputLimits limits = new ServerInputLimits();
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

  /**
   * Sockets the shared factories create on this thread belong to this capture until {@link
   * #unbind()}.
   */
  void bind() {
    CONNECTING.set(this);
  }

  /** Ends {@link #bind()} on this thread. */
  static void unbind() {
    CONNECTING.remove();
  }

  /** Octets the server has sent on this connection (decrypted, over TLS). */
  long bytesRead() {
    return limits.bytesRead();
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

  private static SocketCapture current() throws IOException {
    SocketCapture c = CONNECTING.get();
    if (c == null) {
      throw new IOException(
          "socket requested outside of a connect: the attempt watchdog could not close it");
    }
    return c;
  }

  private <S extends Socket> S remember(S s) {
    socket.set(s);
    return s;
  }

  /** A plain socket factory whose sockets the capture bound to the connecting thread remembers. */
  static SocketFactory plain() {
    return PLAIN;
  }

  /**
   * A TLS socket factory over {@code delegate} whose sockets the capture bound to the connecting
   * thread remembers, and which turns on the JDK's host name verification during the handshake when
   * that capture verifies certificates (in addition to Angus's check after it).
   */
  static SSLSocketFactory tls(SSLSocketFactory delegate) {
    return new CapturingTlsSocketFactory(delegate);
  }

  /**
   * Turns on the JDK's host name verification when this capture verifies certificates, and bounds
   * the decrypted input.
   */
  private Socket verifying(Socket s) {
    if (!(s instanceof SSLSocket ssl)) {
      return s; // not what an SSLSocketFactory should return; nothing to verify or decrypt
    }
    if (verifyCertificates) {
      SSLParameters p = ssl.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      ssl.setSSLParameters(p);
    }
    return new LimitedSslSocket(ssl, limits);
  }

  /** An unconnected plain socket with this capture's bounds. */
  private Socket plainSocket() {
    return new LimitedSocket(limits);
  }

  private static final class CapturingSocketFactory extends SocketFactory {
    @Override
    public Socket createSocket() throws IOException {
      SocketCapture c = current();
      return c.remember(c.plainSocket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return connected(createSocket(), new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      return connected(
          createSocket(),
          new InetSocketAddress(host, port),
          new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return connected(createSocket(), new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(
        InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      return connected(
          createSocket(),
          new InetSocketAddress(address, port),
          new InetSocketAddress(localAddress, localPort));
    }

    /** Binds and connects as the JDK's default factory does; closes the socket when that fails. */
    private static Socket connected(Socket s, InetSocketAddress remote, InetSocketAddress local)
        throws IOException {
      try {
        if (local != null) {
          s.bind(local);
        }
        s.connect(remote);
        return s;
      } catch (IOException | RuntimeException e) {
        s.close();
        throw e;
      }
    }
  }

  private static final class CapturingTlsSocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    CapturingTlsSocketFactory(SSLSocketFactory delegate) {
      this.delegate = delegate;
    }

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
      SocketCapture c = current();
      return c.remember(c.verifying(delegate.createSocket()));
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose)
        throws IOException {
      // Layered on a connected plain socket: with STARTTLS the captured one, whose stream carries
      // ciphertext from now on (closing it is enough); with implicit TLS one Angus created itself,
      // which the watchdog must then be able to close.
      SocketCapture c = current();
      c.limits.tlsLayered();
      c.socket.compareAndSet(null, s);
      return c.verifying(
          delegate.createSocket(s, c.tlsHostName != null ? c.tlsHostName : host, port, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      SocketCapture c = current();
      return c.remember(c.verifying(delegate.createSocket(host, port)));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      SocketCapture c = current();
      return c.remember(c.verifying(delegate.createSocket(host, port, localHost, localPort)));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      SocketCapture c = current();
      return c.remember(c.verifying(delegate.createSocket(host, port)));
    }

    @Override
    public Socket createSocket(
        InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      SocketCapture c = current();
      return c.remember(c.verifying(delegate.createSocket(address, port, localAddress, localPort)));
    }
  }
}
