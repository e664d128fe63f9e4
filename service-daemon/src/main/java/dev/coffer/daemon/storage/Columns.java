package dev.coffer.daemon.storage;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;

/** Instants as the schema stores them: epoch milliseconds in a BIGINT, NULL for none. */
final class Columns {
  private Columns() {}

  static Instant instant(ResultSet r, int column) throws SQLException {
    long v = r.getLong(column);
    return r.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  static void setInstant(PreparedStatement p, int i, Instant t) throws SQLException {
    if (t == null) {
      p.setNull(i, Types.BIGINT);
    } else {
      p.setLong(i, t.toEpochMilli());
    }
  }
}
