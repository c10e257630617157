package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/**
 * Which H2 databases get no statement timeout: only those in this JVM, where H2's lock timeout
 * bounds the one wait there is; a server over TCP keeps the query timeout.
 */
class StatementTimeoutTest {
  @Test
  void onlyAnH2DatabaseInThisJvmGoesWithoutStatementTimeouts() {
    assertThat(JdbcMailStore.isInProcessH2("jdbc:h2:mem:queue;DB_CLOSE_DELAY=-1")).isTrue();
    assertThat(JdbcMailStore.isInProcessH2("jdbc:h2:file:/var/lib/app/queue")).isTrue();
    assertThat(JdbcMailStore.isInProcessH2("jdbc:h2:./queue")).isTrue();
    assertThat(JdbcMailStore.isInProcessH2("jdbc:h2:tcp://db.example.com/queue")).isFalse();
    assertThat(JdbcMailStore.isInProcessH2("JDBC:H2:SSL://db.example.com/queue")).isFalse();
    assertThat(JdbcMailStore.isInProcessH2("jdbc:h2:./queue;AUTO_SERVER=TRUE"))
        .as("mixed mode may connect over TCP")
        .isFalse();
    assertThat(JdbcMailStore.isInProcessH2("jdbc:postgresql://127.0.0.1/test")).isFalse();
    assertThat(JdbcMailStore.isInProcessH2(null)).isFalse();
  }

  @Test
  void theStoreSaysWhichBoundItsStatementsHave() {
    JdbcDataSource inProcess = new JdbcDataSource();
    inProcess.setURL("jdbc:h2:mem:timeouts;DB_CLOSE_DELAY=-1");
    assertThat(JdbcMailStore.builder(inProcess).build().toString())
        .contains("queryTimeoutSeconds=30")
        .contains("statementTimeouts=off for H2 in process");
  }
}
