package dev.coffer.jca.key;

import java.nio.file.Path;
import java.security.spec.KeySpec;
import java.util.List;
import java.util.Objects;

/**
 * A reference to a KMS key, for {@code SecretKeyFactory.getInstance("KMS")}: an alias name
 * ({@code alias/name}), a key id, a key ARN or an alias ARN, with optional grant tokens and an
 * optional daemon socket. Holds no key material; {@code getKeySpec} returns one of these.
 */
public final class KmsKeySpec implements KeySpec {

  private static final int MAX_GRANT_TOKENS = 10;

  private final String keyReference;
  private final List<String> grantTokens;
  private final Path socket;

  private KmsKeySpec(String keyReference, List<String> grantTokens, Path socket) {
    this.keyReference = keyReference;
    this.grantTokens = grantTokens;
    this.socket = socket;
  }

  /** A spec for {@code keyReference} (alias, key id or ARN), default socket, no grant tokens. */
  public static KmsKeySpec of(String keyReference) {
    return new KmsKeySpec(requireReference(keyReference), List.of(), null);
  }

  /** The same reference with {@code tokens} (at most 10, as in AWS) sent on every call. */
  public KmsKeySpec withGrantTokens(List<String> tokens) {
    List<String> copy = List.copyOf(tokens);
    if (copy.size() > MAX_GRANT_TOKENS) {
      throw new IllegalArgumentException("at most " + MAX_GRANT_TOKENS + " grant tokens");
    }
    return new KmsKeySpec(keyReference, copy, socket);
  }

  /** The same reference resolved through the daemon at {@code socket}. */
  public KmsKeySpec withSocket(Path socket) {
    return new KmsKeySpec(keyReference, grantTokens, Objects.requireNonNull(socket, "socket"));
  }

  public String keyReference() {
    return keyReference;
  }

  public List<String> grantTokens() {
    return grantTokens;
  }

  /** The daemon socket, or null for the located default. */
  public Path socket() {
    return socket;
  }

  private static String requireReference(String ref) {
    if (ref == null || ref.isBlank()) {
      throw new IllegalArgumentException("a key reference (alias/name, key id or ARN) is required");
    }
    return ref;
  }

  @Override
  public String toString() {
    return "KmsKeySpec[" + keyReference + ", " + grantTokens.size() + " grant tokens]";
  }
}
