package dev.mailqueue.spring;

import dev.mailqueue.jdbc.TestDatabases;
import java.util.Map;

/**
 * The application on PostgreSQL at 127.0.0.1:5432 (skipped when it does not answer, unless
 * MAILQUEUE_REQUIRE_DATABASES names postgresql), on tables with a random prefix that are dropped
 * afterwards. NOTIFY is off so that prompt delivery proves the after-commit wake-up here too.
 */
class PostgresWelcomeMailTest extends WelcomeMailContract {
  @Override
  Map<String, Object> databaseProperties(String prefix) {
    return Map.of(
        "spring.datasource.url",
        TestDatabases.serverUrl("postgresql"),
        "spring.datasource.hikari.maximum-pool-size",
        4,
        "mailqueue.jdbc.initialize-schema",
        "always",
        "mailqueue.jdbc.notify-on-enqueue",
        false);
  }

  @Override
  String newPrefix() {
    return TestDatabases.randomPrefix();
  }

  @Override
  void dropTables(String prefix) {
    TestDatabases.drop(TestDatabases.postgresql(), prefix);
  }
}
