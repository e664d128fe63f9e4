package dev.coffer.daemon.cluster;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.function.Supplier;

/**
 * A running node's hold on its name ({@code $COFFER_HOME/node-id}) in a shared PostgreSQL
 * database: a session-level advisory lock keyed by the name, on a connection of its own, held
 * while the daemon runs.
 *
 * <p>Rows that belong to one node carry its name (its audit outbox, its usage journal folds,
 * its custom key store sessions; {@code docs/cluster.md}, "Per-node rows"). Two live nodes with
 * one name (a home copied whole, {@code node-id} with it) would ship each other's outbox rows
 * into their own audit logs, fold usage as each other and overwrite each other's key store
 * sessions; so a node whose name another live node holds does not start. The lock lives and
 * dies with its session: a node that was killed frees its name at once, and a home moved to
 * another host starts there.
 *
 * <p>The key is a 64-bit hash of the name ({@code hashtextextended}), so two different names
 * share a key with a chance of about 2<sup>-64</sup> per pair.
 */
public final class NodeIdClaim implements AutoCloseable {

  private final Connection connection;

  private NodeIdClaim(Connection connection) {
    this.connection = connection;
  }

  /**
   * Claims {@code nodeId} for this process, or refuses.
   *
   * @param connections a new connection to the cluster's database ({@code
   *     Database.newConnection()}), kept by the claim until {@link #close}
   * @throws IOException if another live session holds the name (naming it and the file to
   *     change), or the database cannot be asked
   */
  public static NodeIdClaim claim(Supplier<Connection> connections, String nodeId)
      throws IOException {
    Connection c = connections.get();
    try {
      c.setAutoCommit(true);
      try (PreparedStatement s = c.prepareStatement(
          "SELECT pg_try_advisory_lock(hashtextextended(?, 0))")) {
        s.setString(1, "coffer node-id " + nodeId);
        try (ResultSet r = s.executeQuery()) {
          if (r.next() && r.getBoolean(1)) {
            return new NodeIdClaim(c);
          }
        }
      }
      closeQuietly(c);
      throw new IOException("another running node on this database has the node-id " + nodeId
          + " (a home copied with its node-id file?): each node needs its own name; delete"
          + " this home's node-id file for a new one, or stop the other node");
    } catch (SQLException e) {
      closeQuietly(c);
      throw new IOException("cannot claim node-id " + nodeId + " in the database: "
          + e.getMessage(), e);
    }
  }

  /** Ends the session, which frees the name. */
  @Override
  public void close() {
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException | RuntimeException ignored) {
      // The session ends with the connection either way.
    }
  }
}
