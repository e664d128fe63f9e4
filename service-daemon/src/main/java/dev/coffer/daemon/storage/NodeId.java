package dev.coffer.daemon.storage;

import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The name of one daemon among the nodes sharing a database: {@code $COFFER_HOME/node-id}, one
 * line such as {@code node-3f9a0c1e}, mode 0644 (it is no secret), created with a random value
 * on first use. It names the node in logs, the audit outbox, usage journal folds and {@code
 * coffer audit} reports ({@code docs/cluster.md}).
 */
public final class NodeId {

  /** The file's name in the daemon's home. */
  public static final String FILE = "node-id";

  /** 1 to 63 of a-z, 0-9 and {@code -}, starting with a letter or digit. */
  private static final String SHAPE = "[a-z0-9][a-z0-9-]{0,62}";

  private NodeId() {}

  /**
   * The node id stored in {@code home/node-id}, creating the file with {@code node-} and 8
   * random hex digits when it is absent. Two processes racing to create it read the same value:
   * the file is created atomically and never replaced.
   *
   * @throws IOException if the file cannot be read or created, or does not hold one line of 1 to
   *     63 of a-z, 0-9 and {@code -} (an operator may write their own name, e.g. {@code node-a})
   */
  public static String readOrCreate(Path home) throws IOException {
    Path file = home.resolve(FILE);
    if (!Files.exists(file)) {
      byte[] random = new byte[4];
      new SecureRandom().nextBytes(random);
      String id = "node-" + HexFormat.of().formatHex(random);
      SecureFiles.createNew(file, (id + "\n").getBytes(StandardCharsets.US_ASCII),
          SecureFiles.PUBLIC_READ);
    }
    String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
    if (!id.matches(SHAPE)) {
      throw new IOException(file + " must hold one line of 1 to 63 of a-z, 0-9 and - (the"
          + " node's name, e.g. node-3f9a0c1e); delete it to have a new random one created");
    }
    return id;
  }
}
