package dev.mailqueue.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** Self-signed server certificates generated with the JDK's keytool, once per test run. */
final class TestCertificates {
  static final char[] PASSWORD = "changeit".toCharArray();
  private static TestCertificates localhost;
  private static TestCertificates otherHost;
  private static final Map<String, TestCertificates> byHost = new HashMap<>();

  final Path keyStoreFile;
  final KeyStore keyStore;

  private TestCertificates(Path keyStoreFile, KeyStore keyStore) {
    this.keyStoreFile = keyStoreFile;
    this.keyStore = keyStore;
  }

  /** A certificate for {@code localhost} and {@code 127.0.0.1}. */
  static synchronized TestCertificates localhost() throws Exception {
    if (localhost == null) {
      localhost = generate("localhost", "dns:localhost,ip:127.0.0.1");
    }
    return localhost;
  }

  /** A certificate for {@code other.example} only: trusted, but for the wrong host. */
  static synchronized TestCertificates otherHost() throws Exception {
    if (otherHost == null) {
      otherHost = generate("other.example", "dns:other.example");
    }
    return otherHost;
  }

  /** A certificate for {@code host} only (e.g. an MTA-STS policy host). */
  static synchronized TestCertificates forHost(String host) throws Exception {
    TestCertificates c = byHost.get(host);
    if (c == null) {
      c = generate(host, "dns:" + host);
      byHost.put(host, c);
    }
    return c;
  }

  private static TestCertificates generate(String cn, String san) throws Exception {
    Path dir = Files.createTempDirectory("mailqueue-smtp-tls");
    Path file = dir.resolve(cn + ".p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-validity",
                "2",
                "-dname",
                "CN=" + cn,
                "-ext",
                "SAN=" + san,
                "-storetype",
                "PKCS12",
                "-keystore",
                file.toString(),
                "-storepass",
                new String(PASSWORD),
                "-keypass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + new String(output));
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, PASSWORD);
    }
    file.toFile().deleteOnExit();
    dir.toFile().deleteOnExit();
    return new TestCertificates(file, ks);
  }

  /** The server side: a TLS context presenting this certificate. */
  SSLContext serverContext() throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keyStore, PASSWORD);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  /** The client side: a trust store holding only this certificate. */
  KeyStore trustStore() throws Exception {
    Certificate cert = keyStore.getCertificate("server");
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("server", cert);
    return ts;
  }
}
