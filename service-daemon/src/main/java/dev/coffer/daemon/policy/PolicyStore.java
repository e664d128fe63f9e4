package dev.coffer.daemon.policy;

import dev.coffer.daemon.storage.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Key policies and grants: durable in the daemon's database, served from memory. Every change
 * bumps a revision number that the {@link Authorizer}'s decision cache is keyed by, so a change
 * takes effect for the very next request.
 */
public final class PolicyStore {

  private final Database db;
  private final Principals principals;
  private final Map<UUID, KeyPolicy> policies = new ConcurrentHashMap<>();
  private final Map<UUID, Map<String, Grant>> grants = new ConcurrentHashMap<>();
  private final Map<String, Grant> grantsByToken = new ConcurrentHashMap<>();
  private final AtomicLong revision = new AtomicLong();

  public PolicyStore(Database db, Principals principals) {
    this.db = db;
    this.principals = principals;
    db.read(tx -> {
      try (Statement s = tx.connection().createStatement();
          ResultSet r = s.executeQuery("SELECT key_id, document FROM key_policies")) {
        while (r.next()) {
          policies.put(UUID.fromString(r.getString(1)), KeyPolicy.load(r.getString(2), principals));
        }
      }
      try (Statement s = tx.connection().createStatement();
          ResultSet r = s.executeQuery("SELECT grant_id, key_id, name, grantee, retiring_principal,"
              + " operations, constraints, creation_ms, token FROM grants")) {
        while (r.next()) {
          Map<String, Map<String, String>> c = GrantCodec.constraints(r.getString(7));
          Grant g = new Grant(r.getString(1), UUID.fromString(r.getString(2)), r.getString(3),
              r.getString(4), r.getString(5), Set.of(r.getString(6).split(",")),
              c.get("EncryptionContextEquals"), c.get("EncryptionContextSubset"),
              java.time.Instant.ofEpochMilli(r.getLong(8)), r.getString(9));
          index(g);
        }
      }
      return null;
    });
  }

  public Principals principals() {
    return principals;
  }

  public long revision() {
    return revision.get();
  }

  /** The key's policy; the default policy when none was ever set. */
  public KeyPolicy policy(UUID keyId) {
    return policies.computeIfAbsent(keyId,
        id -> KeyPolicy.parse(KeyPolicy.defaultDocument(principals), principals));
  }

  /** Stores a policy; {@code tx} lets the caller make it part of a larger transaction. */
  public void putPolicy(Database.Tx tx, UUID keyId, KeyPolicy policy) throws java.sql.SQLException {
    try (PreparedStatement p = tx.connection().prepareStatement(
        "INSERT INTO key_policies(key_id, document) VALUES (?,?)"
            + " ON CONFLICT (key_id) DO UPDATE SET document = excluded.document")) {
      p.setString(1, keyId.toString());
      p.setString(2, policy.document());
      p.executeUpdate();
    }
  }

  /** Makes a stored policy visible (call after the transaction committed). */
  public void policyCommitted(UUID keyId, KeyPolicy policy) {
    policies.put(keyId, policy);
    revision.incrementAndGet();
  }

  public Collection<Grant> grantsOf(UUID keyId) {
    Map<String, Grant> m = grants.get(keyId);
    return m == null ? List.of() : List.copyOf(m.values());
  }

  public List<Grant> allGrants() {
    List<Grant> out = new ArrayList<>();
    grants.values().forEach(m -> out.addAll(m.values()));
    return out;
  }

  public Grant grantByToken(String token) {
    return grantsByToken.get(token);
  }

  public void addGrant(Grant g) {
    db.inTransaction(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "INSERT INTO grants(grant_id, key_id, name, grantee, retiring_principal, operations,"
              + " constraints, creation_ms, token) VALUES (?,?,?,?,?,?,?,?,?)")) {
        p.setString(1, g.grantId());
        p.setString(2, g.keyId().toString());
        p.setString(3, g.name());
        p.setString(4, g.grantee());
        p.setString(5, g.retiringPrincipal());
        p.setString(6, String.join(",", new java.util.TreeSet<>(g.operations())));
        Map<String, Map<String, String>> c = new LinkedHashMap<>();
        if (g.contextEquals() != null) {
          c.put("EncryptionContextEquals", g.contextEquals());
        }
        if (g.contextSubset() != null) {
          c.put("EncryptionContextSubset", g.contextSubset());
        }
        p.setString(7, c.isEmpty() ? null : GrantCodec.json(c));
        p.setLong(8, g.creationDate().toEpochMilli());
        p.setString(9, g.token());
        p.executeUpdate();
      }
      return null;
    });
    index(g);
    revision.incrementAndGet();
  }

  public void removeGrant(Grant g) {
    db.inTransaction(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "DELETE FROM grants WHERE grant_id = ?")) {
        p.setString(1, g.grantId());
        p.executeUpdate();
      }
      return null;
    });
    Map<String, Grant> m = grants.get(g.keyId());
    if (m != null) {
      m.remove(g.grantId());
    }
    grantsByToken.remove(g.token());
    revision.incrementAndGet();
  }

  /** Forgets policies and grants of deleted keys (the database rows cascade). */
  public void keyDeleted(UUID keyId) {
    policies.remove(keyId);
    Map<String, Grant> m = grants.remove(keyId);
    if (m != null) {
      m.values().forEach(g -> grantsByToken.remove(g.token()));
    }
    revision.incrementAndGet();
  }

  private void index(Grant g) {
    grants.computeIfAbsent(g.keyId(), k -> new ConcurrentHashMap<>()).put(g.grantId(), g);
    grantsByToken.put(g.token(), g);
  }

  /** JSON for grant constraints. */
  static final class GrantCodec {
    private GrantCodec() {}

    static String json(Map<String, Map<String, String>> c) {
      return dev.coffer.protocol.Json.MAPPER.valueToTree(c).toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, String>> constraints(String json) {
      if (json == null) {
        return Map.of();
      }
      try {
        return dev.coffer.protocol.Json.MAPPER.readValue(json, HashMap.class);
      } catch (java.io.IOException e) {
        throw new IllegalStateException("corrupt grant constraints in the database", e);
      }
    }
  }
}
