package dev.coffer.daemon.keystore;

import dev.coffer.daemon.crypto.Bytes;
import dev.coffer.daemon.storage.Database;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import javax.crypto.AEADBadTagException;

/**
 * Proves at start-up that this node's root key is the one the database's keys are wrapped
 * under, so a node with another root key (a home that never joined the cluster, a wrong {@code
 * root.key} copied in, another token key) refuses to start instead of failing every request.
 *
 * <p>The probe is the row {@code meta('root_key_probe')}: 32 random bytes wrapped by {@link
 * RootKey#wrap} (so it works for the software and the PKCS#11 root key), base64. The first
 * start against a database inserts it ({@code ON CONFLICT DO NOTHING}: of two nodes starting at
 * once one row wins and both then check that one); every start unwraps it.
 */
public final class RootKeyProbe {
  static final String NAME = "root_key_probe";
  private static final byte[] AAD = "coffer root key probe v1".getBytes(StandardCharsets.UTF_8);

  private final Database db;

  public RootKeyProbe(Database db) {
    this.db = db;
  }

  /** Whether the database already holds a probe: some root key has been used with it. */
  public boolean present() {
    return read() != null;
  }

  /**
   * Refuses to create a new software root key in {@code home} for a database that already has
   * one: called before {@link RootKeys#load} would create it.
   *
   * @throws IOException saying to join the cluster first
   */
  public void refuseNewRootKey(Path home) throws IOException {
    if (present()) {
      throw new IOException("the database already holds keys wrapped under the cluster's root"
          + " key, and " + SoftwareRootKey.file(home) + " does not exist (Coffer would create a"
          + " new, different one); join this node first: `coffer cluster join-request --home "
          + home + "`, then on a running node `coffer cluster export-root-key`, then `coffer"
          + " cluster join --home " + home + " --wrapped-root-key FILE` (docs/cluster.md), or"
          + " copy root.key (mode 0600) from another node into " + home);
    }
  }

  /**
   * Stores the probe if the database has none, then unwraps it with {@code root}.
   *
   * @throws IOException if it does not unwrap: this node's root key is not the cluster's
   */
  public void verify(RootKey root, SecureRandom random, Path home) throws IOException {
    String stored = storeIfAbsent(root, random);
    try {
      Bytes.zero(root.unwrap(Base64.getDecoder().decode(stored), AAD));
    } catch (AEADBadTagException | IllegalArgumentException e) {
      throw new IOException("this node's root key is not the one the database's keys are"
          + " wrapped under (the root key probe in its meta table does not unwrap): this home ("
          + home + ") has another cluster's or a fresh root key; give it the cluster's root key"
          + " with `coffer cluster join` (docs/cluster.md, \"Joining a node\"), or copy root.key"
          + " (mode 0600) from a node of the cluster, or for root-key-store=pkcs11 use the same"
          + " token and key label as the other nodes");
    }
  }

  /**
   * Stores a probe made with {@code root} if the database has none (a database never started
   * by a daemon with the probe: a home of an older Coffer that {@code coffer storage migrate}
   * copies), so the database names its root key from then on.
   *
   * @return the stored probe: this one, or the one already there
   */
  public String storeIfAbsent(RootKey root, SecureRandom random) {
    String stored = read();
    if (stored == null) {
      byte[] value = new byte[32];
      random.nextBytes(value);
      String fresh = Base64.getEncoder().encodeToString(root.wrap(value, AAD));
      Bytes.zero(value);
      db.inTransaction(tx -> {
        try (PreparedStatement p = tx.connection().prepareStatement(
            "INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
          p.setString(1, NAME);
          p.setString(2, fresh);
          p.executeUpdate();
        }
        return null;
      });
      stored = read(); // ours, or another node's that won the race
    }
    return stored;
  }

  private String read() {
    return db.inTransaction(tx -> {
      try (PreparedStatement p = tx.connection().prepareStatement(
          "SELECT value FROM meta WHERE name = ?")) {
        p.setString(1, NAME);
        try (ResultSet r = p.executeQuery()) {
          return r.next() ? r.getString(1) : null;
        }
      }
    });
  }
}
