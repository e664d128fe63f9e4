package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.asymmetric.AsymmetricKeys;
import dev.coffer.daemon.asymmetric.KeyPairs;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.asymmetric.MacAlgorithm;
import dev.coffer.daemon.asymmetric.SigningAlgorithm;
import dev.coffer.daemon.asymmetric.Signatures;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.security.MessageDigest;
import java.util.Set;

/**
 * {@code Sign}, {@code Verify}, {@code GenerateMac}, {@code VerifyMac} and {@code GetPublicKey}
 * on asymmetric and HMAC KMS keys, with AWS semantics (KMS API reference): the key's usage must
 * match the operation ({@code InvalidKeyUsageException}), the algorithm must be one the key spec
 * allows, a {@code DIGEST} message must be exactly the algorithm's digest length, and a failed
 * verification is {@code KMSInvalidSignatureException} / {@code KMSInvalidMacException} (never
 * a {@code false} in a successful answer).
 */
final class SigningOperations {

  private static final Set<String> CRYPTO = Set.of("KeyId", "GrantTokens", "DryRun");

  private final KeyResolver resolver;
  private final AsymmetricKeys keys;

  SigningOperations(KeyResolver resolver, AsymmetricKeys keys) {
    this.resolver = resolver;
    this.keys = keys;
  }

  void register(OperationTable table) {
    table.register(Operation.SIGN, union("Message", "MessageType", "SigningAlgorithm"),
        this::sign);
    table.register(Operation.VERIFY, union("Message", "MessageType", "Signature",
        "SigningAlgorithm"), this::verify);
    table.register(Operation.GENERATE_MAC, union("Message", "MacAlgorithm"), this::generateMac);
    table.register(Operation.VERIFY_MAC, union("Message", "MacAlgorithm", "Mac"),
        this::verifyMac);
    table.register(Operation.GET_PUBLIC_KEY, Set.of("KeyId", "GrantTokens"), this::getPublicKey);
  }

  private static Set<String> union(String... more) {
    Set<String> s = new java.util.HashSet<>(CRYPTO);
    s.addAll(java.util.List.of(more));
    return Set.copyOf(s);
  }

  // ---------------------------------------------------------------- signatures

  private ObjectNode sign(Caller caller, Input in) {
    KeyRecord k = keyWithUsage(in.requiredString("KeyId"), KmsKeySpec.SIGN_VERIFY, "Sign");
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    SigningAlgorithm alg = SigningAlgorithm.forKey(in.requiredString("SigningAlgorithm"), spec);
    byte[] digest = caller.secret(digestOf(caller, in, alg));
    byte[] signature = Signatures.sign(keys.privateKey(k), alg, digest, KeyPairs.provider(spec),
        keys.random());
    in.stopIfDryRun();
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("Signature", signature);
    out.put("SigningAlgorithm", alg.name());
    return out;
  }

  private ObjectNode verify(Caller caller, Input in) {
    KeyRecord k = keyWithUsage(in.requiredString("KeyId"), KmsKeySpec.SIGN_VERIFY, "Verify");
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    SigningAlgorithm alg = SigningAlgorithm.forKey(in.requiredString("SigningAlgorithm"), spec);
    byte[] digest = caller.secret(digestOf(caller, in, alg));
    byte[] signature = in.requiredBlob("Signature");
    boolean valid = Signatures.verify(keys.publicKey(k), alg, digest, signature,
        KeyPairs.provider(spec));
    if (!valid) {
      throw new KmsException(ErrorType.KMS_INVALID_SIGNATURE, "the signature is not a valid "
          + alg + " signature of this message under key " + k.id() + "; check the message,"
          + " MessageType, SigningAlgorithm and key");
    }
    in.stopIfDryRun();
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("SignatureValid", true);
    out.put("SigningAlgorithm", alg.name());
    return out;
  }

  /**
   * The digest to sign: {@code RAW} (the default) digests the message (1-4096 bytes, an API
   * constraint); {@code DIGEST} takes it as the digest, which must be exactly as long as the
   * algorithm's (KMS API reference, Sign: "MessageType").
   */
  private static byte[] digestOf(Caller caller, Input in, SigningAlgorithm alg) {
    byte[] message = caller.secret(in.requiredBlob("Message"));
    String type = in.string("MessageType");
    if (type == null || type.equals("RAW")) {
      return alg.digest().digest(message);
    }
    if (type.equals("DIGEST")) {
      if (message.length != alg.digest().length()) {
        throw new KmsException(ErrorType.VALIDATION, "Message is " + message.length + " bytes,"
            + " but a " + alg + " DIGEST message must be the " + alg.digest().length() + "-byte "
            + alg.digest().jcaName() + " digest; send the digest, or the message with"
            + " MessageType RAW");
      }
      return message.clone();
    }
    throw new KmsException(ErrorType.VALIDATION, "MessageType " + type + " applies only to"
        + " ML_DSA keys, which Coffer does not support; use RAW or DIGEST");
  }

