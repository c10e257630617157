package dev.mailqueue.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailqueue.jdbc.JdbcStoreException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;
import org.springframework.mock.env.MockEnvironment;

/**
 * The start-up failures a new application meets first are reported as what to do, not as nested
 * exceptions.
 */
@ExtendWith(OutputCaptureExtension.class)
class MailQueueFailureAnalyzerTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  DataSourceAutoConfiguration.class, MailQueueAutoConfiguration.class))
          .withPropertyValues(
              "mailqueue.smtp.host=127.0.0.1",
              "mailqueue.smtp.port=1",
              "mailqueue.smtp.ehlo-name=test",
              "mailqueue.workers=1",
              "mailqueue.shutdown-timeout=1s");

  @Test
  void missingTablesNameThePropertyAndTheScriptWithMigrationHints() {
    // What a PostgreSQL application meets on its first start: 'embedded' creates nothing there.
    runner
        .withPropertyValues("mailqueue.jdbc.initialize-schema=never")
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis =
                  analyze(context.getStartupFailure(), "mailqueue.jdbc.initialize-schema", "never");
              assertThat(analysis).isNotNull();
              assertThat(analysis.getDescription())
                  .contains(
                      "tables (mq_*) do not exist", "mailqueue.jdbc.initialize-schema is 'never'")
                  .doesNotContain("createSchema");
              assertThat(analysis.getAction())
                  .contains(
                      "mailqueue.jdbc.initialize-schema=always",
                      "dev/mailqueue/jdbc/schema-h2.sql",
                      "Flyway",
                      "Liquibase",
                      "mailqueue.jdbc.table-prefix")
                  .doesNotContain("createSchema");
            });
  }

  @Test
  void theDefaultModeIsNamedAsTheDefault() {
    runner
        .withPropertyValues("mailqueue.jdbc.initialize-schema=never")
        .run(
            context -> {
              FailureAnalysis analysis = analyze(context.getStartupFailure(), "unrelated", "x");
              assertThat(analysis.getDescription())
                  .contains("is 'embedded' (the default)", "embedded database");
            });
  }

  @Test
  void aMissingRelayIsOneAnalysisNamingTheProperties() {
    runner
        .withPropertyValues("mailqueue.smtp.host=")
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis = analyze(context.getStartupFailure(), "unrelated", "x");
              assertThat(analysis).isNotNull();
              assertThat(analysis.getDescription())
                  .contains("no SMTP relay", "mailqueue.smtp.host", "spring.mail.host");
              assertThat(analysis.getAction())
                  .contains(
                      "mailqueue.smtp.host",
                      "spring.mail.host",
                      "MailTransport bean",
                      "mailqueue.enabled=false");
              assertThat(analysis.getCause()).isInstanceOf(NoRelayConfiguredException.class);
            });
  }

  @Test
  void tablesAtAnotherVersionAreUpgradedWithEveryNodeStopped() {
    FailureAnalysis analysis =
        analyze(
            new JdbcStoreException(
                "mailqueue schema version 1 found, 2 expected: with "
                    + "every node stopped, run the script dev/mailqueue/jdbc/upgrade-postgresql-1-to-2.sql from the "
                    + "mailqueue-jdbc jar, or enable createSchema"),
            "unrelated",
            "x");
    assertThat(analysis.getDescription())
        .contains("(1 found, 2 expected)")
        .doesNotContain("createSchema");
    assertThat(analysis.getAction())
        .contains(
            "every node",
            "mailqueue.jdbc.initialize-schema=always",
            "dev/mailqueue/jdbc/upgrade-postgresql-1-to-2.sql");
  }

  @Test
  void otherFailuresAreLeftToOtherAnalyzers() {
    runner
        .withPropertyValues("mailqueue.workers=0")
        .run(
            context -> assertThat(analyze(context.getStartupFailure(), "unrelated", "x")).isNull());
  }

  @Test
  void bootFindsTheAnalyzerAndPassesItTheEnvironment() {
    MockEnvironment environment = new MockEnvironment();
    List<FailureAnalyzer> analyzers =
        SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
            .load(
                FailureAnalyzer.class,
                ArgumentResolver.of(Environment.class, environment),
                FailureHandler.handleMessage(
                    (message, failure) -> {})); // Boot's own want a BeanFactory too
    assertThat(analyzers).hasAtLeastOneElementOfType(MailQueueFailureAnalyzer.class);
  }

  /**
   * End to end: a Boot application without the tables prints the analysis, not the nested
   * exceptions.
   */
  @Test
  void aBootApplicationWithoutTheTablesPrintsWhatToDo(CapturedOutput output) {
    SpringApplicationBuilder app =
        new SpringApplicationBuilder(BareApplication.class)
            .web(WebApplicationType.NONE)
            .properties(
                "spring.main.banner-mode=off",
                "spring.datasource.url=jdbc:h2:mem:analyzer;DB_CLOSE_DELAY=-1",
                "mailqueue.jdbc.initialize-schema=never",
                "mailqueue.smtp.host=127.0.0.1",
                "mailqueue.smtp.port=1",
                "mailqueue.smtp.ehlo-name=test",
                "mailqueue.workers=1",
                "mailqueue.shutdown-timeout=1s");
    assertThatThrownBy(app::run).hasStackTraceContaining("mailqueue tables not found");
    assertThat(output)
        .contains(
            "APPLICATION FAILED TO START",
            "mailqueue.jdbc.initialize-schema=always",
            "dev/mailqueue/jdbc/schema-h2.sql");
    assertThat(
            output.toString().substring(output.toString().indexOf("APPLICATION FAILED TO START")))
        .doesNotContain("createSchema");
  }

  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration({DataSourceAutoConfiguration.class, MailQueueAutoConfiguration.class})
  static class BareApplication {}

  private static FailureAnalysis analyze(Throwable failure, String property, String value) {
    return new MailQueueFailureAnalyzer(new MockEnvironment().withProperty(property, value))
        .analyze(failure);
  }
}
