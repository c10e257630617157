package dev.mailqueue.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * A message row as a claim leased it: the columns a {@link Dialect#claim} returns, before its
 * recipients and body are read. Times are epoch milliseconds (database clock).
 */
record ClaimRow(
    UUID id,
    long leaseToken,
    int attempts,
    long createdAt,
    long expiresAt,
    long claimedAt,
    int priority,
    String tag,
    String envelopeFrom,
    String messageIdHeader,
    int sizeBytes) {

  /**
   * Reads the current row of a claim's result, by column name; {@code claimedAt} is the claim's
   * clock.
   */
  static ClaimRow read(ResultSet rs, long claimedAt) throws SQLException {
    return new ClaimRow(
        UUID.fromString(rs.getString("id")),
        rs.getLong("lease_token"),
        rs.getInt("attempts"),
        rs.getLong("created_at"),
        rs.getLong("expires_at"),
        claimedAt,
        rs.getInt("priority"),
        rs.getString("tag"),
        rs.getString("envelope_from"),
        rs.getString("message_id_header"),
        rs.getInt("size_bytes"));
  }
}
