package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.asymmetric.KeyPairs;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.crypto.EncryptionContext;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Set;

/**
 * {@code GenerateDataKeyPair} and {@code GenerateDataKeyPairWithoutPlaintext} (KMS API
 * reference): a fresh RSA or ECC key pair for use outside KMS, its private key (PKCS#8 DER)
 * encrypted under a symmetric KMS key as an ordinary ciphertext (so {@code Decrypt} returns it),
 * its public key as DER SubjectPublicKeyInfo. Only {@code GenerateDataKeyPair} returns the
 * plaintext private key, to a caller the key policy or a grant allows {@code
 * kms:GenerateDataKeyPair}; it is zeroed with the request's other secrets.
 */
final class DataKeyPairOperations {

  private final SymmetricCryptoOperations crypto;
  private final KeyResolver resolver;
  private final SecureRandom random;

  DataKeyPairOperations(SymmetricCryptoOperations crypto, KeyResolver resolver,
      SecureRandom random) {
    this.crypto = crypto;
    this.resolver = resolver;
    this.random = random;
  }

  void register(OperationTable table) {
    Set<String> params = Set.of("KeyId", "KeyPairSpec", "EncryptionContext", "GrantTokens",
        "DryRun");
    table.register(Operation.GENERATE_DATA_KEY_PAIR, params, (c, in) -> generate(c, in, true));
    table.register(Operation.GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT, params,
        (c, in) -> generate(c, in, false));
  }

  private ObjectNode generate(Caller caller, Input in, boolean withPlaintext) {
    KeyRecord k = crypto.usableSymmetricKey(in.requiredString("KeyId"), withPlaintext
        ? Operation.GENERATE_DATA_KEY_PAIR : Operation.GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT);
    String specName = in.requiredString("KeyPairSpec");
    KmsKeySpec spec = pairSpec(specName);
    EncryptionContext ctx = Constraints.encryptionContext(in, "EncryptionContext");
    KeyPair pair = KeyPairs.generate(spec, random);
    byte[] privateKey = caller.secret(pair.getPrivate().getEncoded());
    byte[] blob = crypto.seal(k, privateKey, ctx);
    in.stopIfDryRun();
    ObjectNode out = Json.object();
    out.put("PrivateKeyCiphertextBlob", blob);
    if (withPlaintext) {
      out.put("PrivateKeyPlaintext", privateKey);
    }
    out.put("PublicKey", pair.getPublic().getEncoded());
    out.put("KeyId", resolver.keyArn(k.id()));
    out.put("KeyPairSpec", spec.name());
    crypto.putMaterialId(out, "KeyMaterialId", k, k.currentVersion());
    return out;
  }

  private static KmsKeySpec pairSpec(String name) {
    KmsKeySpec spec;
    try {
      spec = KmsKeySpec.of(name);
    } catch (KmsException e) {
      spec = null;
    }
    if (spec == null || !spec.isAsymmetric()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "KeyPairSpec " + name + " is not"
          + " supported by Coffer; use RSA_2048/3072/4096, ECC_NIST_P256/P384/P521 or"
          + " ECC_SECG_P256K1");
    }
    return spec;
  }
}
