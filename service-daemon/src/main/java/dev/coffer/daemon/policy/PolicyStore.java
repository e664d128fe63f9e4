package dev.coffer.daemon.policy;

import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed.Topic;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Tx;
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
 *
 * <p>Several nodes: each write announces what it changed ({@link #setAnnouncer}) and each node
 * reloads what another announced ({@link #registerReloads}). Grants are inserted and deleted
 * whole, by id, and a key policy is replaced whole, so no write here reads a row to rewrite it;
 * a retirement or revocation that finds the grant already gone (another node removed it) is
 * NotFound. See docs/cluster.md, Consistency.
 */
public final class PolicyStore {

  private final Database db;
  private final Principals principals;
  private final Map<UUID, KeyPolicy> policies = new ConcurrentHashMap<>();
  private final Map<UUID, Map<String, Grant>> grants = new ConcurrentHashMap<>();
  private final Map<String, Grant> grantsByToken = new ConcurrentHashMap<>();
  private final AtomicLong revision = new AtomicLong();
  private volatile Announcer announcer = Announcer.NONE;

  public PolicyStore(Database db, Principals principals) {
    this.db = db;
    this.principals = principals;
    reloadAll();
  }

  private static final String GRANT_COLUMNS = "SELECT grant_id, key_id, name, grantee,"
      + " retiring_principal, operations, constraints, creation_ms, token FROM grants";

  private static Grant grant(ResultSet r) throws java.sql.SQLException {
    Map<String, Map<String, String>> c = GrantCodec.constraints(r.getString(7));
    return new Grant(r.getString(1), UUID.fromString(r.getString(2)), r.getString(3),
        r.getString(4), r.getString(5), Set.of(r.getString(6).split(",")),
        c.get("EncryptionContextEquals"), c.get("EncryptionContextSubset"),
        java.time.Instant.ofEpochMilli(r.getLong(8)), r.getString(9));
  }

  /** Sets how this store's writes are announced to other nodes (none by default). */
  public void setAnnouncer(Announcer a) {
    announcer = a;
  }

  /**
   * Registers this store's reloads: a {@code policy} or {@code key} announcement reloads the
   * key's policy and grants (a deleted key's are dropped), {@code grant} one grant.
   */
  public void registerReloads(Reloaders r) {
    r.on(Topic.POLICY, id -> reload(UUID.fromString(id)));
    r.on(Topic.KEY, id -> reload(UUID.fromString(id)));
    r.on(Topic.GRANT, this::reloadGrant);
    r.onReloadAll(this::reloadAll);
  }

  /** Reloads one key's policy and grants from the database. */
  public void reload(UUID keyId) {
    record Loaded(String document, List<Grant> grants) {}
    Loaded l = db.read(tx -> {
      String doc = null;
      try (PreparedStatement p = tx.connection().prepareStatement(
          "SELECT document FROM key_policies WHERE key_id = ?")) {
        p.setString(1, keyId.toString());
        try (ResultSet r = p.executeQuery()) {
          doc = r.next() ? r.getString(1) : null;
        }
      }
      List<Grant> out = new ArrayList<>();
      try (PreparedStatement p = tx.connection().prepareStatement(
          GRANT_COLUMNS + " WHERE key_id = ?")) {
        p.setString(1, keyId.toString());
        try (ResultSet r = p.executeQuery()) {
          while (r.next()) {
            out.add(grant(r));
          }
        }
      }
      return new Loaded(doc, out);
    });
    synchronized (this) {
      if (l.document() == null) {
        policies.remove(keyId); // the default policy, or the key is gone
      } else {
        policies.put(keyId, KeyPolicy.load(l.document(), principals));
      }
      Map<String, Grant> old = grants.remove(keyId);
      if (old != null) {
        old.values().forEach(g -> grantsByToken.remove(g.token()));
      }
      l.grants().forEach(this::index);
      revision.incrementAndGet();
    }
  }

  /** Reloads one grant from the database: added, or gone (retired, revoked, key deleted). */
  public void reloadGrant(String grantId) {
    Grant stored = db.read(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          GRANT_COLUMNS + " WHERE grant_id = ?")) {
        p.setString(1, grantId);
        try (ResultSet r = p.executeQuery()) {
          return r.next() ? grant(r) : null;
        }
      }
    });
    synchronized (this) {
      for (Map<String, Grant> m : grants.values()) {
        Grant gone = m.remove(grantId);
        if (gone != null) {
          grantsByToken.remove(gone.token());
        }
      }
      if (stored != null) {
        index(stored);
      }
      revision.incrementAndGet();
    }
  }

  /** Reloads every policy and grant: announcements may have been missed. */
  public void reloadAll() {
    Map<UUID, KeyPolicy> p = new HashMap<>();
    List<Grant> g = new ArrayList<>();
    db.read(tx -> {
      try (Statement s = tx.connection().createStatement();
          ResultSet r = s.executeQuery("SELECT key_id, document FROM key_policies")) {
        while (r.next()) {
          p.put(UUID.fromString(r.getString(1)), KeyPolicy.load(r.getString(2), principals));
        }
      }
      try (Statement s = tx.connection().createStatement();
          ResultSet r = s.executeQuery(GRANT_COLUMNS)) {
        while (r.next()) {
          g.add(grant(r));
        }
      }
      return null;
    });
    synchronized (this) {
      policies.keySet().retainAll(p.keySet());
      policies.putAll(p);
      grants.clear();
      grantsByToken.clear();
      g.forEach(this::index);
      revision.incrementAndGet();
    }
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
  public void putPolicy(Tx tx, UUID keyId, KeyPolicy policy) throws java.sql.SQLException {
    try (PreparedStatement p = tx.connection().prepareStatement(
        "INSERT INTO key_policies(key_id, document) VALUES (?,?)"
            + " ON CONFLICT (key_id) DO UPDATE SET document = excluded.document")) {
      p.setString(1, keyId.toString());
      p.setString(2, policy.document());
      p.executeUpdate();
    }
    announcer.announce(tx, Topic.POLICY, keyId.toString());
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
      announcer.announce(tx, Topic.GRANT, g.grantId());
      return null;
    });
    index(g);
    revision.incrementAndGet();
  }

  /**
   * Deletes a grant (RetireGrant, RevokeGrant).
   *
   * @throws dev.coffer.protocol.KmsException NotFoundException when it is no longer stored
   *     (another node retired or revoked it meanwhile)
   */
  public void removeGrant(Grant g) {
    try {
      deleteGrant(g);
    } catch (dev.coffer.protocol.KmsException gone) {
      reloadGrant(g.grantId());
      throw gone;
    }
    Map<String, Grant> m = grants.get(g.keyId());
    if (m != null) {
      m.remove(g.grantId());
    }
    grantsByToken.remove(g.token());
    revision.incrementAndGet();
  }

  private void deleteGrant(Grant g) {
    db.inTransaction(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "DELETE FROM grants WHERE grant_id = ?")) {
        p.setString(1, g.grantId());
        if (p.executeUpdate() != 1) {
          throw new dev.coffer.protocol.KmsException(dev.coffer.protocol.ErrorType.NOT_FOUND,
              "grant " + g.grantId() + " was already retired or revoked; list the key's grants"
                  + " with list-grants");
        }
      }
      announcer.announce(tx, Topic.GRANT, g.grantId());
      return null;
    });
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
