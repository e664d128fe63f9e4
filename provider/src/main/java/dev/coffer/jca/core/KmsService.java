package dev.coffer.jca.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.transport.KmsTransport;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.Map;

/**
 * Typed KMS operations over one transport (the daemon's Unix socket or a remote Coffer's HTTPS
 * endpoint; both answer the same JSON). Knows no JCA: it speaks AWS field names and throws
 * {@link KmsException}; the SPI layer maps failures through {@link JcaErrors}.
 */
public final class KmsService {

  private final KmsTransport transport;

  private KmsService(KmsTransport transport) {
    this.transport = transport;
  }

  /**
   * The service at {@code socket}, or, when null, at the configured default: the HTTPS endpoint
   * if {@code coffer.endpoint}/{@code COFFER_ENDPOINT} is set, else the located socket (rules on
   * {@link KmsTransport}).
   */
  public static KmsService forSocket(Path socket) {
    return new KmsService(KmsTransport.forSocket(socket));
  }

  /** Where the calls go; equal destinations reach the same daemon (caches are keyed by it). */
  public String destination() {
    return transport.destination();
  }

  public KeyInfo describeKey(String keyReference, List<String> grantTokens) {
    ObjectNode in = Json.object();
    in.put("KeyId", keyReference);
    grants(in, grantTokens);
    return keyInfo(transport.call(Operation.DESCRIBE_KEY, in));
  }

  public KeyInfo createKey(String description, Map<String, String> tags) {
    return createKey(null, null, description, tags);
  }

  /**
   * {@code CreateKey} with an AWS {@code KeySpec} and {@code KeyUsage} (null for the symmetric
   * defaults); the daemon refuses pairs AWS refuses ({@code ValidationException}).
   */
  public KeyInfo createKey(
      String keySpec, String keyUsage, String description, Map<String, String> tags) {
    ObjectNode in = Json.object();
    if (keySpec != null) {
      in.put("KeySpec", keySpec);
    }
    if (keyUsage != null) {
      in.put("KeyUsage", keyUsage);
    }
    if (description != null && !description.isEmpty()) {
      in.put("Description", description);
    }
    if (!tags.isEmpty()) {
      ArrayNode a = in.putArray("Tags");
      tags.forEach((k, v) -> a.addObject().put("TagKey", k).put("TagValue", v));
    }
    return keyInfo(transport.call(Operation.CREATE_KEY, in));
  }

  /**
   * Imports 256-bit key material as a new KMS key of origin EXTERNAL, the whole AWS flow on the
   * client side: {@code CreateKey}, {@code GetParametersForImport}, RSA-OAEP-SHA-256 wrapping in
   * this JVM (the raw key never crosses the socket), {@code ImportKeyMaterial} without expiry.
   * If any step after {@code CreateKey} fails, the half-made key is scheduled for deletion.
   *
   * @param material the raw key; not retained, not modified
   */
  public KeyInfo importKey(byte[] material, String description) {
    if (material == null || material.length != 32) {
      throw new KmsException(ErrorType.INCORRECT_KEY_MATERIAL,
          "only 256-bit AES keys can be imported into Coffer");
    }
    return importKey(material, null, null, description);
  }

  /**
   * The same flow for a key of AWS {@code keySpec} and {@code keyUsage} (null for the symmetric
   * defaults), e.g. {@code HMAC_256}/{@code GENERATE_VERIFY_MAC} with 32 bytes of material; the
   * daemon checks the material's size for the spec ({@code IncorrectKeyMaterialException}).
   */
  public KeyInfo importKey(
      byte[] material, String keySpec, String keyUsage, String description) {
    ObjectNode create = Json.object();
    create.put("Origin", "EXTERNAL");
    create.put("Description", description);
    if (keySpec != null) {
      create.put("KeySpec", keySpec);
    }
    if (keyUsage != null) {
      create.put("KeyUsage", keyUsage);
    }
    KeyInfo key = keyInfo(transport.call(Operation.CREATE_KEY, create));
    try {
      ObjectNode params = transport.call("GetParametersForImport", Json.object()
          .put("KeyId", key.keyId()).put("WrappingAlgorithm", "RSAES_OAEP_SHA_256")
          .put("WrappingKeySpec", "RSA_3072"));
      byte[] wrapped = ImportWrapping.wrapOaepSha256(params.get("PublicKey").binaryValue(),
          material);
      transport.call("ImportKeyMaterial", Json.object().put("KeyId", key.keyId())
          .put("ImportToken", params.get("ImportToken").binaryValue())
          .put("EncryptedKeyMaterial", wrapped)
          .put("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"));
      return describeKey(key.keyId(), List.of());
    } catch (IOException | RuntimeException e) {
      try {
        transport.call(Operation.SCHEDULE_KEY_DELETION, Json.object().put("KeyId", key.keyId())
            .put("PendingWindowInDays", 7));
      } catch (KmsException ignored) {
        // best effort: the key is unusable without material anyway
      }
      if (e instanceof KmsException k) {
        throw k;
      }
      throw new KmsException(ErrorType.INTERNAL, "key import failed: " + e.getMessage(), e);
    }
  }

  public void createAlias(String aliasName, String targetKeyId) {
    ObjectNode in = Json.object();
    in.put("AliasName", aliasName);
    in.put("TargetKeyId", targetKeyId);
    transport.call(Operation.CREATE_ALIAS, in);
  }

  public void updateAlias(String aliasName, String targetKeyId) {
    ObjectNode in = Json.object();
    in.put("AliasName", aliasName);
    in.put("TargetKeyId", targetKeyId);
    transport.call(Operation.UPDATE_ALIAS, in);
  }

