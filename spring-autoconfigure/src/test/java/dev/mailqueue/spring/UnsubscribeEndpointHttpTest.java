package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MailQueueAdmin;
import dev.mailqueue.UnsubscribeTokens;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.server.servlet.context.AnnotationConfigServletWebServerApplicationContext;
import org.springframework.boot.web.server.servlet.context.ServletWebServerApplicationContext;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.web.servlet.function.RouterFunction;

/**
 * The one-click unsubscribe endpoint over real HTTP (Tomcat on a free port), posting as a mail
 * provider does (RFC 8058) and opening the link as a browser or a link scanner does.
 */
class UnsubscribeEndpointHttpTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
  private static final String ONE_CLICK = "List-Unsubscribe=One-Click";

  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner(AnnotationConfigServletWebServerApplicationContext::new)
          .withConfiguration(
              AutoConfigurations.of(
                  TomcatServletWebServerAutoConfiguration.class,
                  DispatcherServletAutoConfiguration.class,
                  WebMvcAutoConfiguration.class,
                  HttpMessageConvertersAutoConfiguration.class,
                  DataSourceAutoConfiguration.class,
                  MailQueueAutoConfiguration.class,
                  MailQueueUnsubscribeAutoConfiguration.class))
          .withPropertyValues(
              "server.port=0",
              "server.address=127.0.0.1",
              "mailqueue.smtp.host=127.0.0.1",
              "mailqueue.smtp.port=1",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.shutdown-timeout=1s",
              "mailqueue.poll-interval=1h");

  private final HttpClient http = HttpClient.newHttpClient();
  private final UnsubscribeTokens tokens = UnsubscribeTokens.of(SECRET);

  @Test
  void aOneClickPostSuppressesTheAddressForTheTokensScopeOnly() {
    runner
        .withPropertyValues(
            "mailqueue.unsubscribe.enabled=true",
            "mailqueue.unsubscribe.secret=" + Base64.getEncoder().encodeToString(SECRET))
        .run(
            context -> {
              MailQueueAdmin admin = context.getBean(MailQueue.class).admin();
              String token =
                  tokens.issue(
                      MailAddress.of("reader@example.org"), "newsletter", Duration.ofDays(30));
              String url = "/mailqueue/unsubscribe?t=" + token;

              HttpResponse<String> page = send(context, "GET", url, null);
              assertThat(page.statusCode()).isEqualTo(200);
              assertThat(page.body()).contains("name=\"List-Unsubscribe\" value=\"One-Click\"");
              assertThat(admin.suppressions((String) null, 10))
                  .as("a GET, as link scanners make, suppresses nothing")
                  .isEmpty();

              assertThat(send(context, "POST", url, "List-Unsubscribe=Other").statusCode())
                  .isEqualTo(400);
              assertThat(send(context, "POST", url, null).statusCode()).isEqualTo(400);
              assertThat(admin.suppressions((String) null, 10)).isEmpty();

              assertThat(send(context, "POST", url, ONE_CLICK).statusCode()).isEqualTo(200);
              assertThat(admin.suppression("reader@example.org", "newsletter"))
                  .get()
                  .satisfies(s -> assertThat(s.reason()).isEqualTo(UnsubscribeHandler.REASON));
              assertThat(admin.suppression("reader@example.org"))
                  .as("receipts still reach the reader")
                  .isEmpty();

              String all =
                  tokens.issue(MailAddress.of("other@example.org"), null, Duration.ofDays(1));
              assertThat(
                      send(context, "POST", "/mailqueue/unsubscribe?t=" + all, ONE_CLICK)
                          .statusCode())
                  .isEqualTo(200);
              assertThat(admin.suppression("other@example.org")).isPresent();
            });
  }

  @Test
  void forgedEditedExpiredOrMissingTokensAreRefusedWithoutDetail() {
    runner
        .withPropertyValues(
            "mailqueue.unsubscribe.enabled=true",
            "mailqueue.unsubscribe.path=/u",
            "mailqueue.unsubscribe.secret=" + Base64.getEncoder().encodeToString(SECRET))
        .run(
            context -> {
              MailQueueAdmin admin = context.getBean(MailQueue.class).admin();
              String good = tokens.issue(MailAddress.of("a@example.org"), null, Duration.ofDays(1));
              String forged =
                  UnsubscribeTokens.of("another secret of at least 32 bytes!".getBytes())
                      .issue(MailAddress.of("a@example.org"), null, Duration.ofDays(1));
              String expired =
                  UnsubscribeTokens.of(
                          SECRET,
                          Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC))
                      .issue(MailAddress.of("a@example.org"), null, Duration.ofDays(1));
              String edited =
                  good.substring(0, good.length() - 2) + (good.endsWith("A") ? "BB" : "AA");
              for (String t : new String[] {"?t=" + forged, "?t=" + expired, "?t=" + edited, ""}) {
                HttpResponse<String> r = send(context, "POST", "/u" + t, ONE_CLICK);
                assertThat(r.statusCode()).as(t).isEqualTo(400);
                assertThat(r.body()).as("no detail").isEmpty();
                assertThat(send(context, "GET", "/u" + t, null).statusCode()).isEqualTo(400);
              }
              assertThat(admin.suppressions((String) null, 10)).isEmpty();
              assertThat(send(context, "POST", "/u?t=" + good, ONE_CLICK).statusCode())
                  .as("the same request with the good token")
                  .isEqualTo(200);
              assertThat(admin.suppression("a@example.org")).isPresent();
            });
  }

  @Test
  void offByDefaultAndRefusesToStartEnabledWithoutAGoodSecret() {
    runner.run(
        context -> {
          assertThat(context).doesNotHaveBean(RouterFunction.class);
          String token = tokens.issue(MailAddress.of("a@example.org"), null, Duration.ofDays(1));
          assertThat(
                  send(context, "POST", "/mailqueue/unsubscribe?t=" + token, ONE_CLICK)
                      .statusCode())
              .isEqualTo(404);
        });
    runner
        .withPropertyValues("mailqueue.unsubscribe.enabled=true")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("needs mailqueue.unsubscribe.secret"));
    runner
        .withPropertyValues(
            "mailqueue.unsubscribe.enabled=true",
            "mailqueue.unsubscribe.secret=" + Base64.getEncoder().encodeToString(new byte[16]))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("at least 32 bytes")
                    .hasMessageNotContaining(Base64.getEncoder().encodeToString(new byte[16])));
    // not a web application: no endpoint, whatever the properties say
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class,
                MailQueueAutoConfiguration.class,
                MailQueueUnsubscribeAutoConfiguration.class))
        .withPropertyValues(
            "mailqueue.smtp.host=127.0.0.1",
            "mailqueue.smtp.port=1",
            "mailqueue.smtp.ehlo-name=test",
            "mailqueue.unsubscribe.enabled=true")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(RouterFunction.class);
            });
  }

  private HttpResponse<String> send(
      AssertableWebApplicationContext context, String method, String path, String form)
      throws IOException, InterruptedException {
    int port =
        context
            .getSourceApplicationContext(ServletWebServerApplicationContext.class)
            .getWebServer()
            .getPort();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (form == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .method(method, HttpRequest.BodyPublishers.ofString(form))
          .header("Content-Type", "application/x-www-form-urlencoded");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
