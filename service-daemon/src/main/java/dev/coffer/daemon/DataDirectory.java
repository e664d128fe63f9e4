package dev.coffer.daemon;

import dev.coffer.daemon.cluster.NodeIdClaim;
import dev.coffer.daemon.config.DaemonConfig;
import dev.coffer.daemon.config.StorageSettings;
import dev.coffer.daemon.files.SecureFiles;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.keystore.RootKeyProbe;
import dev.coffer.daemon.keystore.RootKeys;
import dev.coffer.daemon.storage.Database;
import dev.coffer.daemon.storage.NodeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The daemon's data directory and what start-up opens in it, in order: the directory itself
 * ({@link #prepare}), then ({@link #open}) the root key, the database, this node's claim on its
 * node-id in a shared database, and the check that the root key is the one the database was
 * used with.
 */
final class DataDirectory {

  private static final String DB_FILE = "coffer.db";

  /** Files of the data directory that hold secret or wrapped key material, and what they hold. */
  private static final Map<String, String> SECRET_FILES = secretFiles();

  private final RootKey root;
  private final Database db;
  private final NodeIdClaim nodeClaim;

  private DataDirectory(RootKey root, Database db, NodeIdClaim nodeClaim) {
    this.root = root;
    this.db = db;
    this.nodeClaim = nodeClaim;
  }

  /**
   * Creates the data directory (0700) on first start, and refuses to start, saying which
   * {@code chmod} fixes it, when other users could list or write it or could read or write a
   * file holding secret or wrapped key material: the ssh rule, because a home made 0755 once let
   * another user open the database.
   */
  static void prepare(Path home) throws IOException {
    SecureFiles.createPrivateDirectory(home);
    SecureFiles.requirePrivateDirectory(home);
    for (Map.Entry<String, String> f : SECRET_FILES.entrySet()) {
      SecureFiles.requireOwnerOnlyIfPresent(home.resolve(f.getKey()), f.getValue());
    }
  }

  /**
   * Loads (or creates) the root key and opens the database of {@code config.storage()}; on
   * PostgreSQL, claims this node's node-id ({@link NodeIdClaim}). Throws when the database was
   * used with another root key ({@link RootKeyProbe}), leaving the claim released and the
   * database closed.
   */
  static DataDirectory open(DaemonConfig config, SecureRandom random) throws IOException {
    // A database already used with a root key is opened before a new root.key would be
    // created, to refuse that (RootKeyProbe); otherwise the root key comes first as always, so
    // a first start on a full disk fails on root.key and leaves nothing behind. A PostgreSQL
    // database is always checked first: other nodes may have used it.
    boolean checkBeforeCreating = RootKeys.wouldCreate(config.home())
        && (config.storage().engine() == StorageSettings.Engine.POSTGRESQL
            || Files.exists(config.home().resolve(DB_FILE)));
    RootKey root = checkBeforeCreating ? null : RootKeys.load(config.home(), random);
    Database db = openDatabase(config, NodeId.loadOrCreate(config.home(), random));
    NodeIdClaim nodeClaim = null;
    try {
      if (db.engine() == StorageSettings.Engine.POSTGRESQL) {
        nodeClaim = NodeIdClaim.claim(db::newConnection, db.nodeId());
      }
      RootKeyProbe probe = new RootKeyProbe(db);
      if (root == null) {
        probe.refuseNewRootKey(config.home());
        root = RootKeys.load(config.home(), random);
      }
      probe.verify(root, random, config.home());
    } catch (IOException | RuntimeException e) {
      if (nodeClaim != null) {
        nodeClaim.close();
      }
      db.close();
      throw e;
    }
    return new DataDirectory(root, db, nodeClaim);
  }

  /** The root key, verified against the database. */
  RootKey root() {
    return root;
  }

  Database database() {
    return db;
  }

  /** This node's hold on its node-id in a shared database; null on SQLite. */
  NodeIdClaim nodeClaim() {
    return nodeClaim;
  }

  private static Map<String, String> secretFiles() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("root.key", "the root key");
    m.put(DB_FILE, "wrapped key material, grant tokens and wrapped PINs");
    for (String journal : Database.JOURNAL_SUFFIXES) {
      m.put(DB_FILE + journal, "recent database changes (wrapped key material)");
    }
    m.put("audit-signing-key.p8", "the audit signing key");
    return Collections.unmodifiableMap(m);
  }

  /**
   * The database of {@code storage}: {@code home/coffer.db}, or PostgreSQL with the password of
   * {@code jdbc-password-file} (which must be 0600 or 0400, as the PIN files are) or else {@code
   * COFFER_JDBC_PASSWORD}.
   */
  private static Database openDatabase(DaemonConfig config, String nodeId) throws IOException {
    StorageSettings s = config.storage();
    if (s.engine() == StorageSettings.Engine.SQLITE) {
      return Database.open(config.home().resolve(DB_FILE), nodeId);
    }
    return Database.open(s, s.password(config.home()), nodeId);
  }
}
