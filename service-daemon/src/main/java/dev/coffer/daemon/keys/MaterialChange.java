package dev.coffer.daemon.keys;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One change to a key's materials, applied with the key's new record in one transaction
 * ({@link KeyRegistry#changeMaterials}).
 *
 * @param key the key's record after the change
 * @param put material records to add or replace
 * @param store stored forms of material to add, by version
 * @param erase versions whose stored material to destroy (their records stay)
 * @param forget versions to drop entirely, record and stored material
 */
public record MaterialChange(KeyRecord key, List<KeyMaterial> put, Map<Integer, byte[]> store,
    Set<Integer> erase, Set<Integer> forget) {
  public MaterialChange {
    put = List.copyOf(put);
    store = Map.copyOf(store);
    erase = Set.copyOf(erase);
    forget = Set.copyOf(forget);
  }
}
