package dev.coffer.daemon.cluster;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

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
 * another host starts there. A node whose session the server ended (a restart, a failover)
 * takes its name again at its next {@link #keep}.
 *
 * <p>The key is a 64-bit hash of the name ({@code hashtextextended}), so two different names
 * share a key with a chance of about 2<sup>-64</sup> per pair.
 */
public final class NodeIdClaim implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(NodeIdClaim.class.getName());

  private final Supplier<Connection> connections;
  private final String nodeId;
  private Connection connection; // guarded by this
  private boolean closed; // guarded by this
  private String lastProblem; // guarded by this: a long outage is logged once

  private NodeIdClaim(Supplier<Connection> connections, String nodeId, Connection connection) {
    this.connections = connections;
    this.nodeId = nodeId;
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
    try {
      Connection c = take(connections, nodeId);
      if (c == null) {
        throw new IOException(taken(nodeId));
      }
      return new NodeIdClaim(connections, nodeId, c);
    } catch (SQLException e) {
      throw new IOException("cannot claim node-id " + nodeId + " in the database: "
          + e.getMessage(), e);
    }
  }

  /**
   * Checks the session still holds the name, and takes it again on a new session if the server
   * ended it; logs (once per problem) when it cannot, above all when another node took it
   * meanwhile. Never throws: for a periodic task.
   */
  public synchronized void keep() {
    if (closed) {
      return;
    }
    try {
      if (connection != null && connection.isValid(2)) {
        lastProblem = null;
        return;
      }
      closeQuietly(connection);
      connection = take(connections, nodeId);
      if (connection == null) {
        // Either this node's own previous session, which the database has not ended yet (it
        // is retried every call), or another node with this name.
        report(Level.WARNING, "node " + nodeId + ": its node-id is held by another database"
            + " session: its own previous session until the database ends it, or another"
            + " running node with this name (a home copied with its node-id file: give one of"
            + " them a new name); retrying");
      } else {
        lastProblem = null;
        LOG.info(() -> "node " + nodeId + " holds its node-id again");
      }
    } catch (SQLException | RuntimeException e) {
      closeQuietly(connection);
      connection = null;
      report(Level.WARNING, "node " + nodeId + ": cannot hold its node-id in the database;"
          + " retrying: " + e.getMessage());
    }
  }

  private void report(Level level, String problem) {
    if (!problem.equals(lastProblem)) {
      lastProblem = problem;
      LOG.log(level, problem);
    }
  }

  /** A session holding the name, or null if another session holds it. */
  private static Connection take(Supplier<Connection> connections, String nodeId)
      throws SQLException {
    Connection c = connections.get();
    try {
      c.setAutoCommit(true);
      try (PreparedStatement s = c.prepareStatement(
          "SELECT pg_try_advisory_lock(hashtextextended(?, 0))")) {
        s.setString(1, "coffer node-id " + nodeId);
        try (ResultSet r = s.executeQuery()) {
          if (r.next() && r.getBoolean(1)) {
            return c;
          }
        }
      }
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
    closeQuietly(c);
    return null;
  }

  private static String taken(String nodeId) {
    return "another running node on this database has the node-id " + nodeId
        + " (a home copied with its node-id file?): each node needs its own name; delete"
        + " this home's node-id file for a new one, or stop the other node";
  }

  /** Ends the session, which frees the name. */
  @Override
  public synchronized void close() {
    closed = true;
    closeQuietly(connection);
    connection = null;
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException | RuntimeException ignored) {
      // The session ends with the connection either way.
    }
  }
}
