package dev.coffer.daemon.storage;

/**
 * The database engine that holds a daemon's durable state ({@code storage} in {@code
 * coffer.properties}; {@code docs/cluster.md}, "Storage").
 */
public enum Engine {
  /** One file, {@code $COFFER_HOME/coffer.db}, one node: the default. */
  SQLITE,
  /** A PostgreSQL database shared by several nodes ({@code jdbc-url}). */
  POSTGRESQL
}
