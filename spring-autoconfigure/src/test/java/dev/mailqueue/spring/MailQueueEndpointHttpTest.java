package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.Mail;
import dev.mailqueue.MailAddress;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageFilter;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import dev.mailqueue.MessageSummary;
import dev.mailqueue.QueueJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.jackson.JacksonEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementContextAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.servlet.autoconfigure.actuate.web.ServletManagementContextAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.server.servlet.context.AnnotationConfigServletWebServerApplicationContext;
import org.springframework.boot.web.server.servlet.context.ServletWebServerApplicationContext;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The endpoint over real HTTP, as an application that exposes it ({@code
 * management.endpoints.web.exposure.include=mailqueue}) serves it: Tomcat on a free port of this
 * machine, Boot's own endpoint mapping, access rules and JSON.
 */
class MailQueueEndpointHttpTest {
  private static final Instant LATER = Instant.now().plus(Duration.ofHours(1));

  /** H2 in memory; a relay that is never reached (the mail here is due in an hour). */
  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner(AnnotationConfigServletWebServerApplicationContext::new)
          .withConfiguration(
              AutoConfigurations.of(
                  TomcatServletWebServerAutoConfiguration.class,
                  DispatcherServletAutoConfiguration.class,
                  WebMvcAutoConfiguration.class,
                  HttpMessageConvertersAutoConfiguration.class,
                  JacksonAutoConfiguration.class,
                  EndpointAutoConfiguration.class,
                  JacksonEndpointAutoConfiguration.class,
                  WebEndpointAutoConfiguration.class,
                  ManagementContextAutoConfiguration.class,
                  ServletManagementContextAutoConfiguration.class,
                  DataSourceAutoConfiguration.class,
                  MailQueueAutoConfiguration.class,
                  MailQueueActuatorAutoConfiguration.class))
          .withPropertyValues(
              "server.port=0",
              "server.address=127.0.0.1",
              "mailqueue.smtp.host=127.0.0.1",
              "mailqueue.smtp.port=1",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.shutdown-timeout=1s",
              "mailqueue.poll-interval=1h",
              "management.endpoints.web.exposure.include=mailqueue")
          // as SpringApplication sets it: enum values such as "unrestricted" bind in any case
          .withInitializer(
              context ->
                  context
                      .getEnvironment()
                      .setConversionService(new ApplicationConversionService()));

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void exposedTheWritesAreRefusedAndChangeNothingUntilAccessIsUnrestricted() {
    runner
        .withPropertyValues("mailqueue.endpoint.write-enabled=true")
        .run(
            context -> {
              MailQueue queue = context.getBean(MailQueue.class);
              MessageId id = queue.enqueue(later());
              String url = "/actuator/mailqueue/" + id;

              assertThat(send(context, "GET", url, null).statusCode())
                  .as("the reads are there")
                  .isEqualTo(200);
              // as Boot answers an operation the endpoint's access leaves out: no handler for the
              // method
              assertThat(send(context, "POST", url, "{\"action\":\"hold\"}").statusCode())
                  .isEqualTo(405);
              assertThat(send(context, "POST", url, "{\"action\":\"expire\"}").statusCode())
                  .isEqualTo(405);
              assertThat(send(context, "DELETE", url, null).statusCode()).isEqualTo(405);

              assertThat(queue.find(id)).as("still there").isPresent();
              assertThat(queue.find(id).orElseThrow().state()).isEqualTo(MessageState.QUEUED);
            });

    // the opt-in, spelt as Boot documents it
    runner
        .withPropertyValues(
            "mailqueue.endpoint.write-enabled=true",
            "management.endpoint.mailqueue.access=unrestricted")
        .run(
            context -> {
              MailQueue queue = context.getBean(MailQueue.class);
              MessageId id = queue.enqueue(later());
              String url = "/actuator/mailqueue/" + id;

              HttpResponse<String> hold = send(context, "POST", url, "{\"action\":\"hold\"}");
              assertThat(hold.statusCode()).isEqualTo(200);
              assertThat(hold.body()).contains("\"changed\":true");
              assertThat(queue.find(id).orElseThrow().state()).isEqualTo(MessageState.HOLD);

              assertThat(send(context, "DELETE", url, null).statusCode()).isEqualTo(200);
              assertThat(queue.find(id)).isEmpty();
            });
  }

