package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.protocol.Json;
import java.time.Instant;
import java.util.Map;

/** AWS KMS response shapes. Timestamps are epoch seconds, as in the AWS JSON protocol. */
final class Responses {
  private Responses() {}

  static double epochSeconds(Instant t) {
    return t.toEpochMilli() / 1000.0;
  }

  static ObjectNode keyMetadata(KeyRecord k, KeyResolver resolver, String account) {
    ObjectNode m = Json.object();
    m.put("AWSAccountId", account);
    m.put("KeyId", k.id().toString());
    m.put("Arn", resolver.keyArn(k.id()));
    m.put("CreationDate", epochSeconds(k.creationDate()));
    m.put("Enabled", k.state() == KeyState.Enabled);
    m.put("Description", k.description());
    m.put("KeyUsage", k.keyUsage());
    m.put("KeyState", k.state().name());
    if (k.deletionDate() != null) {
      m.put("DeletionDate", epochSeconds(k.deletionDate()));
    }
    m.put("Origin", k.origin());
    if (k.inCustomKeyStore()) {
      m.put("CustomKeyStoreId", k.keyStore());
    }
    if (k.expirationModel() != null) {
      m.put("ExpirationModel", k.expirationModel());
    }
    if (k.validTo() != null) {
      m.put("ValidTo", epochSeconds(k.validTo()));
    }
    m.put("KeyManager", "CUSTOMER");
    m.put("CustomerMasterKeySpec", k.keySpec());
    m.put("KeySpec", k.keySpec());
    m.put("MultiRegion", false);
    return m;
  }

  static ArrayNode tags(Map<String, String> tags) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    tags.forEach((k, v) -> a.addObject().put("TagKey", k).put("TagValue", v));
    return a;
  }
}
