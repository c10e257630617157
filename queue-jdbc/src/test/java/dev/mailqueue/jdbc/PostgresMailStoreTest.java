package dev.mailqueue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class PostgresMailStoreTest extends MailStoreContract {
  @Override
  DataSource createDataSource() {
    return TestDatabases.pooled(TestDatabases.serverUrl("postgresql"), 8);
  }

  /**
   * The tables whose rows are updated without changing an indexed column keep room on each page, so
   * that those updates stay on the page (HOT) and add no index entries: a recipient's outcome, and
   * the erasure of a delivered message's body.
   */
  @Test
  void updatedInPlaceTablesLeaveRoomOnEachPage() throws SQLException {
    try (Connection c = dataSource.getConnection();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT relname, array_to_string(reloptions, ',') FROM pg_class"
                        + " WHERE relname IN ('"
                        + prefix
                        + "body', '"
                        + prefix
                        + "recipient') ORDER BY relname")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(2)).isEqualTo("fillfactor=90");
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(2)).isEqualTo("fillfactor=75");
    }
  }
}
