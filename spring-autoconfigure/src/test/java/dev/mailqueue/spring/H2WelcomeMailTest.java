package dev.mailqueue.spring;

import java.util.Map;

/** The application on embedded H2: the schema is created because the database is embedded. */
class H2WelcomeMailTest extends WelcomeMailContract {
  @Override
  Map<String, Object> databaseProperties(String prefix) {
    // no URL: Boot creates a uniquely named in-memory H2 database per context
    return Map.of();
  }

  @Override
  String newPrefix() {
    return "mq_";
  }

  @Override
  void dropTables(String prefix) {
    // the in-memory database is gone with its context
  }
}
