package dev.coffer.daemon.keys;

import dev.coffer.daemon.storage.Database.StoredVersion;
import java.util.List;

/** A key after a material change, and the stored versions the key stores must destroy. */
public record MaterialResult(KeyRecord key, List<StoredVersion> destroyed) {}
