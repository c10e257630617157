package dev.mailqueue.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --trust-store} reads PEM certificates, PKCS#12 and JKS, and says what is wrong in one
 * line.
 */
class TrustStoresTest {
  @TempDir static Path dir;
  static Path p12;
  static Path jks;
  static Path pem;

  /** A self-signed certificate made by the JDK's keytool, stored three ways. */
  @BeforeAll
  static void certificates() throws Exception {
    p12 = dir.resolve("ca.p12");
    jks = dir.resolve("ca.jks");
    pem = dir.resolve("ca.pem");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "EC",
        "-dname",
        "CN=relay.example.test",
        "-validity",
        "2",
        "-storetype",
        "PKCS12",
        "-keystore",
        p12.toString(),
        "-storepass",
        "secret1");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        p12.toString(),
        "-storepass",
        "secret1",
        "-file",
        pem.toString());
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        pem.toString(),
        "-storetype",
        "JKS",
        "-keystore",
        jks.toString(),
        "-storepass",
        "secret2");
  }

  private static void keytool(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    Collections.addAll(command, args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  private static String subject(KeyStore store) throws Exception {
    String alias = Collections.list(store.aliases()).get(0);
    return ((X509Certificate) store.getCertificate(alias)).getSubjectX500Principal().getName();
  }

  @Test
  void readsPemPkcs12AndJks() throws Exception {
    assertThat(subject(TrustStores.load(pem, null))).isEqualTo("CN=relay.example.test");
    assertThat(subject(TrustStores.load(p12, "secret1".toCharArray())))
        .isEqualTo("CN=relay.example.test");
    assertThat(subject(TrustStores.load(jks, null)))
        .as("JKS certificates need no password")
        .isEqualTo("CN=relay.example.test");
    assertThat(subject(TrustStores.load(jks, "secret2".toCharArray())))
        .isEqualTo("CN=relay.example.test");
  }

  @Test
  void saysWhatIsWrongWithTheFile() throws Exception {
    assertThatThrownBy(() -> TrustStores.load(dir.resolve("absent.pem"), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot read trust store");
    Path junk = Files.writeString(dir.resolve("junk.txt"), "not a certificate");
    assertThatThrownBy(() -> TrustStores.load(junk, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("neither PEM certificates, PKCS#12 nor JKS");
    assertThatThrownBy(() -> TrustStores.load(p12, "wrong".toCharArray()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trust store " + p12);
  }
}
