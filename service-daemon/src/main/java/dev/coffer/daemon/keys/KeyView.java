package dev.coffer.daemon.keys;

import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.Tx;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * This node's in-memory copy of every key record, alias and key material, which
 * {@link KeyRegistry} serves reads from without a lock or a database round trip.
 *
 * <p>Reads may come from any thread at any time. Every change is made by the registry under its
 * write lock, and only with what the database holds: after the transaction that wrote it has
 * committed, or re-read from the database (the reloads, for another node's changes). One
 * ordering rule keeps a lock-free reader consistent: a key's materials are put before its
 * record, so a reader that sees a version also finds its material. See docs/cluster.md,
 * Consistency.
 */
final class KeyView {

  private final Map<UUID, KeyRecord> keys = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<String, AliasRecord> aliases = new ConcurrentSkipListMap<>();
  /** Each key's materials, ordered by version; replaced whole under the write lock. */
  private final Map<UUID, List<KeyMaterial>> materials = new ConcurrentHashMap<>();

  /** Loads every key, alias and material {@code db} stores. */
  KeyView(Database db) {
    db.loadKeys().forEach(k -> keys.put(k.id(), k));
    db.loadAliases().forEach(a -> aliases.put(a.name(), a));
    db.loadMaterials().forEach((id, list) -> materials.put(id, List.copyOf(list)));
  }

  // ------------------------------------------------------------ reads (any thread, no lock)

  /** The stored record of a key, or null. */
  KeyRecord key(UUID id) {
    return keys.get(id);
  }

  /** Every stored key record, unordered; a live view of the map. */
  Collection<KeyRecord> keys() {
    return keys.values();
  }

  int count() {
    return keys.size();
  }

  /** A key's materials ordered by version (empty for a key without any), immutable. */
  List<KeyMaterial> materials(UUID keyId) {
    return materials.getOrDefault(keyId, List.of());
  }

  AliasRecord alias(String name) {
    return aliases.get(name);
  }

  /** Every alias ordered by name; a live view of the map. */
  Collection<AliasRecord> aliases() {
    return aliases.values();
  }

  // ------------------------------------------------------------ changes (under the write lock)

  /** Puts a key's committed record. */
  void putKey(UUID id, KeyRecord key) {
    keys.put(id, key);
  }

  /** Puts a key's committed materials (ordered by version) and then its record. */
  void putKey(UUID id, KeyRecord key, List<KeyMaterial> keyMaterials) {
    // Materials before the record: a reader that sees a version also finds its material.
    materials.put(id, List.copyOf(keyMaterials));
    keys.put(id, key);
  }

  void putAlias(String name, AliasRecord alias) {
    aliases.put(name, alias);
  }

  void removeAlias(String name) {
    aliases.remove(name);
  }

  /**
   * The stored record of {@code id}, locked for {@code tx}; NotFound when not stored, and then
   * the record leaves this view too (another node deleted the key).
   */
  KeyRecord lockKey(Tx tx, UUID id) throws java.sql.SQLException {
    KeyRecord current = tx.lockKey(id);
    if (current == null) {
      keys.remove(id); // deleted by another node
      throw KeyResolver.notFound(id.toString());
    }
    return current;
  }

  // ------------------------------------------------------------ reloads (under the write lock)

  /**
   * Reloads one key from {@code db}: its record, materials and aliases; a key no longer stored
   * is removed with its materials and aliases.
   *
   * @return the stored record, or null when the key is gone
   */
  KeyRecord reloadKey(Database db, UUID id) {
    record Loaded(KeyRecord key, List<KeyMaterial> materials, List<AliasRecord> aliases) {}
    Loaded l = db.read(tx -> {
      KeyRecord k = tx.readKey(id);
      return k == null ? new Loaded(null, List.of(), List.of())
          : new Loaded(k, tx.materialsOf(id), tx.aliasesOf(id));
    });
    if (l.key() == null) {
      keys.remove(id);
      materials.remove(id);
      aliases.values().removeIf(a -> a.targetKeyId().equals(id));
      return null;
    }
    putKey(id, l.key(), l.materials());
    aliases.values().removeIf(a -> a.targetKeyId().equals(id)
        && l.aliases().stream().noneMatch(b -> b.name().equals(a.name())));
    l.aliases().forEach(a -> aliases.put(a.name(), a));
    return l.key();
  }

  /**
   * Reloads one alias from {@code db}.
   *
   * @return the stored alias, or null when none of that name is stored
   */
  AliasRecord reloadAlias(Database db, String name) {
    AliasRecord a = db.read(tx -> tx.readAlias(name));
    if (a == null) {
      aliases.remove(name);
    } else {
      aliases.put(name, a);
    }
    return a;
  }

  /** Reloads every key, material and alias from {@code db}. */
  void reloadAll(Database db) {
    Map<UUID, KeyRecord> k = new HashMap<>();
    db.loadKeys().forEach(r -> k.put(r.id(), r));
    Map<String, AliasRecord> a = new HashMap<>();
    db.loadAliases().forEach(r -> a.put(r.name(), r));
    Map<UUID, List<KeyMaterial>> m = db.loadMaterials();
    // Materials before the records, as in putKey.
    m.forEach((id, list) -> materials.put(id, List.copyOf(list)));
    materials.keySet().retainAll(m.keySet());
    keys.putAll(k);
    keys.keySet().retainAll(k.keySet());
    aliases.putAll(a);
    aliases.keySet().retainAll(a.keySet());
  }
}
