package dev.coffer.daemon.keys;

import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed.Topic;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Database.StoredVersion;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The {@link KeyRegistry} writes that change a key's backing versions and materials: a rotation
 * ({@link KeyRegistry#addVersion}) and a planned {@link MaterialChange} ({@link
 * KeyRegistry#changeMaterials}).
 *
 * <p>Each re-reads and locks the key's stored row, changes versions, materials and record in one
 * transaction that also announces the key (after a crash the change is complete or absent), and
 * only then puts what was committed into the {@link KeyView}. The registry calls these under
 * its write lock, the one every writer of the node takes; nothing here takes a lock itself.
 */
final class MaterialWrites {

  private final Database db;
  private final KeyView keyView;

  MaterialWrites(Database db, KeyView keyView) {
    this.db = db;
    this.keyView = keyView;
  }

  /** {@link KeyRegistry#addVersion}, announced through {@code announcer}; under the write lock. */
  KeyRecord addVersion(Announcer announcer, UUID id, Instant now, String rotationType,
      UnaryOperator<KeyRecord> change, VersionFactory factory) {
    record Added(KeyRecord key, List<KeyMaterial> materials) {}
    Added added = db.inTransaction(tx -> {
      KeyRecord current = keyView.lockKey(tx, id);
      int version = current.currentVersion() + 1;
      KeyRecord changed = change.apply(current).toBuilder().currentVersion(version).build();
      byte[] stored = factory.create(changed, version);
      KeyMaterial material = KeyMaterial.generated(id, version, rotationType, now);
      tx.insertVersion(id, version, now, changed.keyStore(), stored, rotationType);
      tx.putMaterial(id, material);
      tx.updateKey(changed);
      announcer.announce(tx, Topic.KEY, id.toString());
      return new Added(changed, tx.materialsOf(id));
    });
    keyView.putKey(id, added.key(), added.materials());
    return added.key();
  }

  /**
   * {@link KeyRegistry#changeMaterials}, announced through {@code announcer}; under the write
   * lock.
   */
  MaterialResult changeMaterials(Announcer announcer, UUID id, Instant now, byte[] token,
      MaterialPlanner planner) {
    MaterialResult result = db.inTransaction(tx -> {
      KeyRecord current = keyView.lockKey(tx, id);
      MaterialChange c = planner.plan(current, tx.materialsOf(id));
      if (c == null) {
        return new MaterialResult(current, List.of());
      }
      if (token != null && !tx.consumeImportToken(token)) {
        throw new KmsException(ErrorType.INVALID_IMPORT_TOKEN,
            "this import token was already used; call get-parameters-for-import for a new one");
      }
      Set<Integer> dropped = union(c.erase(), c.forget());
      List<StoredVersion> gone = tx.deleteVersions(id, dropped);
      if (gone.size() < dropped.size()) {
        // Material this node's copy still holds is already gone from the database: another
        // node erased it (a stale leader's expiry pass). Change and record nothing.
        throw new KmsException(ErrorType.CONFLICT, "key " + id + "'s key material was changed"
            + " on another node while this request ran; retry the request");
      }
      for (int v : c.forget()) {
        tx.deleteMaterial(id, v);
      }
      for (Map.Entry<Integer, byte[]> e : c.store().entrySet()) {
        tx.insertVersion(id, e.getKey(), now, c.key().keyStore(), e.getValue(), null);
      }
      for (KeyMaterial m : c.put()) {
        tx.putMaterial(id, m);
      }
      tx.updateKey(c.key());
      announcer.announce(tx, Topic.KEY, id.toString());
      return new MaterialResult(c.key(), gone);
    });
    keyView.reloadKey(db, id); // materials and record as committed
    return result;
  }

  private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
    Set<Integer> u = new TreeSet<>(a);
    u.addAll(b);
    return u;
  }
}