  // ---------------------------------------------------------------- MACs

  private ObjectNode generateMac(Caller caller, Input in) {
    KeyRecord k = keyWithUsage(in.requiredString("KeyId"), KmsKeySpec.GENERATE_VERIFY_MAC,
        "GenerateMac");
    MacAlgorithm alg = MacAlgorithm.forKey(in.requiredString("MacAlgorithm"),
        KmsKeySpec.ofStored(k.keySpec()));
    byte[] mac = keys.mac(k, alg, caller.secret(in.requiredBlob("Message")));
    in.stopIfDryRun();
    ObjectNode out = Json.object();
    out.put("Mac", mac);
    out.put("MacAlgorithm", alg.name());
    out.put("KeyId", resolver.keyArn(k.id()));
    return out;
  }

  private ObjectNode verifyMac(Caller caller, Input in) {
    KeyRecord k = keyWithUsage(in.requiredString("KeyId"), KmsKeySpec.GENERATE_VERIFY_MAC,
        "VerifyMac");
    MacAlgorithm alg = MacAlgorithm.forKey(in.requiredString("MacAlgorithm"),
        KmsKeySpec.ofStored(k.keySpec()));
    byte[] expected = caller.secret(keys.mac(k, alg, caller.secret(in.requiredBlob("Message"))));
    byte[] given = in.requiredBlob("Mac");
    // MessageDigest.isEqual compares in time independent of where the MACs differ.
    if (!MessageDigest.isEqual(expected, given)) {
      throw new KmsException(ErrorType.KMS_INVALID_MAC, "the MAC is not the " + alg + " of this"
          + " message under key " + k.id() + "; check the message, MacAlgorithm and key");
    }
    in.stopIfDryRun();
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("MacValid", true);
    out.put("MacAlgorithm", alg.name());
    return out;
  }

  // ---------------------------------------------------------------- public keys

  private ObjectNode getPublicKey(Caller caller, Input in) {
    KeyRecord k = KeyStateRules.requireUsable(resolver.resolve(in.requiredString("KeyId")));
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    if (!spec.isAsymmetric()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "key " + k.id() + " is a "
          + spec + " key, which has no public key; GetPublicKey takes an RSA or ECC key");
    }
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("PublicKey", keys.publicKeyDer(k));
    out.put("CustomerMasterKeySpec", spec.name());
    out.put("KeySpec", spec.name());
    out.put("KeyUsage", k.keyUsage());
    putAlgorithms(out, k);
    return out;
  }

  /**
   * The algorithm lists {@code DescribeKey} and {@code GetPublicKey} report for a key: {@code
   * EncryptionAlgorithms} for ENCRYPT_DECRYPT keys, {@code SigningAlgorithms} for SIGN_VERIFY
   * keys, {@code MacAlgorithms} for GENERATE_VERIFY_MAC keys.
   */
  static void putAlgorithms(ObjectNode out, KeyRecord k) {
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    switch (k.keyUsage()) {
      case KmsKeySpec.ENCRYPT_DECRYPT -> {
        ArrayNode a = out.putArray("EncryptionAlgorithms");
        spec.encryptionAlgorithms().forEach(a::add);
      }
      case KmsKeySpec.SIGN_VERIFY -> {
        ArrayNode a = out.putArray("SigningAlgorithms");
        spec.signingAlgorithms().forEach(s -> a.add(s.name()));
      }
      case KmsKeySpec.GENERATE_VERIFY_MAC ->
          out.putArray("MacAlgorithms").add(spec.macAlgorithm().name());
      default -> { }
    }
  }

  /**
   * The usable key {@code ref} names, if its usage is {@code usage}; {@code
   * InvalidKeyUsageException} otherwise (AWS: "the request was rejected because the specified
   * KeySpec/KeyUsage is not valid for this operation").
   */
  private KeyRecord keyWithUsage(String ref, String usage, String operation) {
    KeyRecord k = KeyStateRules.requireUsable(resolver.resolve(ref));
    if (!usage.equals(k.keyUsage())) {
      throw new KmsException(ErrorType.INVALID_KEY_USAGE, "key " + k.id() + " has KeyUsage "
          + k.keyUsage() + " (KeySpec " + k.keySpec() + "); " + operation + " needs a key with"
          + " KeyUsage " + usage);
    }
    return k;
  }
}
