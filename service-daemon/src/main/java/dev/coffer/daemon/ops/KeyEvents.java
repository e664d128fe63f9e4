package dev.coffer.daemon.ops;

import java.util.UUID;

/**
 * What the daemon does to a key on its own, or as a side effect worth its own record: a key
 * deleted at the end of its window, rotated on schedule, imported material expired or erased.
 * The daemon records these as audit service events.
 */
@FunctionalInterface
public interface KeyEvents {
  void record(String eventName, UUID keyId);

  KeyEvents NONE = (name, id) -> { };
}