  @Test
  void theReadsShowNoBodiesAndMaskRecipientsUnlessShowRecipients() {
    Mail mail =
        Mail.builder()
            .from("shop@example.com")
            .to(MailAddress.of("bob@example.org", "Bob Example"))
            .cc("carol@example.net")
            .subject("Subject-1f6c2a")
            .text("Body-7d04e9")
            .html("<p>Body-7d04e9</p>")
            .notBefore(LATER)
            .build();

    runner.run(
        context -> {
          MessageId id = context.getBean(MailQueue.class).enqueue(mail);
          String details = send(context, "GET", "/actuator/mailqueue/" + id, null).body();
          assertThat(details)
              .contains(id.toString())
              .contains("\"***@example.org\"")
              .contains("\"***@example.net\"")
              .contains("shop@example.com")
              .doesNotContain("bob")
              .doesNotContain("Bob Example")
              .doesNotContain("carol")
              .doesNotContain("Subject-1f6c2a")
              .doesNotContain("Body-7d04e9");
          String overview = send(context, "GET", "/actuator/mailqueue", null).body();
          assertThat(overview)
              .contains(id.toString())
              .contains("example.org")
              .doesNotContain("bob")
              .doesNotContain("carol")
              .doesNotContain("Subject-1f6c2a")
              .doesNotContain("Body-7d04e9");
        });

    runner
        .withPropertyValues("mailqueue.endpoint.show-recipients=true")
        .run(
            context -> {
              MessageId id = context.getBean(MailQueue.class).enqueue(mail);
              String details = send(context, "GET", "/actuator/mailqueue/" + id, null).body();
              assertThat(details)
                  .contains("\"bob@example.org\"")
                  .contains("\"carol@example.net\"")
                  .doesNotContain("***")
                  .doesNotContain("Subject-1f6c2a")
                  .doesNotContain("Body-7d04e9");
            });
  }

  private static Mail later() {
    return Mail.builder()
        .from("shop@example.com")
        .to("bob@example.org")
        .text("t")
        .notBefore(LATER)
        .build();
  }

  /**
   * The endpoint and {@code mailqueue --json} write one shape ({@link QueueJson}): the documents
   * Boot's Jackson serves here equal, as JSON trees, what the CLI's writer makes of the same
   * message, listing row and counts: ids as strings, {@code enhanced}, upper-case states, {@code
   * oldestWaitingMs}.
   */
  @Test
  void theEndpointAnswersInTheJsonShapeOfTheCli() {
    runner
        .withPropertyValues("mailqueue.endpoint.show-recipients=true")
        .run(
            context -> {
              MailQueue queue = context.getBean(MailQueue.class);
              // due now: the relay on port 1 refuses, so there is a reply and an attempt to compare
              MessageId id =
                  queue.enqueue(
                      Mail.builder()
                          .from("shop@example.com")
                          .to("bob@example.org")
                          .text("t")
                          .build());
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> queue.find(id).orElseThrow().state() == MessageState.DEFERRED);
              JsonMapper json = JsonMapper.builder().build();

              JsonNode served =
                  json.readTree(send(context, "GET", "/actuator/mailqueue/" + id, null).body());
              JsonNode cli =
                  json.readTree(
                      QueueJson.write(QueueJson.details(queue.admin().show(id).orElseThrow())));
              assertThat(served).isEqualTo(cli);
              assertThat(served.get("id").isString()).as("an id is a string").isTrue();
              assertThat(served.get("state").asString()).isEqualTo("DEFERRED");
              assertThat(served.get("recipients").get(0).get("lastReply").has("enhanced")).isTrue();
              assertThat(served.get("attemptHistory").get(0).get("durationMs").isNumber()).isTrue();

              JsonNode overview =
                  json.readTree(send(context, "GET", "/actuator/mailqueue", null).body());
              assertThat(overview.propertyNames())
                  .containsExactly(
                      "counts", "backlog", "oldestWaitingMs", "mode", "shape", "messages");
              assertThat(overview.get("mode").asString()).isEqualTo("live");
              MessageSummary row = queue.admin().list(MessageFilter.ids(id)).get(0);
              assertThat(overview.get("messages").get(0))
                  .isEqualTo(json.readTree(QueueJson.write(QueueJson.summary(row))));
              JsonNode stats = json.readTree(QueueJson.write(QueueJson.stats(queue.stats())));
              assertThat(overview.get("counts")).isEqualTo(stats.get("counts"));
              assertThat(overview.get("oldestWaitingMs").isNumber()).isTrue();
              assertThat(overview.get("shape"))
                  .isEqualTo(
                      json.readTree(QueueJson.write(QueueJson.shape(queue.admin().shape()))));
            });
  }

  private HttpResponse<String> send(
      AssertableWebApplicationContext context, String method, String path, String json)
      throws IOException, InterruptedException {
    int port =
        context
            .getSourceApplicationContext(ServletWebServerApplicationContext.class)
            .getWebServer()
            .getPort();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (json == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .method(method, HttpRequest.BodyPublishers.ofString(json))
          .header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
