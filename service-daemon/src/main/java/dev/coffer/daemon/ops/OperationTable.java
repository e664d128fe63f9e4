package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
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

  public void setAccessCheck(AccessCheck check) {
    this.accessCheck = check;
  }

  void register(String operation, Set<String> parameters, Handler handler) {
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
          "operation '" + operation + "' does not exist; `coffer --help` lists the operations");
    }
    Input validated = new Input(input, e.parameters);
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
