package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The grammar of RFC 8461: the policy file (3.2), its mx patterns (4.1) and the TXT record (3.1).
 */
class MtaStsPolicyTest {

  @Test
  void parsesThePolicyOfTheRfcExample() throws Exception {
    MtaStsPolicy p =
        MtaStsPolicy.parse(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
                + "mx: backupmx.example.com\r\nmax_age: 604800\r\n");

    assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
    assertThat(p.mx()).containsExactly("mail.example.com", "*.example.net", "backupmx.example.com");
    assertThat(p.maxAge()).isEqualTo(Duration.ofSeconds(604800));
  }

  @Test
  void ignoresExtensionFieldsAndTrailingSpaceAndAcceptsModeNoneWithoutMx() throws Exception {
    MtaStsPolicy p =
        MtaStsPolicy.parse("version: STSv1\nx-ext.field: anything at all\nmode: none \nmax_age:0");

    assertThat(p.mode()).isEqualTo(MtaStsPolicy.Mode.NONE);
    assertThat(p.mx()).isEmpty();
    assertThat(p.maxAge()).isZero();
  }

  @Test
  void refusesWhatBreaksTheGrammar() {
    String ok = "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n";
    for (String bad :
        List.of(
            "",
            ok.replace("version: STSv1\n", ""),
            ok.replace("mode: testing\n", ""),
            ok.replace("mx: mx.example.com\n", ""),
            ok.replace("max_age: 86400\n", ""),
            ok + "mode: enforce\n",
            ok + "max_age: 1\n",
            ok.replace("86400", "-1"),
            ok.replace("86400", "31557601"),
            ok.replace("86400", "12345678901"),
            ok.replace("86400", "1d"),
            ok.replace("testing", "Enforce"),
            ok.replace("mx.example.com", "mx.*.example.com"),
            ok.replace("mx.example.com", "*"),
            ok.replace("mx.example.com", "**.example.com"),
            ok.replace("mx.example.com", "mx example.com"),
            ok + "no colon here\n",
            ok + ": no key\n")) {
      assertThatThrownBy(() -> MtaStsPolicy.parse(bad))
          .as(bad)
          .isInstanceOf(MtaStsPolicy.Invalid.class);
    }
  }

  @Test
  void aWildcardMatchesExactlyOneLabel() throws Exception {
    MtaStsPolicy p =
        MtaStsPolicy.parse(
            "version: STSv1\nmode: enforce\nmx: *.example.net\nmx: Mail.Example.COM.\nmax_age: 1\n");

    assertThat(p.matches("mail.example.com")).isTrue();
    assertThat(p.matches("mx1.example.net")).isTrue();
    assertThat(p.matches("example.net")).isFalse();
    assertThat(p.matches("a.mx1.example.net")).isFalse();
    assertThat(p.matches("other.example.com")).isFalse();
    assertThat(p.matches("xexample.net")).isFalse();
  }

  @Test
  void theTxtRecordGivesAnIdOnlyWhenThereIsExactlyOneValidStsRecord() {
    assertThat(MtaSts.id(List.of("v=STSv1; id=20160831085700Z;"))).isEqualTo("20160831085700Z");
    assertThat(MtaSts.id(List.of("v=STSv1;id=abc", "some other record"))).isEqualTo("abc");
    assertThat(MtaSts.id(List.of("v=STSv1; ext=1; id=abc;"))).isEqualTo("abc");

    assertThat(MtaSts.id(List.of())).isNull();
    assertThat(MtaSts.id(List.of("v=STSv1; id=a;", "v=STSv1; id=b;"))).isNull();
    assertThat(MtaSts.id(List.of("v=STSv1; id=has-dash;"))).isNull();
    assertThat(MtaSts.id(List.of("v=STSv1; id=" + "a".repeat(33) + ";"))).isNull();
    assertThat(MtaSts.id(List.of("v=STSv1; id=a; id=b;"))).isNull();
    assertThat(MtaSts.id(List.of("v=STSv1;"))).isNull();
    assertThat(MtaSts.id(List.of("v=STSv2; id=abc;"))).isNull();
    assertThat(MtaSts.id(List.of("v=STSv1; garbage; id=abc;"))).isNull();
  }
}
