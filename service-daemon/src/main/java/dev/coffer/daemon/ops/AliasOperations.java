package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.keys.AliasRecord;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code CreateAlias}, {@code UpdateAlias}, {@code DeleteAlias}, {@code ListAliases}: at most
 * {@value #MAX_ALIASES_PER_KEY} aliases per key, none on a key pending deletion (AWS KMS API
 * reference, CreateAlias). The database decides between nodes that create one name at once.
 */
final class AliasOperations {

  static final int MAX_ALIASES_PER_KEY = 50;

  private final KeyRegistry registry;
  private final KeyResolver resolver;
  private final Clock clock;

  AliasOperations(KeyRegistry registry, KeyResolver resolver, Clock clock) {
    this.registry = registry;
    this.resolver = resolver;
    this.clock = clock;
  }

  void register(OperationTable table) {
    table.register(Operation.CREATE_ALIAS, Set.of("AliasName", "TargetKeyId"), this::createAlias);
    table.register(Operation.UPDATE_ALIAS, Set.of("AliasName", "TargetKeyId"), this::updateAlias);
    table.register(Operation.DELETE_ALIAS, Set.of("AliasName"), this::deleteAlias);
    table.register(Operation.LIST_ALIASES, Set.of("KeyId", "Limit", "Marker"), this::listAliases);
  }

  private ObjectNode createAlias(Caller caller, Input in) {
    String name = in.requiredString("AliasName");
    KeyRecord target = resolver.resolveKeyOnly(in.requiredString("TargetKeyId"));
    Instant now = clock.instant();
    if (registry.alias(name) != null) { // known here already; the database decides the rest
      throw new KmsException(ErrorType.ALREADY_EXISTS,
          "alias " + name + " already exists; use update-alias to point it at another key");
    }
    registry.createAlias(new AliasRecord(name, target.id(), now, now), this::checkAliasTarget);
    return Json.object();
  }

  private ObjectNode updateAlias(Caller caller, Input in) {
    String name = in.requiredString("AliasName");
    KeyRecord target = resolver.resolveKeyOnly(in.requiredString("TargetKeyId"));
    Instant now = clock.instant();
    registry.updateAlias(name, existing -> existing.retarget(target.id(), now),
        (stored, aliases) -> KeyStateRules.requireNotPendingDeletion(stored));
    return Json.object();
  }

  /** CreateAlias's checks of its target, on the stored target and its stored aliases. */
  private void checkAliasTarget(KeyRecord target, List<AliasRecord> aliases) {
    KeyStateRules.requireNotPendingDeletion(target);
    if (aliases.size() >= MAX_ALIASES_PER_KEY) {
      throw new KmsException(ErrorType.LIMIT_EXCEEDED,
          "key " + target.id() + " already has " + MAX_ALIASES_PER_KEY + " aliases; delete"
              + " one first");
    }
  }

  private ObjectNode deleteAlias(Caller caller, Input in) {
    String name = in.requiredString("AliasName");
    registry.deleteAlias(name);
    return Json.object();
  }

  private ObjectNode listAliases(Caller caller, Input in) {
    List<AliasRecord> all = registry.aliases();
    if (in.has("KeyId")) {
      UUID id = resolver.resolveKeyOnly(in.requiredString("KeyId")).id();
      all = all.stream().filter(a -> a.targetKeyId().equals(id)).toList();
    }
    ObjectNode out = Json.object();
    Paging.page(all, AliasRecord::name, a -> Json.object()
        .put("AliasName", a.name())
        .put("AliasArn", resolver.aliasArn(a.name()))
        .put("TargetKeyId", a.targetKeyId().toString())
        .put("CreationDate", Responses.epochSeconds(a.creationDate()))
        .put("LastUpdatedDate", Responses.epochSeconds(a.lastUpdatedDate())),
        in, 100, 100, "Aliases", out);
    return out;
  }
}
