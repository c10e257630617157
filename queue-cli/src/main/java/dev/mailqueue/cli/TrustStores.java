package dev.mailqueue.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * Reads the certificates {@code run --trust-store} trusts: a PEM file of one or more certificates
 * (what a private CA hands out), or a PKCS#12 or JKS key store.
 */
final class TrustStores {
  private TrustStores() {}

  /**
   * The trust store in {@code file}; {@code password} (may be {@code null}) unlocks a PKCS#12 or
   * JKS store and is ignored for PEM.
   *
   * @throws IllegalArgumentException saying what is wrong with the file, in one line
   */
  static KeyStore load(Path file, char[] password) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read trust store " + file + ": " + e);
    }
    String head = new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1);
    try {
      if (head.contains("-----BEGIN ")) {
        Collection<? extends Certificate> certificates =
            CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(bytes));
        if (certificates.isEmpty()) {
          throw new IllegalArgumentException("trust store " + file + " holds no certificate (PEM)");
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate c : certificates) {
          store.setCertificateEntry("pem-" + i++, c);
        }
        return store;
      }
      // PKCS#12 and JKS each recognise their own format; try both rather than trust the file name.
      GeneralSecurityException first = null;
      for (String type : new String[] {"PKCS12", "JKS"}) {
        try {
          KeyStore store = KeyStore.getInstance(type);
          store.load(new ByteArrayInputStream(bytes), password);
          if (store.size() == 0) {
            throw new IllegalArgumentException(
                "trust store " + file + " holds no certificate (" + type + ")");
          }
          return store;
        } catch (GeneralSecurityException | IOException e) {
          if (first == null && e instanceof GeneralSecurityException g) {
            first = g;
          }
          if (e instanceof IOException && e.getCause() instanceof UnrecoverableKeyException) {
            throw new IllegalArgumentException(
                "trust store "
                    + file
                    + ": wrong password (set "
                    + "MAILQUEUE_TRUST_STORE_PASSWORD)");
          }
        }
      }
      throw new IllegalArgumentException(
          "trust store "
              + file
              + " is neither PEM certificates, PKCS#12 nor JKS"
              + (first == null ? "" : ": " + first.getMessage()));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot read trust store " + file + ": " + e.getMessage());
    }
  }
}
