package dev.mailqueue.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * A plain socket whose input stream keeps the {@link ServerInputLimits} of its connection until TLS
 * is layered over it (STARTTLS); then it passes the ciphertext through and the TLS socket counts.
 */
final class LimitedSocket extends Socket {
  private final ServerInputLimits limits;
  private InputStream input;

  LimitedSocket(ServerInputLimits limits) {
    this.limits = limits;
  }

  /** The same limited stream on every call, so that what was counted stays counted. */
  @Override
  public synchronized InputStream getInputStream() throws IOException {
    if (input == null) {
      input = limits.limit(super.getInputStream(), true);
    }
    return input;
  }
}
