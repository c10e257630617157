package dev.mailqueue.smtp;

/**
 * The DKIM signing algorithms mailqueue signs with: {@code rsa-sha256} (RFC 6376, keys of at least
 * {@link DkimKey#MIN_RSA_BITS} bits) and {@code ed25519-sha256} (RFC 8463). Which one a {@link
 * DkimKey} uses follows from its private key.
 */
public enum DkimAlgorithm {
  /** {@code a=rsa-sha256}, published as {@code k=rsa}; every verifier knows it. */
  RSA_SHA256("rsa-sha256", "rsa"),
  /**
   * {@code a=ed25519-sha256} (RFC 8463), published as {@code k=ed25519}; short keys and fast
   * signatures, but not every verifier knows it yet: sign with an RSA key as well, or alone.
   */
  ED25519_SHA256("ed25519-sha256", "ed25519");

  private final String tag;
  private final String keyType;

  DkimAlgorithm(String tag, String keyType) {
    this.tag = tag;
    this.keyType = keyType;
  }

  /**
   * The signature's {@code a=} value.
   *
   * @return {@code rsa-sha256} or {@code ed25519-sha256}
   */
  public String tag() {
    return tag;
  }

  /**
   * The key record's {@code k=} value.
   *
   * @return {@code rsa} or {@code ed25519}
   */
  public String keyType() {
    return keyType;
  }
}
