package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code TagResource}, {@code UntagResource}, {@code ListResourceTags}, and the tag rules
 * {@code CreateKey --tags} shares: at most {@value #MAX_TAGS} tags per key, no key twice in
 * one request, no reserved prefix (AWS KMS API reference, TagResource: {@code TagException}).
 */
final class TagOperations {

  static final int MAX_TAGS = 50;

  private final KeyRegistry registry;
  private final KeyResolver resolver;

  TagOperations(KeyRegistry registry, KeyResolver resolver) {
    this.registry = registry;
    this.resolver = resolver;
  }

  void register(OperationTable table) {
    table.register(Operation.TAG_RESOURCE, Set.of("KeyId", "Tags"), this::tagResource);
    table.register(Operation.UNTAG_RESOURCE, Set.of("KeyId", "TagKeys"), this::untagResource);
    table.register(Operation.LIST_RESOURCE_TAGS, Set.of("KeyId", "Limit", "Marker"),
        this::listResourceTags);
  }

  private ObjectNode tagResource(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    List<Map.Entry<String, String>> tags = in.tags("Tags");
    if (tags.isEmpty()) {
      throw Input.invalid("Tags", "is required (at least one tag)");
    }
    registry.update(
        k.id(),
        cur -> {
          TreeMap<String, String> next = new TreeMap<>(KeyStateRules.requireNotPendingDeletion(cur).tags());
          addTags(next, tags);
          return cur.toBuilder().tags(next).build();
        });
    return Json.object();
  }

  private ObjectNode untagResource(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    List<String> keys = in.stringList("TagKeys");
    if (keys.isEmpty()) {
      throw Input.invalid("TagKeys", "is required (at least one tag key)");
    }
    registry.update(
        k.id(),
        cur -> {
          TreeMap<String, String> next = new TreeMap<>(KeyStateRules.requireNotPendingDeletion(cur).tags());
          keys.forEach(next::remove);
          return cur.toBuilder().tags(next).build();
        });
    return Json.object();
  }

  private ObjectNode listResourceTags(Caller caller, Input in) {
    KeyRecord k = resolver.resolveKeyOnly(in.requiredString("KeyId"));
    ObjectNode out = Json.object();
    Paging.page(new ArrayList<>(k.tags().entrySet()), Map.Entry::getKey,
        t -> Json.object().put("TagKey", t.getKey()).put("TagValue", t.getValue()),
        in, 50, 50, "Tags", out);
    return out;
  }

  /** Adds {@code tags} to {@code into}, refusing what AWS refuses with TagException. */
  static void addTags(TreeMap<String, String> into, List<Map.Entry<String, String>> tags) {
    HashSet<String> seen = new HashSet<>();
    for (Map.Entry<String, String> t : tags) {
      String key = t.getKey();
      if (!seen.add(key)) {
        throw new KmsException(ErrorType.TAG, "tag key '" + key + "' appears twice in one request");
      }
      // Lengths (1-128 and 0-256 Unicode characters) are API constraints, checked first.
      if (isReservedTagKey(key)) {
        throw new KmsException(ErrorType.TAG, "tag key '" + key + "' is reserved: keys beginning"
            + " aws: or coffer: (in any case) belong to the service; choose another key");
      }
      into.put(key, t.getValue());
    }
    if (into.size() > MAX_TAGS) {
      throw new KmsException(ErrorType.TAG,
          "a key can have at most " + MAX_TAGS + " tags; untag some first");
    }
  }

  /** AWS reserves the {@code aws:} prefix case-insensitively; Coffer reserves {@code coffer:}. */
  static boolean isReservedTagKey(String key) {
    return key.regionMatches(true, 0, "aws:", 0, 4) || key.regionMatches(true, 0, "coffer:", 0, 7);
  }
}
