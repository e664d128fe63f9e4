package dev.coffer.daemon.cluster;

import dev.coffer.daemon.storage.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Each node's connection to each custom key store, in the shared database: every node opens
 * its own session to a store's token, so "connected" is a per-node fact, and a store is {@code
 * CONNECTED} cluster-wide only when every node that serves it is (docs/cluster.md, "Custom key
 * stores").
 *
 * <p>A node has a row for a store from the {@code ConnectCustomKeyStore} it was asked for
 * until the {@code DisconnectCustomKeyStore} it was asked for: the row says the node serves the
 * store (and reconnects it at start-up), and holds the state it last reached. A node without a
 * row does not serve the store and does not count.
 */
public final class KeyStoreConnections {

  /** One node's connection to one store, as that node last recorded it. */
  public record NodeConnection(String nodeId, String state, String errorCode, Instant updated) {}

  private final Database db;
  private final String nodeId;
  private final Clock clock;

  /**
   * @param nodeId this node's id ({@code Database.nodeId()}, the {@code $COFFER_HOME/node-id}
   *     file); names the node in rows and messages
   */
  public KeyStoreConnections(Database db, String nodeId, Clock clock) {
    this.db = db;
    this.nodeId = nodeId;
    this.clock = clock;
  }

  /** This node's id. */
  public String nodeId() {
    return nodeId;
  }

  /** Records this node's state for {@code storeId} (it now serves the store). */
  public void record(String storeId, String state, String errorCode) {
    db.inTransaction(tx -> {
      try (PreparedStatement s = tx.connection().prepareStatement(
          "INSERT INTO key_store_connections (key_store_id, node_id, state, error_code,"
              + " updated_ms) VALUES (?,?,?,?,?) ON CONFLICT (key_store_id, node_id) DO UPDATE"
              + " SET state = excluded.state, error_code = excluded.error_code,"
              + " updated_ms = excluded.updated_ms")) {
        s.setString(1, storeId);
        s.setString(2, nodeId);
        s.setString(3, state);
        s.setString(4, errorCode);
        s.setLong(5, clock.millis());
        s.executeUpdate();
      }
      return null;
    });
  }

  /** This node no longer serves {@code storeId} (it was asked to disconnect). */
  public void forget(String storeId) {
    delete("DELETE FROM key_store_connections WHERE key_store_id = ? AND node_id = ?",
        storeId, nodeId);
  }

  /** No node serves {@code storeId} any more (the store was deleted). */
  public void forgetStore(String storeId) {
    delete("DELETE FROM key_store_connections WHERE key_store_id = ?", storeId, null);
  }

  private void delete(String sql, String storeId, String node) {
    db.inTransaction(tx -> {
      try (PreparedStatement s = tx.connection().prepareStatement(sql)) {
        s.setString(1, storeId);
        if (node != null) {
          s.setString(2, node);
        }
        s.executeUpdate();
      }
      return null;
    });
  }

  /** Every node that serves {@code storeId}, by node id. */
  public List<NodeConnection> nodes(String storeId) {
    return db.read(tx -> {
      List<NodeConnection> out = new ArrayList<>();
      try (PreparedStatement s = tx.connection().prepareStatement(
          "SELECT node_id, state, error_code, updated_ms FROM key_store_connections"
              + " WHERE key_store_id = ? ORDER BY node_id")) {
        s.setString(1, storeId);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            out.add(new NodeConnection(r.getString(1), r.getString(2), r.getString(3),
                Instant.ofEpochMilli(r.getLong(4))));
          }
        }
      }
      return out;
    });
  }

  /**
   * A store's state across the cluster, and the node that keeps it from being {@code
   * CONNECTED} (null when it is, or when no node serves it).
   */
  public record ClusterState(String state, NodeConnection holdout) {}

  /**
   * Combines the nodes' states: no node serving is {@code DISCONNECTED}; every serving node
   * {@code CONNECTED} is {@code CONNECTED}; otherwise a node still {@code CONNECTING} makes it
   * {@code CONNECTING}, else a {@code FAILED} node makes it {@code FAILED}.
   */
  public static ClusterState combine(List<NodeConnection> nodes) {
    if (nodes.isEmpty()) {
      return new ClusterState("DISCONNECTED", null);
    }
    for (String s : List.of("CONNECTING", "FAILED")) {
      for (NodeConnection n : nodes) {
        if (n.state().equals(s)) {
          return new ClusterState(s, n);
        }
      }
    }
    for (NodeConnection n : nodes) {
      if (!n.state().equals("CONNECTED")) {
        return new ClusterState(n.state(), n);
      }
    }
    return new ClusterState("CONNECTED", null);
  }

  /**
   * {@code storeId}'s state across the nodes that serve it ({@link #combine}), with this node's
   * live state in place of its row (a token that stopped answering moves a node to {@code
   * FAILED} between requests); this node's row is brought up to date on the way.
   *
   * @param liveState this node's connection state now (an AWS ConnectionState name)
   * @param liveErrorCode its ConnectionErrorCode, or null
   */
  public ClusterState clusterState(String storeId, String liveState, String liveErrorCode) {
    List<NodeConnection> rows = new ArrayList<>(nodes(storeId));
    NodeConnection mine = rows.stream().filter(n -> n.nodeId().equals(nodeId)).findFirst()
        .orElse(null);
    if (mine != null || !liveState.equals("DISCONNECTED")) {
      if (mine == null || !mine.state().equals(liveState)) {
        record(storeId, liveState, liveErrorCode);
      }
      rows.remove(mine);
      rows.add(new NodeConnection(nodeId, liveState, liveErrorCode, clock.instant()));
    }
    return combine(rows);
  }

  /** Whether this node serves {@code storeId}: it should reconnect it at start-up. */
  public boolean serves(String storeId) {
    return nodes(storeId).stream().anyMatch(n -> n.nodeId().equals(nodeId));
  }

  /** Whether any node serves {@code storeId}. */
  public boolean anyServes(String storeId) {
    return !nodes(storeId).isEmpty();
  }
}