  public void deleteAlias(String aliasName) {
    ObjectNode in = Json.object();
    in.put("AliasName", aliasName);
    transport.call(Operation.DELETE_ALIAS, in);
  }

  /** One alias: its name, target key id (null for an alias without target) and creation date. */
  public record AliasInfo(String aliasName, String targetKeyId, Instant creationDate) {}

  /** Every alias, following NextMarker. */
  public List<AliasInfo> listAliases() {
    return listAll(Operation.LIST_ALIASES, "Aliases", a -> new AliasInfo(
        a.path("AliasName").asText(),
        a.hasNonNull("TargetKeyId") ? a.get("TargetKeyId").asText() : null,
        instant(a.get("CreationDate"))));
  }

  /** Every key id, following NextMarker. */
  public List<String> listKeyIds() {
    return listAll(Operation.LIST_KEYS, "Keys", k -> k.path("KeyId").asText());
  }

  /** Every entry of a paged List operation's {@code field}, 100 per call, following NextMarker. */
  private <T> List<T> listAll(String operation, String field, Function<JsonNode, T> entry) {
    List<T> out = new ArrayList<>();
    String marker = null;
    do {
      ObjectNode in = Json.object();
      in.put("Limit", 100);
      if (marker != null) {
        in.put("Marker", marker);
      }
      ObjectNode page = transport.call(operation, in);
      for (JsonNode e : page.path(field)) {
        out.add(entry.apply(e));
      }
      marker = next(page);
    } while (marker != null);
    return out;
  }

  /** {@code Encrypt}: returns the ciphertext blob. */
  public byte[] encrypt(
      String keyId, byte[] plaintext, Map<String, String> context, List<String> grantTokens) {
    ObjectNode in = Json.object();
    in.put("KeyId", keyId);
    in.put("Plaintext", plaintext);
    context(in, context);
    grants(in, grantTokens);
    return binary(transport.call(Operation.ENCRYPT, in), "CiphertextBlob");
  }

  /** What {@code Decrypt} and {@code GenerateDataKey} return. The caller owns (and zeroes) it. */
  public record Opened(String keyArn, byte[] plaintext, byte[] ciphertextBlob) {}

  /** {@code Decrypt}; {@code keyId} may be null (the blob names its key). */
  public Opened decrypt(
      byte[] blob, String keyId, Map<String, String> context, List<String> grantTokens) {
    ObjectNode in = Json.object();
    in.put("CiphertextBlob", blob);
    if (keyId != null) {
      in.put("KeyId", keyId);
    }
    context(in, context);
    grants(in, grantTokens);
    ObjectNode out = transport.call(Operation.DECRYPT, in);
    return new Opened(out.path("KeyId").asText(), binary(out, "Plaintext"), blob);
  }

  /** {@code GenerateDataKey} with {@code KeySpec AES_256}. */
  public Opened generateDataKey(String keyId, List<String> grantTokens) {
    ObjectNode in = Json.object();
    in.put("KeyId", keyId);
    in.put("KeySpec", "AES_256");
    grants(in, grantTokens);
    ObjectNode out = transport.call(Operation.GENERATE_DATA_KEY, in);
    return new Opened(
        out.path("KeyId").asText(), binary(out, "Plaintext"), binary(out, "CiphertextBlob"));
  }

  public byte[] generateRandom(int numberOfBytes) {
    ObjectNode in = Json.object();
    in.put("NumberOfBytes", numberOfBytes);
    return binary(transport.call(Operation.GENERATE_RANDOM, in), "Plaintext");
  }

  /** The operations on asymmetric and HMAC keys, over the same transport. */
  public AsymmetricService asymmetric() {
    return new AsymmetricService(transport);
  }

  static void grants(ObjectNode in, List<String> grantTokens) {
    if (grantTokens != null && !grantTokens.isEmpty()) {
      ArrayNode a = in.putArray("GrantTokens");
      grantTokens.forEach(a::add);
    }
  }

  private static void context(ObjectNode in, Map<String, String> context) {
    if (context != null && !context.isEmpty()) {
      ObjectNode c = in.putObject("EncryptionContext");
      context.forEach(c::put);
    }
  }

  private static String next(ObjectNode page) {
    return page.path("Truncated").asBoolean(false) && page.hasNonNull("NextMarker")
        ? page.get("NextMarker").asText()
        : null;
  }

  private static KeyInfo keyInfo(ObjectNode out) {
    JsonNode m = out.path("KeyMetadata");
    if (!m.hasNonNull("Arn") || !m.hasNonNull("KeyId")) {
      throw new KmsException(ErrorType.INTERNAL, "the daemon returned no key metadata");
    }
    return new KeyInfo(
        m.get("Arn").asText(),
        m.get("KeyId").asText(),
        instant(m.get("CreationDate")),
        m.path("Description").asText(""),
        m.path("KeyState").asText(""),
        m.path("KeySpec").asText("SYMMETRIC_DEFAULT"),
        m.path("KeyUsage").asText("ENCRYPT_DECRYPT"));
  }

  private static Instant instant(JsonNode n) {
    if (n == null || !n.isNumber()) {
      return null;
    }
    double seconds = n.asDouble();
    return Instant.ofEpochMilli((long) (seconds * 1000));
  }

  static byte[] binary(ObjectNode out, String field) {
    JsonNode n = out.get(field);
    if (n == null || n.isNull()) {
      throw new KmsException(ErrorType.INTERNAL, "the daemon's answer has no " + field);
    }
    try {
      return Json.bytes(n);
    } catch (IllegalArgumentException e) {
      throw new KmsException(ErrorType.INTERNAL, "the daemon's " + field + " is not base64");
    }
  }
}
