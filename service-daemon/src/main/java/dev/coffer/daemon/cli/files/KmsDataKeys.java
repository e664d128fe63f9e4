package dev.coffer.daemon.cli.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.esdk.DataKeyProvider;
import dev.coffer.esdk.EncryptedDataKey;
import dev.coffer.esdk.EncryptionContext;
import dev.coffer.protocol.DaemonClient;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Data keys from the daemon, requested as the Encryption SDK's AWS KMS keyring requests them
 * from AWS KMS (ESDK spec, framework/aws-kms/aws-kms-keyring.md): {@code GenerateDataKey} with
 * {@code NumberOfBytes} 32 and the header's whole encryption context, an entry with provider ID
 * "aws-kms" and the key ARN the daemon answered; {@code Decrypt} of an "aws-kms" entry with its
 * ARN as {@code KeyId} and the header's context, whose answer must name that same ARN.
 */
public final class KmsDataKeys implements DataKeyProvider {

  /** A daemon call that failed: the operation and the AWS exception it answered. */
  public static final class CallFailed extends Exception {
    public final String operation;
    public final KmsException error;

    CallFailed(String operation, KmsException error) {
      super(error.getMessage(), error);
      this.operation = operation;
      this.error = error;
    }
  }

  private final DaemonClient client;
  private final String keyId;

  /**
   * @param keyId for encryption the key to use (id, ARN or alias); for decryption null to try
   *     every "aws-kms" entry, or the key ARN the entry must name
   */
  public KmsDataKeys(DaemonClient client, String keyId) {
    this.client = client;
    this.keyId = keyId;
  }

  @Override
  public DataKey generate(EncryptionContext context) throws CallFailed {
    ObjectNode req = Json.object();
    req.put("KeyId", keyId);
    req.put("NumberOfBytes", 32);
    req.set("EncryptionContext", contextJson(context));
    ObjectNode resp = call("GenerateDataKey", req);
    return new DataKey(Json.bytes(resp.get("Plaintext")), EncryptedDataKey.awsKms(
        resp.get("KeyId").asText(), Json.bytes(resp.get("CiphertextBlob"))));
  }

  @Override
  public byte[] decrypt(List<EncryptedDataKey> keys, EncryptionContext context)
      throws CallFailed, NoUsableKeyException {
    List<String> arns = new ArrayList<>();
    CallFailed last = null;
    for (EncryptedDataKey k : keys) {
      if (!k.providerId().equals(EncryptedDataKey.AWS_KMS)) {
        continue;
      }
      String arn = k.providerInfoText();
      arns.add(arn);
      if (keyId != null && !keyId.equals(arn)) {
        continue;
      }
      ObjectNode req = Json.object();
      req.put("CiphertextBlob", Base64.getEncoder().encodeToString(k.ciphertext()));
      req.put("KeyId", arn);
      req.set("EncryptionContext", contextJson(context));
      try {
        ObjectNode resp = call("Decrypt", req);
        if (!arn.equals(resp.path("KeyId").asText())) {
          // The keyring's rule: the key that decrypted must be the key the entry names.
          throw new NoUsableKeyException("the daemon decrypted the data key for " + arn
              + " with another key, " + resp.path("KeyId").asText());
        }
        return Json.bytes(resp.get("Plaintext"));
      } catch (CallFailed e) {
        last = e;
      }
    }
    if (last != null) {
      throw last;
    }
    throw new NoUsableKeyException(arns.isEmpty()
        ? "the message has no aws-kms encrypted data key; it was not written for a KMS key"
        : "the message's data key is encrypted under " + arns + ", not under --key-id "
            + keyId);
  }

  /** No header entry this provider may use. */
  public static final class NoUsableKeyException extends Exception {
    NoUsableKeyException(String message) {
      super(message);
    }
  }

  private ObjectNode call(String operation, ObjectNode req) throws CallFailed {
    try {
      return client.call(operation, req);
    } catch (KmsException e) {
      throw new CallFailed(operation, e);
    }
  }

  private static ObjectNode contextJson(EncryptionContext context) {
    ObjectNode o = Json.object();
    for (Map.Entry<String, String> e : context.asMap().entrySet()) {
      o.put(e.getKey(), e.getValue());
    }
    return o;
  }
}
