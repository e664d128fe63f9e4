package dev.coffer.daemon.ops;

import dev.coffer.daemon.accesskey.AccessKeyStore;
import dev.coffer.daemon.asymmetric.AsymmetricKeys;
import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keystore.BackingKey;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.policy.Authorizer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/**
 * The table of every AWS KMS operation the daemon serves, assembled from the {@code *Operations}
 * classes of this package, each of which registers its own (key lifecycle, symmetric and RSA
 * cryptography, aliases, tags, grants, policies, rotation, import, ...), with AWS semantics: the
 * same parameters, limits, key-state rules and exception names (see {@code
 * shared/reference/kms-semantics.md} and {@code docs/operations.md}). Beside the table it hands
 * the daemon what runs outside a request: maintenance, the custom key store change feed, the
 * access keys and the metrics.
 *
 * <p>This layer knows no transport and no key store: it talks to the {@link KeyRegistry} for
 * metadata and to {@link BackingKey}s for cryptography.
 */
public final class KmsOperations {

  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(KmsOperations.class.getName());

  private final Clock clock;
  private final OperationTable table = new OperationTable();
  private final KeyLifecycleOperations lifecycle;
  private final RotationOperations rotation;
  private final ImportOperations imports;
  private final MetricsOperations metrics;
  private final CustomKeyStoreOperations customKeyStores;
  private final AccessKeyStore accessKeys;

  public KmsOperations(
      KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys, RootKey root,
      Clock clock, SecureRandom random, String account, Authorizer authorizer) {
    this(registry, resolver, backingKeys, root, clock, random, account, authorizer, "local");
  }

  /**
   * @param nodeId this node's id ({@code Database.nodeId()}): names the node in custom key
   *     store connection rows and in the error a node without a token session answers
   */
  public KmsOperations(
      KeyRegistry registry, KeyResolver resolver, BackingKeys backingKeys, RootKey root,
      Clock clock, SecureRandom random, String account, Authorizer authorizer, String nodeId) {
    PolicyOperations policies =
        new PolicyOperations(resolver, authorizer, registry.database(), clock);
    this.clock = clock;
    // Audit records of these changes come from the transactions that make them (the audit
    // outbox, AuditTrail); this only logs them.
    KeyEvents keyEvents = (name, keyId) -> LOG.info(() -> name + " " + keyId);
    this.rotation = new RotationOperations(registry, resolver, backingKeys, clock, keyEvents);
    AsymmetricKeys asymmetricKeys = new AsymmetricKeys(root, registry.database(), random, 10_000);
    this.imports = new ImportOperations(registry, resolver, backingKeys, root, clock, random,
        keyEvents, asymmetricKeys);
    this.metrics = new MetricsOperations(registry, resolver, clock);
    rotation.register(table);
    imports.register(table);
    metrics.register(table);
    this.customKeyStores = new CustomKeyStoreOperations(registry, backingKeys, root, clock, random,
        nodeId);
    customKeyStores.register(table);
    policies.register(table);
    new GrantOperations(resolver, authorizer, clock, random).register(table);
    new AliasOperations(registry, resolver, clock).register(table);
    new TagOperations(registry, resolver).register(table);
    this.accessKeys = new AccessKeyStore(registry.database(), root, random, clock);
    new AccessKeyOperations(accessKeys).register(table);
    SymmetricCryptoOperations crypto = new SymmetricCryptoOperations(registry, resolver,
        backingKeys, customKeyStores, new RsaCryptoOperations(asymmetricKeys), random);
    new SigningOperations(resolver, asymmetricKeys).register(table);
    new CertificateOperations(resolver, asymmetricKeys, registry.database()).register(table);
    new DataKeyPairOperations(crypto, resolver, random).register(table);
    table.setAccessCheck(authorizer::authorize);
    // Derived, never stored: markers survive a restart of this home and mean nothing elsewhere.
    byte[] markerKey = root.mac("coffer-paging-marker-key-v1", new byte[0], new byte[0]);
    try {
      table.setMarkerKey(new Paging.MarkerKey(markerKey));
    } finally {
      Bytes.zero(markerKey);
    }
    this.lifecycle = new KeyLifecycleOperations(registry, resolver, backingKeys, clock, account,
        authorizer, policies, customKeyStores, asymmetricKeys);
    lifecycle.register(table);
    crypto.register(table);
  }

  /**
   * Announces custom key store changes through {@code a} and reloads them on other nodes'
   * announcements (docs/cluster.md, "Custom key stores").
   */
  public void joinChangeFeed(Announcer a, Reloaders r) {
    customKeyStores.setAnnouncer(a);
    customKeyStores.registerReloads(r);
  }

  /** The access keys, for the HTTPS door's signature verification ({@link AccessKeyStore#find}). */
  public AccessKeyStore accessKeys() {
    return accessKeys;
  }

  /** Tells DescribeKey and CreateKey which keys to report with {@code KeyManager} AWS. */
  public void setAwsManaged(java.util.function.Predicate<UUID> managed) {
    lifecycle.setAwsManaged(managed);
  }

  public OperationTable table() {
    return table;
  }

  /** What one maintenance pass did. */
  public record Maintenance(int deleted, int rotated, int expired) {}

  /**
   * Deletes keys whose deletion window ended, rotates keys whose rotation is due, and erases
   * imported material whose ValidTo has passed. Runs at start-up (catching up on whatever fell
   * due while the daemon was down) and periodically.
   */
  public Maintenance runMaintenance() {
    return runMaintenance(clock.instant());
  }

  /**
   * As {@link #runMaintenance()}, erasing imported material whose ValidTo is not after {@code
   * expiredBy}: the instant the pass's expiry events were raised for, so no material is erased
   * without its {@code KMS Imported Key Material Expiration} event ({@code
   * dev.coffer.daemon.events.ExpiryEvents}).
   */
  public Maintenance runMaintenance(java.time.Instant expiredBy) {
    // Deletion, rotation, expiry: in that order, as arguments are evaluated left to right.
    return new Maintenance(lifecycle.deleteDueKeys(), rotation.rotateDueKeys(),
        imports.expireMaterial(expiredBy));
  }

  public MetricsOperations metrics() {
    return metrics;
  }
}
