package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.accesskey.AccessKey;
import dev.coffer.daemon.accesskey.AccessKeyCredential;
import dev.coffer.daemon.accesskey.AccessKeyStore;
import dev.coffer.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Coffer's access-key administration, in IAM's names and shapes ({@code CreateAccessKey}, {@code
 * ListAccessKeys}, {@code UpdateAccessKey}, {@code DeleteAccessKey}; IAM API reference). Not KMS
 * operations: registered {@linkplain OperationTable#isSocketOnly socket-only}, so only a Unix
 * peer can reach them, and authorized as account-level operations, so only the administrators
 * ({@code admins}) may call them. Each change commits with its audit record; the secret never
 * reaches the audit log (see {@code AuditRecords}).
 */
final class AccessKeyOperations {

  private final AccessKeyStore store;

  AccessKeyOperations(AccessKeyStore store) {
    this.store = store;
  }

  void register(OperationTable table) {
    table.registerSocketOnly("CreateAccessKey", Set.of("UserName"), this::create);
    table.registerSocketOnly("ListAccessKeys", Set.of("UserName", "Marker", "MaxItems"),
        this::list);
    table.registerSocketOnly("UpdateAccessKey", Set.of("UserName", "AccessKeyId", "Status"),
        this::update);
    table.registerSocketOnly("DeleteAccessKey", Set.of("UserName", "AccessKeyId"),
        this::delete);
  }

  /** {@code {"AccessKey": {UserName, AccessKeyId, Status, SecretAccessKey, CreateDate}}}. */
  private ObjectNode create(Caller caller, Input in) {
    try (AccessKeyCredential c = store.create(in.requiredString("UserName"))) {
      ObjectNode key = metadata(Json.object(), c.key());
      // The one time the secret leaves the daemon; the response bytes are zeroed once sent.
      key.put("SecretAccessKey", new String(c.secret(), StandardCharsets.US_ASCII));
      ObjectNode out = Json.object();
      out.set("AccessKey", key);
      return out;
    }
  }

  /** {@code {"AccessKeyMetadata": [...], "IsTruncated": bool, "Marker": "..."}}, as IAM. */
  private ObjectNode list(Caller caller, Input in) {
    List<AccessKey> keys = store.list(in.string("UserName"));
    ObjectNode page = Json.object();
    Paging.page(keys, AccessKey::accessKeyId, k -> metadata(Json.object(), k), in, "MaxItems",
        100, 1000, "AccessKeyMetadata", page, Paging.PAGE_BUDGET_BYTES);
    ObjectNode out = Json.object();
    out.set("AccessKeyMetadata", page.get("AccessKeyMetadata"));
    out.put("IsTruncated", page.get("Truncated").asBoolean());
    if (page.has("NextMarker")) {
      out.put("Marker", page.get("NextMarker").asText());
    }
    return out;
  }

  private ObjectNode update(Caller caller, Input in) {
    store.update(in.requiredString("AccessKeyId"), in.string("UserName"),
        AccessKey.Status.valueOf(in.requiredString("Status")));
    return Json.object();
  }

  private ObjectNode delete(Caller caller, Input in) {
    store.delete(in.requiredString("AccessKeyId"), in.string("UserName"));
    return Json.object();
  }

  private static ObjectNode metadata(ObjectNode o, AccessKey k) {
    o.put("UserName", k.userName());
    o.put("AccessKeyId", k.accessKeyId());
    o.put("Status", k.status().name());
    o.put("CreateDate", Responses.epochSeconds(k.created()));
    return o;
  }
}
