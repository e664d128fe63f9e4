package dev.coffer.daemon.keys;

import dev.coffer.protocol.KmsException;
import java.util.List;

/**
 * Plans a {@link MaterialChange} from the current record and materials (ordered by version);
 * may refuse by throwing a {@link KmsException}, or return null for no change.
 */
@FunctionalInterface
public interface MaterialPlanner {
  MaterialChange plan(KeyRecord current, List<KeyMaterial> materials);
}
