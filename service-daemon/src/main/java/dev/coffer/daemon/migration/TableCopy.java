package dev.coffer.daemon.migration;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Copies the rows of every table of one database into the same tables of another, generically
 * from the JDBC metadata, so that a table a later schema adds is copied without a change here.
 *
 * <p>Which tables: every table of the source, except those {@link #SKIPPED} names (bookkeeping
 * of one engine or one node), and of those every row but the few {@link #SKIPPED_ROWS} names. A source table the target lacks is refused, never dropped
 * silently. Order: the target's foreign keys, parents before children. Values are read and bound
 * by the target column's JDBC type ({@link #read}), so SQLite's dynamic typing meets
 * PostgreSQL's strict one: integers as {@code long}, blobs as bytes, text as text, a boolean
 * from SQLite's 0/1.
 *
 * <p>Both sides are compared after the copy by {@link #fingerprint}: the row count and a
 * SHA-256 over every row's values, independent of row order (the engines sort text
 * differently).
 */
final class TableCopy {

  /**
   * Tables not copied, with why. The schema history belongs to the migration library of each
   * engine; the rest are per node (docs/cluster.md, Storage): one daemon's own files (its audit
   * log, its usage journal) and its own token sessions.
   */
  static final Map<String, String> SKIPPED = skipped();

  private static Map<String, String> skipped() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("flyway_schema_history", "the migration library's own record of each engine's schema");
    m.put("audit_outbox", "records on their way to this home's own audit log (checked first:"
        + " every row must be in the log)");
    m.put("usage_journal_folds", "how far each node's own usage journal files were folded");
    m.put("key_store_connections", "each node's own session state with a custom key store's"
        + " token");
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Rows of copied tables that are not copied, as SQL conditions: the schema version SQLite
   * homes kept in {@code meta} before the migration library (each engine has its own); the
   * table's other rows (the root key probe) are the database's and are copied.
   */
  static final Map<String, String> SKIPPED_ROWS = Map.of("meta", "name = 'schema_version'");

  private TableCopy() {}

  /** {@code " WHERE NOT (...)"} for a table with {@link #SKIPPED_ROWS}, else empty. */
  private static String copiedRows(String table) {
    String skip = SKIPPED_ROWS.get(table);
    return skip == null ? "" : " WHERE NOT (" + skip + ")";
  }

  /** Row count and order-independent SHA-256 of one table's rows. */
  record Fingerprint(long rows, String sha256) {}

  /**
   * The tables of {@code source} to copy, in the order {@code target}'s foreign keys require.
   *
   * @throws MigrationException naming a source table the target does not have
   */
  static List<String> plan(Connection source, Connection target) throws SQLException {
    Set<String> sourceTables = tables(source);
    Set<String> targetTables = tables(target);
    List<String> missing = new ArrayList<>();
    for (String t : sourceTables) {
      if (!SKIPPED.containsKey(t) && !targetTables.contains(t)) {
        missing.add(t);
      }
    }
    if (!missing.isEmpty()) {
      throw new MigrationException("the SQLite home has table(s) " + missing + " that the"
          + " PostgreSQL schema lacks; run the migration with the Coffer version that wrote the"
          + " home (nothing was copied)");
    }
    Map<String, Set<String>> parents = new HashMap<>();
    DatabaseMetaData meta = target.getMetaData();
    for (String t : targetTables) {
      Set<String> p = new TreeSet<>();
      try (ResultSet r = meta.getImportedKeys(target.getCatalog(), target.getSchema(), t)) {
        while (r.next()) {
          String parent = r.getString("PKTABLE_NAME").toLowerCase(Locale.ROOT);
          if (!parent.equals(t)) {
            p.add(parent);
          }
        }
      }
      parents.put(t, p);
    }
    List<String> order = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    for (String t : new TreeSet<>(sourceTables)) {
      place(t, parents, placed, order, new LinkedHashSet<>());
    }
    order.removeIf(t -> SKIPPED.containsKey(t) || !sourceTables.contains(t));
    return order;
  }

  private static void place(String t, Map<String, Set<String>> parents, Set<String> placed,
      List<String> order, Set<String> path) {
    if (placed.contains(t)) {
      return;
    }
    if (!path.add(t)) {
      throw new MigrationException("the foreign keys of " + path + " form a cycle");
    }
    for (String p : parents.getOrDefault(t, Set.of())) {
      place(p, parents, placed, order, path);
    }
    path.remove(t);
    placed.add(t);
    order.add(t);
  }

  /** The base tables of the connection's current schema, lower case. */
  static Set<String> tables(Connection c) throws SQLException {
    Set<String> out = new TreeSet<>();
    try (ResultSet r = c.getMetaData().getTables(c.getCatalog(), c.getSchema(), "%",
        new String[] {"TABLE"})) {
      while (r.next()) {
        String name = r.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
        if (!name.startsWith("sqlite_")) {
          out.add(name);
        }
      }
    }
    return out;
  }

  /** The target's columns of {@code table}, with their JDBC types, in table order. */
  static Map<String, Integer> columns(Connection target, String table) throws SQLException {
    Map<String, Integer> out = new LinkedHashMap<>();
    try (ResultSet r = target.getMetaData().getColumns(target.getCatalog(), target.getSchema(),
        table, "%")) {
      while (r.next()) {
        out.put(r.getString("COLUMN_NAME").toLowerCase(Locale.ROOT), r.getInt("DATA_TYPE"));
      }
    }
    return out;
  }

  /** Rows in {@code table} on {@code c}, less {@link #SKIPPED_ROWS}. */
  static long count(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT COUNT(*) FROM " + table + copiedRows(table))) {
      r.next();
      return r.getLong(1);
    }
  }

  /**
   * Inserts every row of {@code table} from {@code source} into {@code target}, on the
   * target's current transaction.
   *
   * @return the columns copied (the source's), with the target's JDBC types
   */
  static Map<String, Integer> copy(Connection source, Connection target, String table)
      throws SQLException {
    Map<String, Integer> targetColumns = columns(target, table);
    Map<String, Integer> cols = new LinkedHashMap<>();
    for (String name : sourceColumns(source, table, targetColumns)) {
      cols.put(name, targetColumns.get(name));
    }
    List<String> names = new ArrayList<>(cols.keySet());
    String insert = "INSERT INTO " + table + " (" + String.join(", ", names) + ") VALUES ("
        + String.join(", ", java.util.Collections.nCopies(names.size(), "?")) + ")";
    long n = 0;
    try (Statement s = source.createStatement();
        ResultSet r = s.executeQuery("SELECT " + String.join(", ", names) + " FROM " + table
            + copiedRows(table));
        PreparedStatement p = target.prepareStatement(insert)) {
      while (r.next()) {
        for (int i = 0; i < names.size(); i++) {
          bind(p, i + 1, cols.get(names.get(i)), read(r, i + 1, cols.get(names.get(i))));
        }
        p.addBatch();
        if (++n % 500 == 0) {
          p.executeBatch();
        }
      }
      p.executeBatch();
    }
    return cols;
  }

  /**
   * Moves each sequence behind a column of {@code table} (PostgreSQL {@code serial} or {@code
   * identity}) past the copied values, so that rows inserted later do not collide with them.
   */
  static void advanceSequences(Connection target, String table) throws SQLException {
    List<String> columns = new ArrayList<>();
    try (PreparedStatement p = target.prepareStatement("SELECT column_name FROM"
        + " information_schema.columns WHERE table_schema = current_schema()"
        + " AND table_name = ? AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')")) {
      p.setString(1, table);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          columns.add(r.getString(1));
        }
      }
    }
    for (String c : columns) {
      try (Statement s = target.createStatement();
          ResultSet r = s.executeQuery("SELECT setval(pg_get_serial_sequence('" + table + "', '"
              + c + "'), COALESCE((SELECT MAX(" + c + ") FROM " + table + "), 0) + 1, false)")) {
        r.next();
      }
    }
  }

  /**
   * The source's columns of {@code table}; each must exist in the target (a column the target
   * lacks would be lost).
   */
  private static List<String> sourceColumns(Connection source, String table,
      Map<String, Integer> targetColumns) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Statement s = source.createStatement();
        ResultSet r = s.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
      ResultSetMetaData m = r.getMetaData();
      for (int i = 1; i <= m.getColumnCount(); i++) {
        String name = m.getColumnName(i).toLowerCase(Locale.ROOT);
        if (!targetColumns.containsKey(name)) {
          throw new MigrationException("column " + table + "." + name + " of the SQLite home is"
              + " not in the PostgreSQL schema; run the migration with the Coffer version that"
              + " wrote the home (nothing was copied)");
        }
        names.add(name);
      }
    }
    return names;
  }

  /**
   * Row count and SHA-256 of {@code table} on {@code c}, over {@code columns} (as {@link
   * #copy} returns them).
   */
  static Fingerprint fingerprint(Connection c, String table, Map<String, Integer> columns)
      throws SQLException {
    List<String> names = new ArrayList<>(columns.keySet());
    List<byte[]> rows = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT " + String.join(", ", names) + " FROM " + table
            + copiedRows(table))) {
      while (r.next()) {
        MessageDigest row = sha256();
        for (int i = 0; i < names.size(); i++) {
          Object v = read(r, i + 1, columns.get(names.get(i)));
          byte[] b = v == null ? new byte[0] : v instanceof byte[] bytes ? bytes
              : v.toString().getBytes(StandardCharsets.UTF_8);
          row.update((byte) (v == null ? 0 : v instanceof byte[] ? 1 : 2));
          row.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
          row.update(b);
        }
        rows.add(row.digest());
      }
    }
    rows.sort(java.util.Arrays::compare);
    MessageDigest all = sha256();
    rows.forEach(all::update);
    return new Fingerprint(rows.size(), java.util.HexFormat.of().formatHex(all.digest()));
  }

  /**
   * One value, read as the target column's type says: {@code Long}, {@code byte[]}, {@code
   * String}, or null.
   */
  static Object read(ResultSet r, int i, int sqlType) throws SQLException {
    switch (sqlType) {
      case Types.BIGINT, Types.INTEGER, Types.SMALLINT, Types.TINYINT, Types.BIT,
          Types.BOOLEAN -> {
        String text = r.getString(i);
        if (text == null) {
          return null;
        }
        // SQLite and PostgreSQL both answer "1"/"0" or "t"/"f"/"true" for booleans.
        return switch (text) {
          case "t", "true" -> 1L;
          case "f", "false" -> 0L;
          default -> Long.parseLong(text);
        };
      }
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> {
        return r.getBytes(i);
      }
      default -> {
        return r.getString(i);
      }
    }
  }

  private static void bind(PreparedStatement p, int i, int sqlType, Object v)
      throws SQLException {
    if (v == null) {
      p.setNull(i, sqlType);
    } else if (sqlType == Types.BIT || sqlType == Types.BOOLEAN) {
      p.setBoolean(i, ((Long) v) != 0);
    } else if (sqlType == Types.INTEGER || sqlType == Types.SMALLINT
        || sqlType == Types.TINYINT) {
      p.setInt(i, Math.toIntExact((Long) v));
    } else if (v instanceof Long l) {
      p.setLong(i, l);
    } else if (v instanceof byte[] b) {
      p.setBytes(i, b);
    } else {
      p.setString(i, (String) v);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
