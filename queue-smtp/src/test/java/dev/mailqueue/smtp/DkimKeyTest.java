package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Loading DKIM keys: PEM forms, key stores, refusals with clear messages. */
class DkimKeyTest {
  static Path resource(String name) {
    try {
      return Path.of(DkimKeyTest.class.getResource("/dkim/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void rsaKeysShorterThan2048BitsAreRefused() {
    assertThatThrownBy(() -> DkimKey.fromPem("example.com", "s", resource("rsa1024.pem")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1024 bits")
        .hasMessageContaining("at least 2048");
  }

  @Test
  void pkcs1AndPkcs8PemFilesFromOpensslLoad() {
    DkimKey rsa = DkimKey.fromPem("Example.COM.", "Sel", resource("rsa-pkcs1.pem"));
    DkimKey ed = DkimKey.fromPem("example.com", "ed", resource("ed25519.pem"));

    assertThat(rsa.algorithm()).isEqualTo(DkimAlgorithm.RSA_SHA256);
    assertThat(rsa.dnsName()).isEqualTo("sel._domainkey.example.com");
    assertThat(rsa.dnsRecord()).startsWith("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A");
    assertThat(ed.algorithm()).isEqualTo(DkimAlgorithm.ED25519_SHA256);
    String p = ed.dnsRecord().substring(ed.dnsRecord().indexOf("p=") + 2);
    assertThat(Base64.getDecoder().decode(p)).hasSize(32);
    assertThat(rsa.toString())
        .isEqualTo("DkimKey[sel._domainkey.example.com, rsa-sha256 2048 bits]");
  }

  @Test
  void internationalisedDomainsBecomeALabels() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    DkimKey k = DkimKey.of("bücher.example", "s1", pair.getPrivate());
    assertThat(k.domain()).isEqualTo("xn--bcher-kva.example");
    assertThat(DkimKey.publicKeyData(k.publicKey(), k.algorithm()))
        .isEqualTo(DkimKey.publicKeyData(pair.getPublic(), k.algorithm()));
  }

  @Test
  void badDomainsSelectorsAndPemTextAreRefused() {
    String pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assertThatThrownBy(() -> DkimKey.fromPem("example.com", "s", pem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("neither an RSA nor an Ed25519 key");
    assertThatThrownBy(() -> DkimKey.fromPem("example.com", "s", "hello"))
        .hasMessageContaining("no -----BEGIN PRIVATE KEY-----");
    assertThatThrownBy(
            () ->
                DkimKey.fromPem(
                    "example.com",
                    "s",
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"))
        .hasMessageContaining("encrypted");
    assertThatThrownBy(() -> DkimKey.fromPem("exa mple.com", "s", resource("ed25519.pem")))
        .hasMessageContaining("invalid DKIM domain");
    assertThatThrownBy(() -> DkimKey.fromPem("example.com", "s\r\nX: y", resource("ed25519.pem")))
        .hasMessageContaining("invalid DKIM selector");
  }

  @Test
  void keyStoreEntriesLoad() throws Exception {
    Path dir = Files.createTempDirectory("dkim-ks");
    Path file = dir.resolve("dkim.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "dkim",
                "-keyalg",
                "Ed25519",
                "-dname",
                "CN=dkim",
                "-storetype",
                "PKCS12",
                "-keystore",
                file.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(out).isTrue();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, "changeit".toCharArray());
    } finally {
      Files.delete(file);
      Files.delete(dir);
    }

    DkimKey k = DkimKey.fromKeyStore("example.com", "ks", ks, "dkim", "changeit".toCharArray());

    assertThat(k.algorithm()).isEqualTo(DkimAlgorithm.ED25519_SHA256);
    assertThat(k.publicKey()).isEqualTo(ks.getCertificate("dkim").getPublicKey());
    assertThatThrownBy(() -> DkimKey.fromKeyStore("example.com", "ks", ks, "nope", new char[0]))
        .hasMessageContaining("no private key under the alias \"nope\"");
  }

  @Test
  void signingConfigurationRefusesWhatCannotWork() throws Exception {
    DkimKey k = DkimKey.fromPem("example.com", "ed", resource("ed25519.pem"));
    assertThatThrownBy(() -> DkimSigning.builder().build())
        .hasMessageContaining("at least one key");
    assertThatThrownBy(() -> DkimSigning.builder().key(k).signedHeaders(List.of("To")))
        .hasMessageContaining("From");
    assertThatThrownBy(() -> DkimSigning.builder().key(k).signedHeaders(List.of("From", "Bcc")))
        .hasMessageContaining("never sent");
    assertThatThrownBy(() -> DkimSigning.builder().key(k).fallbackDomain("example.org").build())
        .hasMessageContaining("has no key");
    assertThatThrownBy(() -> DkimSigning.builder().key(k).key(k))
        .hasMessageContaining("two keys for ed._domainkey.example.com");
  }
}
