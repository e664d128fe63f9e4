package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.WellFormedText;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The operations the daemon serves, by AWS name, each with the parameters it accepts. */
public final class OperationTable {

  private record Entry(Set<String> parameters, Handler handler) {}

  private final Map<String, Entry> entries = new TreeMap<>();
  private volatile AccessCheck accessCheck = (op, caller, input) -> { };

  /** Decides whether a caller may make a request, before the operation runs. */
  @FunctionalInterface
  public interface AccessCheck {
    void authorize(String operation, Caller caller, Input input);
  }

  // Until the daemon sets the key derived from its root key: a random one (markers then last
  // as long as this table).
  private volatile Paging.MarkerKey markerKey = new Paging.MarkerKey(randomKey());

  private static byte[] randomKey() {
    byte[] k = new byte[32];
    new java.security.SecureRandom().nextBytes(k);
    return k;
  }

  /** The key that authenticates paging markers (see {@link Paging}). */
  void setMarkerKey(Paging.MarkerKey key) {
    this.markerKey = key;
  }

  public void setAccessCheck(AccessCheck check) {
    this.accessCheck = check;
  }

  void register(String operation, Set<String> parameters, Handler handler) {
    if (ApiConstraints.of(operation) == null && !ApiConstraints.COFFER_ONLY.contains(operation)) {
      throw new IllegalStateException(operation + " has no entry in ApiConstraints");
    }
    if (entries.put(operation, new Entry(parameters, handler)) != null) {
      throw new IllegalStateException(operation + " registered twice");
    }
  }

  public Set<String> operations() {
    return entries.keySet();
  }

  /** Runs one request. */
  public ObjectNode dispatch(String operation, Caller caller, ObjectNode input) {
    Entry e = entries.get(operation);
    if (e == null) {
      throw new KmsException(
          "UnknownOperationException",
          "operation " + WellFormedText.shown(operation)
              + " does not exist; `coffer --help` lists the operations");
    }
    Input validated = new Input(input, e.parameters);
    // The API reference's constraints come first, as in AWS: before existence, state or access.
    Constraints.check(operation, validated);
    validated.forListing(operation, markerKey);
    accessCheck.authorize(operation, caller, validated);
    return e.handler.handle(caller, validated);
  }

  /** Refuses a parameter Coffer recognises but does not implement, rather than ignoring it. */
  static void refuseIfPresent(Input in, String field, String why) {
    if (in.has(field)) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, field + " is not supported: " + why);
    }
  }
}
