package dev.coffer.daemon.accesskey;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.StorageException;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;

/**
 * The daemon's access keys: the credentials of {@link IamUser}s, who sign HTTPS requests with
 * AWS Signature Version 4. Durable in the daemon's database, table {@code access_keys}; each
 * secret is stored only wrapped under the root key ({@link RootKey#wrap}), with the key id and
 * user name as associated data so that a row's secret cannot be moved to another row.
 *
 * <p>Every change runs in one database transaction, so inside a request's audit scope it commits
 * with its audit record (see {@code AuditTrail}).
 *
 * <p>Lookups for signature verification ({@link #find}) are served from a small cache of the
 * stored rows (the wrapped secret, never the plaintext), which every change invalidates after it
 * commits: an update or a deletion is seen by the next request.
 */
public final class AccessKeyStore {

  /** IAM's quota: two access keys per user, so that a key can be rotated without downtime. */
  public static final int MAX_KEYS_PER_USER = 2;

  /** Characters after {@code AKIA}: IAM's ids use base32's alphabet. */
  private static final char[] ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

  private static final String AAD_LABEL = "coffer-access-key-secret-v1";

  /** A stored row: metadata and the wrapped secret. */
  private record Row(AccessKey key, byte[] wrapped) {}

  private final Database db;
  private final RootKey root;
  private final SecureRandom random;
  private final Clock clock;
  private final Cache<String, Optional<Row>> rows = Caffeine.newBuilder()
      .maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(5)).build();
  private volatile Announcer announcer = Announcer.NONE;

  public AccessKeyStore(Database db, RootKey root, SecureRandom random, Clock clock) {
    this.db = db;
    this.root = root;
    this.random = random;
    this.clock = clock;
  }

  /** Sets how this store's writes are announced to other nodes (none by default). */
  public void setAnnouncer(Announcer a) {
    announcer = a;
  }

  /**
   * Registers this store's reloads: an {@code access-key} announcement drops the key's cached
   * row (its next use reads the database), a lost feed the whole cache.
   */
  public void registerReloads(Reloaders r) {
    r.on(ChangeFeed.Topic.ACCESS_KEY, rows::invalidate);
    r.onReloadAll(rows::invalidateAll);
  }

  /**
   * Creates an active access key for {@code userName}.
   *
   * @return the key with its secret (40 characters), which exists in plaintext only here: the
   *     caller shows it once and zeroes it
   * @throws KmsException {@code LimitExceeded} when the user has {@link #MAX_KEYS_PER_USER}
   */
  public AccessKeyCredential create(String userName) {
    byte[] raw = new byte[30];
    random.nextBytes(raw);
    byte[] secret = Base64.getEncoder().encode(raw); // 40 characters, like AWS's secrets
    Arrays.fill(raw, (byte) 0);
    AccessKey key = new AccessKey(newId(), userName, AccessKey.Status.Active,
        Instant.ofEpochMilli(clock.millis()));
    byte[] wrapped = root.wrap(secret, aad(key));
    db.inTransaction(tx -> {
      // The per-user count under the same cluster-wide lock as the key quota: two nodes
      // creating a user's keys at once cannot both pass it.
      tx.lockKeyQuota();
      try (PreparedStatement p = tx.connection().prepareStatement(
          "SELECT COUNT(*) FROM access_keys WHERE user_name = ?")) {
        p.setString(1, userName);
        try (ResultSet r = p.executeQuery()) {
          if (r.next() && r.getInt(1) >= MAX_KEYS_PER_USER) {
            throw new KmsException("LimitExceeded", "Cannot exceed quota for"
                + " AccessKeysPerUser: " + MAX_KEYS_PER_USER + "; delete one of " + userName
                + "'s keys first (list-access-keys --user-name " + userName + ")");
          }
        }
      }
      try (PreparedStatement p = tx.connection().prepareStatement("INSERT INTO access_keys"
          + "(access_key_id, user_name, status, created_ms, wrapped_secret) VALUES (?,?,?,?,?)")) {
        p.setString(1, key.accessKeyId());
        p.setString(2, key.userName());
        p.setString(3, key.status().name());
        p.setLong(4, key.created().toEpochMilli());
        p.setBytes(5, wrapped);
        p.executeUpdate();
      }
      announcer.announce(tx, ChangeFeed.Topic.ACCESS_KEY, key.accessKeyId());
      return null;
    });
    rows.invalidate(key.accessKeyId());
    return new AccessKeyCredential(key, secret);
  }

  /** The keys of one user, or of all users when {@code userName} is null, sorted by id. */
  public List<AccessKey> list(String userName) {
    return db.read(tx -> {
      List<AccessKey> out = new ArrayList<>();
      try (PreparedStatement p = tx.connection().prepareStatement(
          "SELECT access_key_id, user_name, status, created_ms FROM access_keys"
              + (userName == null ? "" : " WHERE user_name = ?") + " ORDER BY access_key_id")) {
        if (userName != null) {
          p.setString(1, userName);
        }
        try (ResultSet r = p.executeQuery()) {
          while (r.next()) {
            out.add(new AccessKey(r.getString(1), r.getString(2),
                AccessKey.Status.valueOf(r.getString(3)), Instant.ofEpochMilli(r.getLong(4))));
          }
        }
      }
      return out;
    });
  }

  /**
   * Sets a key's status; an inactive key no longer authenticates anything.
   *
   * @param userName when given, the key must belong to this user
   * @throws KmsException {@code NoSuchEntity} for an unknown key (or another user's)
   */
  public AccessKey update(String accessKeyId, String userName, AccessKey.Status status) {
    AccessKey key = existing(accessKeyId, userName).withStatus(status);
    db.inTransaction(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "UPDATE access_keys SET status = ? WHERE access_key_id = ?")) {
        p.setString(1, status.name());
        p.setString(2, accessKeyId);
        requireOneRow(p.executeUpdate(), accessKeyId);
      }
      announcer.announce(tx, ChangeFeed.Topic.ACCESS_KEY, accessKeyId);
      return null;
    });
    rows.invalidate(accessKeyId);
    return key;
  }

  /**
   * Deletes a key for good.
   *
   * @throws KmsException {@code NoSuchEntity} for an unknown key (or another user's)
   */
  public void delete(String accessKeyId, String userName) {
    existing(accessKeyId, userName);
    db.inTransaction(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "DELETE FROM access_keys WHERE access_key_id = ?")) {
        p.setString(1, accessKeyId);
        requireOneRow(p.executeUpdate(), accessKeyId);
      }
      announcer.announce(tx, ChangeFeed.Topic.ACCESS_KEY, accessKeyId);
      return null;
    });
    rows.invalidate(accessKeyId);
  }

  /**
   * The key with this id and its secret, for verifying a request's signature; empty when no
   * such key exists. The key may be {@link AccessKey.Status#Inactive}: the caller refuses it.
   * The caller closes the credential, which zeroes the secret.
   *
   * @throws StorageException when the stored secret does not unwrap under the root key (the
   *     database was modified or belongs to another root key)
   */
  public Optional<AccessKeyCredential> find(String accessKeyId) {
    if (accessKeyId == null || accessKeyId.isEmpty() || accessKeyId.length() > 128) {
      return Optional.empty();
    }
    Optional<Row> row = rows.get(accessKeyId, this::load);
    if (row.isEmpty()) {
      return Optional.empty();
    }
    AccessKey key = row.get().key();
    try {
      return Optional.of(new AccessKeyCredential(key, root.unwrap(row.get().wrapped(), aad(key))));
    } catch (AEADBadTagException e) {
      throw new StorageException("the secret of access key " + accessKeyId + " does not unwrap"
          + " under the root key; was the database modified?", e);
    }
  }

  /**
   * The key with this id without its secret (served from the cache, nothing unwrapped): the
   * HTTPS door names the request's IAM user with it once the signature has verified.
   */
  public Optional<AccessKey> metadata(String accessKeyId) {
    if (accessKeyId == null || accessKeyId.isEmpty() || accessKeyId.length() > 128) {
      return Optional.empty();
    }
    return rows.get(accessKeyId, this::load).map(Row::key);
  }

  private AccessKey existing(String accessKeyId, String userName) {
    Optional<Row> row = load(accessKeyId);
    if (row.isEmpty() || (userName != null && !row.get().key().userName().equals(userName))) {
      throw new KmsException("NoSuchEntity", "The Access Key with id " + accessKeyId
          + " cannot be found" + (userName == null ? "" : " for user " + userName)
          + "; list the keys with list-access-keys");
    }
    return row.get().key();
  }

  private static void requireOneRow(int updated, String accessKeyId) {
    if (updated != 1) {
      throw new KmsException("NoSuchEntity", "The Access Key with id " + accessKeyId
          + " cannot be found (it was deleted meanwhile)");
    }
  }

  private Optional<Row> load(String accessKeyId) {
    return db.read(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement("SELECT user_name, status,"
          + " created_ms, wrapped_secret FROM access_keys WHERE access_key_id = ?")) {
        p.setString(1, accessKeyId);
        try (ResultSet r = p.executeQuery()) {
          if (!r.next()) {
            return Optional.empty();
          }
          return Optional.of(new Row(new AccessKey(accessKeyId, r.getString(1),
              AccessKey.Status.valueOf(r.getString(2)), Instant.ofEpochMilli(r.getLong(3))),
              r.getBytes(4)));
        }
      }
    });
  }

  /** {@code AKIA} and 16 random characters of {@code A-Z 2-7} (80 bits), as IAM's ids look. */
  private String newId() {
    StringBuilder b = new StringBuilder("AKIA");
    for (int i = 0; i < 16; i++) {
      b.append(ID_ALPHABET[random.nextInt(ID_ALPHABET.length)]);
    }
    return b.toString();
  }

  /** Binds a wrapped secret to its key id and user. */
  private static byte[] aad(AccessKey key) {
    return (AAD_LABEL + "\n" + key.accessKeyId() + "\n" + key.userName())
        .getBytes(StandardCharsets.UTF_8);
  }
}
