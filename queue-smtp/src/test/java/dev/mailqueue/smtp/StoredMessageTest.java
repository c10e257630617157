package dev.mailqueue.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.eclipse.angus.mail.util.CRLFOutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The stored bytes go out as Angus would send the parsed message, without parsing them. */
class StoredMessageTest {
  private static final Session SESSION = Session.getInstance(new Properties());
  private static final String[] ANGUS_IGNORE_LIST = {"Bcc", "Content-Length"};

  @ParameterizedTest
  @ValueSource(
      strings = {
        "From: a@x.test\r\nTo: b@x.test\r\nBcc: secret@x.test\r\nSubject: hi\r\n\r\nbody\r\nBcc: in the body stays\r\n",
        "From: a@x.test\r\nBCC : one@x.test,\r\n two@x.test\r\n\tthree@x.test\r\nSubject: folded\r\n continued\r\n"
            + "\r\nbody",
        "Bcc: first@x.test\r\nContent-Length: 12\r\ncontent-length:3\r\nX-Bcc: kept\r\nBccX: kept\r\n\r\nbody\r\n",
        "From: a@x.test\nBcc: lf@x.test\nSubject: bare LF\n\nbody\nline\n",
        "From: a@x.test\rBcc: cr@x.test\rSubject: bare CR\r\rbody\r",
        "Subject: no body and no empty line\r\nBcc: last@x.test\r\n",
        "Subject: no line break at the end",
        "Subject: x\r\nBcc: omitted last, no line break",
        "",
        "Subject: a\r\n\r\n\r\nbody after an empty first line\r\n.\r\n..\r\n",
        "no colon in this line\r\nBcc: x@x.test\r\n\r\nbody"
      })
  void writesWhatAngusWritesForTheParsedMessage(String stored) throws Exception {
    byte[] mime = stored.getBytes(StandardCharsets.US_ASCII);

    assertThat(
            normalized(
                out ->
                    new StoredMessage(SESSION, mime, "a@x.test", false)
                        .writeTo(out, ANGUS_IGNORE_LIST)))
        .isEqualTo(
            normalized(
                out ->
                    new MimeMessage(SESSION, new ByteArrayInputStream(mime))
                        .writeTo(out, ANGUS_IGNORE_LIST)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"From: a@x.test\r\nBcc: secret@x.test\r\n\r\nbody\r\n"})
  void neverSendsBccEvenWithoutAnIgnoreList(String stored) throws Exception {
    StoredMessage m =
        new StoredMessage(SESSION, stored.getBytes(StandardCharsets.US_ASCII), "a@x.test", false);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    m.writeTo(out);

    assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("From: a@x.test\r\n\r\nbody\r\n");
    assertThat(m.getEnvelopeFrom()).isEqualTo("a@x.test");
  }

  private interface Writer {
    void write(OutputStream out) throws Exception;
  }

  /**
   * Line endings as Angus's data stream makes them (it extends this stream), which is what reaches
   * the server.
   */
  private static String normalized(Writer writer) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CRLFOutputStream crlf = new CRLFOutputStream(bytes);
    writer.write(crlf);
    crlf.flush();
    return bytes.toString(StandardCharsets.US_ASCII);
  }
}
