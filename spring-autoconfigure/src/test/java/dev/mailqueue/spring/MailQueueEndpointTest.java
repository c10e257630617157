package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.mailqueue.Mail;
import dev.mailqueue.MailQueue;
import dev.mailqueue.MessageId;
import dev.mailqueue.MessageState;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.EndpointAccessResolver;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.InvocationContext;
import org.springframework.boot.actuate.endpoint.OperationFilter;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.invoke.convert.ConversionServiceParameterValueMapper;
import org.springframework.boot.actuate.endpoint.web.EndpointMediaTypes;
import org.springframework.boot.actuate.endpoint.web.ExposableWebEndpoint;
import org.springframework.boot.actuate.endpoint.web.WebOperation;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpointDiscoverer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

/**
 * The endpoint as Boot's web endpoint discovery sees it: which operations exist under which HTTP
 * method and path, invoked with their arguments mapped as for an HTTP request.
 */
class MailQueueEndpointTest {
  private static final Instant LATER = Instant.now().plus(Duration.ofHours(1));

  /** H2 in memory; a relay that refuses connections, so an attempted message is deferred. */
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class,
                  EndpointAutoConfiguration.class,
                  MailQueueAutoConfiguration.class,
                  MailQueueActuatorAutoConfiguration.class))
          .withPropertyValues(
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

  /** The write operations, and the access Boot requires for them. */
  private final ApplicationContextRunner writable =
      runner.withPropertyValues(
          "mailqueue.endpoint.write-enabled=true",
          "management.endpoint.mailqueue.access=unrestricted");

  @Test
  void byDefaultOnlyReadOperationsExist() {
    runner.run(
        context -> {
          assertThat(context)
              .hasNotFailed()
              .hasSingleBean(MailQueueEndpoint.class)
              .doesNotHaveBean(WritableMailQueueEndpoint.class);
          assertThat(operations(context).keySet())
              .containsExactlyInAnyOrder("GET mailqueue", "GET mailqueue/{id}");
        });
  }

  @Test
  void writeEnabledAddsPostAndDeleteOnOneMessageOnlyWithUnrestrictedAccess() {
    runner
        .withPropertyValues("mailqueue.endpoint.write-enabled=true")
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(WritableMailQueueEndpoint.class);
              assertThat(operations(context).keySet())
                  .as("the endpoint's default access is read-only")
                  .containsExactlyInAnyOrder("GET mailqueue", "GET mailqueue/{id}");
            });
    writable.run(
        context -> {
          assertThat(context).hasNotFailed().hasSingleBean(WritableMailQueueEndpoint.class);
          assertThat(operations(context).keySet())
              .containsExactlyInAnyOrder(
                  "GET mailqueue",
                  "GET mailqueue/{id}",
                  "POST mailqueue/{id}",
                  "DELETE mailqueue/{id}");
        });
    writable
        .withPropertyValues("management.endpoints.access.max-permitted=read-only")
        .run(
            context ->
                assertThat(operations(context).keySet())
                    .as("capped by max-permitted")
                    .containsExactlyInAnyOrder("GET mailqueue", "GET mailqueue/{id}"));
  }

  @Test
  void overviewCountsShapesAndListsWithFilters() {
    runner.run(
        context -> {
          MailQueue queue = context.getBean(MailQueue.class);
          MessageId welcome = queue.enqueue(later("bob@example.org", "welcome"));
          MessageId receipt = queue.enqueue(later("carol@example.net", "receipt"));
          Map<String, WebOperation> ops = operations(context);

          Map<String, Object> all = overview(invoke(ops.get("GET mailqueue"), Map.of()));
          assertThat(overview(all.get("counts")))
              .containsEntry("QUEUED", 2L)
              .containsEntry("DELIVERED", 0L);
          assertThat(all.get("backlog")).isEqualTo(2L);
          assertThat(all.get("oldestWaitingMs")).isInstanceOf(Long.class);
          Map<String, Object> shape = overview(all.get("shape"));
          assertThat(overview(shape.get("total")).get("count")).isEqualTo(2L);
          assertThat(list(shape.get("domains")))
              .extracting(r -> overview(r).get("domain"))
              .containsExactlyInAnyOrder("example.org", "example.net");
          assertThat(ids(all)).containsExactly(welcome.toString(), receipt.toString());

          Map<String, Object> byTag =
              overview(
                  invoke(ops.get("GET mailqueue"), Map.of("state", "Queued", "tag", "receipt")));
          assertThat(ids(byTag)).containsExactly(receipt.toString());
          assertThat(ids(overview(invoke(ops.get("GET mailqueue"), Map.of("limit", "1")))))
              .containsExactly(welcome.toString());
          assertThat(ids(overview(invoke(ops.get("GET mailqueue"), Map.of("state", "delivered")))))
              .isEmpty();

          assertThatThrownBy(() -> invoke(ops.get("GET mailqueue"), Map.of("state", "stuck")))
              .isInstanceOf(InvalidEndpointRequestException.class)
              .hasMessageContaining("expected one of [queued");
          assertThatThrownBy(() -> invoke(ops.get("GET mailqueue"), Map.of("limit", "0")))
              .isInstanceOf(InvalidEndpointRequestException.class)
              .hasMessageContaining("limit");
        });
  }

  @Test
  void oneMessageWithItsAttemptsOrNothing() {
    runner.run(
        context -> {
          MailQueue queue = context.getBean(MailQueue.class);
          // due now: the relay refuses, so there is one attempt to show
          MessageId id =
              queue.enqueue(
                  Mail.builder().from("shop@example.com").to("bob@example.org").text("t").build());
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> queue.find(id).orElseThrow().state() == MessageState.DEFERRED);
          WebOperation show = operations(context).get("GET mailqueue/{id}");

          Map<String, Object> details = overview(invoke(show, Map.of("id", id.toString())));
          assertThat(details.get("id")).isEqualTo(id.toString());
          assertThat(list(details.get("attemptHistory")))
              .hasSize(1)
              .first()
              .satisfies(
                  a ->
                      assertThat(overview(a).get("outcome"))
                          .isEqualTo(MessageState.DEFERRED.name()));
          assertThat(invoke(show, Map.of("id", MessageId.generate().toString()))).isNull();
          assertThat(invoke(show, Map.of("id", "not-an-id"))).isNull();
        });
  }

  @Test
  void holdThenReleaseThenDelete() {
    writable.run(
        context -> {
          MailQueue queue = context.getBean(MailQueue.class);
          MessageId id = queue.enqueue(later("bob@example.org", "welcome"));
          Map<String, WebOperation> ops = operations(context);
          WebOperation change = ops.get("POST mailqueue/{id}");

          assertThat(invoke(change, Map.of("id", id.toString(), "action", "hold")))
              .isEqualTo(
                  new WritableMailQueueEndpoint.ActionResult(id.toString(), "hold", true, "hold"));
          assertThat(queue.find(id).orElseThrow().state()).isEqualTo(MessageState.HOLD);
          assertThat(invoke(change, Map.of("id", id.toString(), "action", "hold")))
              .as("already held: nothing changes, and the state says why")
              .isEqualTo(
                  new WritableMailQueueEndpoint.ActionResult(id.toString(), "hold", false, "hold"));

          WritableMailQueueEndpoint.ActionResult released =
              (WritableMailQueueEndpoint.ActionResult)
                  invoke(change, Map.of("id", id.toString(), "action", "RELEASE"));
          assertThat(released.changed()).isTrue();
          // released means due now and the workers are woken: the refusing relay defers it
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> queue.find(id).orElseThrow().state() == MessageState.DEFERRED);

          assertThat(invoke(ops.get("DELETE mailqueue/{id}"), Map.of("id", id.toString())))
              .isEqualTo(
                  new WritableMailQueueEndpoint.ActionResult(id.toString(), "delete", true, null));
          assertThat(queue.find(id)).isEmpty();
        });
  }

  @Test
  void writeOperationsRefuseWhatTheyCannotDoSayingWhy() {
    writable.run(
        context -> {
          MessageId id = context.getBean(MailQueue.class).enqueue(later("bob@example.org", null));
          WebOperation change = operations(context).get("POST mailqueue/{id}");

          assertThatThrownBy(() -> invoke(change, Map.of("id", id.toString(), "action", "bounce")))
              .isInstanceOf(InvalidEndpointRequestException.class)
              .hasMessageContaining("expected hold, release, retry or expire");
          assertThatThrownBy(() -> invoke(change, Map.of("id", "42", "action", "hold")))
              .isInstanceOf(InvalidEndpointRequestException.class)
              .hasMessageContaining("not a message id");
          assertThat(invoke(change, Map.of("id", id.toString(), "action", "release")))
              .as("not held")
              .isEqualTo(
                  new WritableMailQueueEndpoint.ActionResult(
                      id.toString(), "release", false, "queued"));
          MessageId unknown = MessageId.generate();
          assertThat(invoke(change, Map.of("id", unknown.toString(), "action", "retry")))
              .isEqualTo(
                  new WritableMailQueueEndpoint.ActionResult(
                      unknown.toString(), "retry", false, null));
        });
  }

  @Test
  void endpointIsAbsentUnlessExposed() {
    runner
        .withPropertyValues(
            "management.endpoints.web.exposure.include=health",
            "mailqueue.endpoint.write-enabled=true")
        .run(
            context -> assertThat(context).hasNotFailed().doesNotHaveBean(MailQueueEndpoint.class));
  }

  private static Mail later(String to, String tag) {
    return Mail.builder()
        .from("shop@example.com")
        .to(to)
        .text("t")
        .tag(tag)
        .notBefore(LATER)
        .build();
  }

  /**
   * The mailqueue endpoint's web operations by "METHOD path", with those its access leaves out left
   * out, as Boot does.
   */
  private static Map<String, WebOperation> operations(ApplicationContext context) {
    WebEndpointDiscoverer discoverer =
        new WebEndpointDiscoverer(
            context,
            new ConversionServiceParameterValueMapper(),
            EndpointMediaTypes.DEFAULT,
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            List.of(OperationFilter.byAccess(context.getBean(EndpointAccessResolver.class))));
    ExposableWebEndpoint endpoint =
        discoverer.getEndpoints().stream()
            .filter(e -> e.getEndpointId().toString().equals("mailqueue"))
            .findFirst()
            .orElseThrow();
    Map<String, WebOperation> operations = new LinkedHashMap<>();
    for (WebOperation op : endpoint.getOperations()) {
      operations.put(
          op.getRequestPredicate().getHttpMethod() + " " + op.getRequestPredicate().getPath(), op);
    }
    return operations;
  }

  private static Object invoke(WebOperation operation, Map<String, Object> arguments) {
    return operation.invoke(new InvocationContext(SecurityContext.NONE, arguments));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> overview(Object document) {
    return (Map<String, Object>) document;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object document) {
    return (List<Object>) document;
  }

  private static List<Object> ids(Map<String, Object> overview) {
    return list(overview.get("messages")).stream().map(m -> overview(m).get("id")).toList();
  }
}
