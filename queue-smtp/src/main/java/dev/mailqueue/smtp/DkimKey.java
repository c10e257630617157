package dev.mailqueue.smtp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One DKIM signing key: the signing domain ({@code d=}), the selector ({@code s=}) and the private
 * key, RSA (at least {@link #MIN_RSA_BITS} bits, {@code rsa-sha256}) or Ed25519 ({@code
 * ed25519-sha256}, RFC 8463). Load one from a PEM file ({@link #fromPem(String, String, Path)}),
 * from a {@link KeyStore} entry ({@link #fromKeyStore}) or from a {@link PrivateKey} ({@link #of}).
 * The public key is derived from the private key (or taken from the key store's certificate), so
 * that {@link #dnsRecord()} says what to publish and {@link DkimKeyCheck} can compare it with DNS.
 * Immutable and thread-safe; {@link #toString()} never shows the key.
 */
public final class DkimKey {
  /** The smallest RSA key accepted: 2048 bits (RFC 8301 requires 1024, Gmail asks for 2048). */
  public static final int MIN_RSA_BITS = 2048;

  private static final Pattern LABELS =
      Pattern.compile(
          "[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*");

  private final String domain;
  private final String selector;
  private final PrivateKey privateKey;
  private final PublicKey publicKey;
  private final DkimAlgorithm algorithm;

  private DkimKey(String domain, String selector, PrivateKey privateKey, PublicKey publicKey) {
    this.domain = name(domain, "domain");
    this.selector = name(selector, "selector");
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.algorithm = algorithmOf(privateKey);
    if (algorithm == DkimAlgorithm.RSA_SHA256) {
      int bits = ((RSAKey) privateKey).getModulus().bitLength();
      if (bits < MIN_RSA_BITS) {
        throw new IllegalArgumentException(
            "the RSA key of "
                + selector
                + "._domainkey."
                + domain
                + " has "
                + bits
                + " bits; DKIM keys need at least "
                + MIN_RSA_BITS
                + " (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)");
      }
    }
    checkPair(privateKey, publicKey, algorithm);
  }

  /**
   * A key from a private key; the public key is derived from it.
   *
   * @param domain the signing domain ({@code d=}), e.g. {@code example.com}; an internationalised
   *     name is stored as its A-label
   * @param selector the selector ({@code s=}), e.g. {@code mail2026}
   * @param privateKey an RSA key with its CRT parameters (as every PKCS#8 file holds) of at least
   *     {@link #MIN_RSA_BITS} bits, or an Ed25519 key
   * @return the key
   * @throws IllegalArgumentException for an invalid domain or selector, another key type, or a
   *     short RSA key
   */
  public static DkimKey of(String domain, String selector, PrivateKey privateKey) {
    Objects.requireNonNull(privateKey, "privateKey");
    return new DkimKey(domain, selector, privateKey, publicKeyOf(privateKey));
  }

  /**
   * A key from a PEM file: PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}, as {@code openssl genpkey}
   * writes) or PKCS#1 RSA ({@code -----BEGIN RSA PRIVATE KEY-----}). Encrypted keys are refused.
   *
   * @param domain the signing domain ({@code d=})
   * @param selector the selector ({@code s=})
   * @param pemFile the file
   * @return the key
   * @throws UncheckedIOException when the file cannot be read
   * @throws IllegalArgumentException when it holds no usable private key (see {@link #of})
   */
  public static DkimKey fromPem(String domain, String selector, Path pemFile) {
    try {
      return fromPem(domain, selector, Files.readString(pemFile, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the DKIM key " + pemFile + ": " + e, e);
    }
  }

  /**
   * A key from PEM text (see {@link #fromPem(String, String, Path)}).
   *
   * @param domain the signing domain ({@code d=})
   * @param selector the selector ({@code s=})
   * @param pem the PEM text
   * @return the key
   * @throws IllegalArgumentException when it holds no usable private key (see {@link #of})
   */
  public static DkimKey fromPem(String domain, String selector, String pem) {
    return of(domain, selector, parsePem(pem));
  }

  /**
   * A key from a key store entry (PKCS#12 or JKS); the public key is taken from the entry's
   * certificate when it has one, else derived.
   *
   * @param domain the signing domain ({@code d=})
   * @param selector the selector ({@code s=})
   * @param keyStore the loaded key store
   * @param alias the entry's alias
   * @param password the entry's password
   * @return the key
   * @throws IllegalArgumentException when the entry is missing or holds no usable private key
   */
  public static DkimKey fromKeyStore(
      String domain, String selector, KeyStore keyStore, String alias, char[] password) {
    Objects.requireNonNull(keyStore, "keyStore");
    Objects.requireNonNull(alias, "alias");
    try {
      Key key = keyStore.getKey(alias, password);
      if (!(key instanceof PrivateKey pk)) {
        throw new IllegalArgumentException(
            "the key store has no private key under the alias " + quoted(alias));
      }
      Certificate cert = keyStore.getCertificate(alias);
      PublicKey pub = cert != null ? cert.getPublicKey() : publicKeyOf(pk);
      return new DkimKey(domain, selector, pk, pub);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot read the key " + quoted(alias) + " from the key store: " + e.getMessage(), e);
    }
  }

  /**
   * The signing domain, lower case, as an A-label.
   *
   * @return e.g. {@code example.com}
   */
  public String domain() {
    return domain;
  }

  /**
   * The selector, lower case.
   *
   * @return e.g. {@code mail2026}
   */
  public String selector() {
    return selector;
  }

  /**
   * The algorithm this key signs with.
   *
   * @return RSA or Ed25519 with SHA-256
   */
  public DkimAlgorithm algorithm() {
    return algorithm;
  }

  /**
   * The public key that verifiers find in DNS.
   *
   * @return the public key
   */
  public PublicKey publicKey() {
    return publicKey;
  }

  /**
   * The DNS name of the key record.
   *
   * @return {@code selector._domainkey.domain}
   */
  public String dnsName() {
    return selector + "._domainkey." + domain;
  }

  /**
   * The TXT record to publish at {@link #dnsName()}.
   *
   * @return e.g. {@code v=DKIM1; k=rsa; p=MIIBIjANBg…}
   */
  public String dnsRecord() {
    return "v=DKIM1; k="
        + algorithm.keyType()
        + "; p="
        + Base64.getEncoder().encodeToString(publicKeyData(publicKey, algorithm));
  }

  PrivateKey privateKey() {
    return privateKey;
  }

  /** The {@code p=} bytes: the SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519. */
  static byte[] publicKeyData(PublicKey key, DkimAlgorithm algorithm) {
    byte[] spki = key.getEncoded();
    // RFC 8463 3.2: the bare key, i.e. the last 32 bytes of its 44-byte SubjectPublicKeyInfo
    return algorithm == DkimAlgorithm.ED25519_SHA256
        ? Arrays.copyOfRange(spki, spki.length - 32, spki.length)
        : spki;
  }

  /** The domain, selector, algorithm and, for RSA, the key size; never the key. */
  @Override
  public String toString() {
    return "DkimKey["
        + dnsName()
        + ", "
        + algorithm.tag()
        + (algorithm == DkimAlgorithm.RSA_SHA256
            ? " " + ((RSAKey) privateKey).getModulus().bitLength() + " bits"
            : "")
        + "]";
  }

  // ---- parsing and derivation

  private static String name(String name, String what) {
    Objects.requireNonNull(name, what);
    String ascii;
    try {
      ascii = IDN.toASCII(name.strip()).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid DKIM " + what + " " + quoted(name), e);
    }
    if (ascii.endsWith(".")) {
      ascii = ascii.substring(0, ascii.length() - 1);
    }
    if (ascii.length() > 253 || !LABELS.matcher(ascii).matches()) {
      throw new IllegalArgumentException("invalid DKIM " + what + " " + quoted(name));
    }
    return ascii;
  }

  private static DkimAlgorithm algorithmOf(PrivateKey key) {
    if (key instanceof RSAKey) {
      return DkimAlgorithm.RSA_SHA256;
    }
    if (key instanceof EdECPrivateKey ed
        && ed.getParams().getName().equalsIgnoreCase(NamedParameterSpec.ED25519.getName())) {
      return DkimAlgorithm.ED25519_SHA256;
    }
    throw new IllegalArgumentException(
        "DKIM signs with RSA or Ed25519 keys, not " + key.getAlgorithm());
  }

  private static PublicKey publicKeyOf(PrivateKey key) {
    try {
      if (key instanceof RSAPrivateCrtKey rsa) {
        return KeyFactory.getInstance("RSA")
            .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
      }
      if (key instanceof EdECPrivateKey ed && ed.getBytes().isPresent()) {
        // The JDK derives an Ed25519 public key only while generating a pair, from the 32 bytes it
        // draws from its random source: hand it the private key as those bytes. checkPair proves
        // that the result belongs to the private key.
        byte[] seed = ed.getBytes().get();
        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        g.initialize(NamedParameterSpec.ED25519, new FixedBytes(seed));
        return g.generateKeyPair().getPublic();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot derive the DKIM public key: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "cannot derive the public key of this "
            + key.getAlgorithm()
            + " key: use an RSA key with CRT parameters (PKCS#8) or an Ed25519 key");
  }

  private static void checkPair(PrivateKey priv, PublicKey pub, DkimAlgorithm algorithm) {
    byte[] probe = "mailqueue dkim key check".getBytes(StandardCharsets.US_ASCII);
    try {
      String name = algorithm == DkimAlgorithm.RSA_SHA256 ? "SHA256withRSA" : "Ed25519";
      Signature s = Signature.getInstance(name);
      s.initSign(priv);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(name);
      v.initVerify(pub);
      v.update(probe);
      if (!v.verify(sig)) {
        throw new IllegalArgumentException(
            "the DKIM public key does not belong to the private key");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the DKIM key cannot sign: " + e.getMessage(), e);
    }
  }

  static PrivateKey parsePem(String pem) {
    Objects.requireNonNull(pem, "pem");
    if (pem.contains("ENCRYPTED PRIVATE KEY")) {
      throw new IllegalArgumentException(
          "the DKIM key is encrypted: store it unencrypted with restricted file permissions "
              + "(openssl pkcs8 -topk8 -nocrypt), or use a key store");
    }
    boolean pkcs1 = pem.contains("-----BEGIN RSA PRIVATE KEY-----");
    String type = pkcs1 ? "RSA PRIVATE KEY" : "PRIVATE KEY";
    int begin = pem.indexOf("-----BEGIN " + type + "-----");
    int end = pem.indexOf("-----END " + type + "-----");
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(
          "no -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY----- block in the PEM text");
    }
    byte[] der;
    try {
      der =
          Base64.getMimeDecoder()
              .decode(pem.substring(begin + ("-----BEGIN " + type + "-----").length(), end));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the PEM block is not valid Base64", e);
    }
    if (pkcs1) {
      der = pkcs8OfPkcs1(der);
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : new String[] {"RSA", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (InvalidKeySpecException e) {
        // try the next algorithm
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the JDK lacks " + algorithm + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalArgumentException("the PEM block holds neither an RSA nor an Ed25519 key");
  }

  /**
   * Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (version 0, rsaEncryption, NULL), the
   * form the JDK reads.
   */
  private static byte[] pkcs8OfPkcs1(byte[] pkcs1) {
    byte[] head = {
      0x02,
      0x01,
      0x00, // INTEGER 0
      0x30,
      0x0d,
      0x06,
      0x09,
      0x2a,
      (byte) 0x86,
      0x48,
      (byte) 0x86,
      (byte) 0xf7,
      0x0d,
      0x01,
      0x01,
      0x01,
      0x05,
      0x00 // SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }
    };
    byte[] octets = tlv(0x04, pkcs1);
    byte[] body = new byte[head.length + octets.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(octets, 0, body, head.length, octets.length);
    return tlv(0x30, body);
  }

  private static byte[] tlv(int tag, byte[] value) {
    int n = value.length;
    byte[] len =
        n < 0x80
            ? new byte[] {(byte) n}
            : n < 0x100
                ? new byte[] {(byte) 0x81, (byte) n}
                : n < 0x10000
                    ? new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n}
                    : new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
    byte[] out = new byte[1 + len.length + n];
    out[0] = (byte) tag;
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(value, 0, out, 1 + len.length, n);
    return out;
  }

  private static String quoted(String s) {
    return "\"" + s.replace("\r", "\\r").replace("\n", "\\n") + "\"";
  }

  /** Hands out the given bytes as its "random" bytes (see {@link #publicKeyOf}). */
  private static final class FixedBytes extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] bytes;

    FixedBytes(byte[] bytes) {
      this.bytes = bytes.clone();
    }

    @Override
    public void nextBytes(byte[] out) {
      if (out.length != bytes.length) {
        throw new IllegalStateException("expected a request for " + bytes.length + " bytes");
      }
      System.arraycopy(bytes, 0, out, 0, out.length);
    }
  }
}
