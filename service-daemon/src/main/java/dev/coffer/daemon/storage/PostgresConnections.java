package dev.coffer.daemon.storage;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Connections to the PostgreSQL database of {@code storage=postgresql} ({@code
 * docs/cluster.md}, "Storage"), with failures an operator can act on: which setting, and the
 * server's or driver's own reason, in one line without a stack trace.
 */
public final class PostgresConnections {

  /** Seconds to wait for the server before a start fails: a down server is reported, not hung on. */
  static final int CONNECT_TIMEOUT_SECONDS = 10;

  private PostgresConnections() {}

  /**
   * A new connection to {@code url} as {@code user}, in autocommit mode.
   *
   * @param password the password ({@code jdbc-password-file} or {@code COFFER_JDBC_PASSWORD});
   *     empty to send none. Not kept: the driver copies it into its own properties
   * @throws IOException "cannot connect to the PostgreSQL database jdbc-url=... as
   *     jdbc-user=...: FATAL: password authentication failed ...; check jdbc-url, jdbc-user and
   *     the password (jdbc-password-file or COFFER_JDBC_PASSWORD)"
   */
  public static Connection connect(String url, String user, char[] password)
      throws IOException {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password.length > 0) {
      p.setProperty("password", new String(password));
    }
    p.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    p.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    p.setProperty("ApplicationName", "coffer");
    try {
      Connection c = new org.postgresql.Driver().connect(url, p);
      if (c == null) {
        throw new SQLException("not a PostgreSQL JDBC URL");
      }
      return c;
    } catch (SQLException e) {
      throw new IOException("cannot connect to the PostgreSQL database jdbc-url=" + url
          + " as jdbc-user=" + user + ": " + oneLine(e) + "; check jdbc-url, jdbc-user and the"
          + " password (jdbc-password-file or COFFER_JDBC_PASSWORD)", e);
    }
  }

  private static String oneLine(SQLException e) {
    String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    // "The connection attempt failed." says little: the cause names the host or the refusal.
    Throwable cause = e.getCause();
    if (cause != null) {
      m = m + " (" + cause.getClass().getSimpleName()
          + (cause.getMessage() != null ? ": " + cause.getMessage() : "") + ")";
    }
    return m.strip().replace('\n', ' ');
  }
}
