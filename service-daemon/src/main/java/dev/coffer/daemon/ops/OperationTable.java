package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.WellFormedText;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The operations the daemon serves, by AWS name, each with the parameters it accepts. */
public final class OperationTable {

  private record Entry(Set<String> parameters, Handler handler, boolean socketOnly) {}

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
    add(operation, parameters, handler, false);
  }

  /**
   * Registers one of Coffer's own operations ({@code ApiConstraints.COFFER_ONLY}) that another
   * package serves, such as usage accounting's {@code GetUsage}.
   */
  public void registerExtension(String operation, Set<String> parameters, Handler handler) {
    if (!ApiConstraints.COFFER_ONLY.contains(operation)) {
      throw new IllegalStateException(operation + " is not one of Coffer's own operations");
    }
    add(operation, parameters, handler, false);
  }

  /**
   * Registers an operation only the Unix socket may serve (access-key administration): {@link
   * #isSocketOnly} tells another transport to refuse it, and {@link #dispatch} refuses it to any
   * caller that is not a {@link UnixPeer} in any case.
   */
  void registerSocketOnly(String operation, Set<String> parameters, Handler handler) {
    add(operation, parameters, handler, true);
  }

  private void add(String operation, Set<String> parameters, Handler handler,
      boolean socketOnly) {
    if (ApiConstraints.of(operation) == null && !ApiConstraints.COFFER_ONLY.contains(operation)) {
      throw new IllegalStateException(operation + " has no entry in ApiConstraints");
    }
    if (entries.put(operation, new Entry(parameters, handler, socketOnly)) != null) {
      throw new IllegalStateException(operation + " registered twice");
    }
  }

  /**
   * True for an operation served only over the Unix socket; a door for other identities (HTTPS)
   * answers it as an operation it does not serve.
   */
  public boolean isSocketOnly(String operation) {
    Entry e = entries.get(operation);
    return e != null && e.socketOnly;
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
    if (e.socketOnly && !(caller.identity() instanceof UnixPeer)) {
      throw new KmsException(ErrorType.ACCESS_DENIED, operation + " is served only on the"
          + " daemon's Unix socket, to its administrators; run coffer on the daemon's host");
    }
    refuseUnimplementedMembers(operation, input, e.parameters);
    Input validated = new Input(input, e.parameters);
    // The API reference's constraints come first, as in AWS: before existence, state or access.
    Constraints.check(operation, validated);
    validated.forListing(operation, markerKey);
    accessCheck.authorize(operation, caller, validated);
    return e.handler.handle(caller, validated);
  }

  /**
   * Refuses members the KMS model defines for {@code operation} but Coffer does not implement
   * (e.g. {@code Recipient}, Nitro attestation): {@code UnsupportedOperationException} naming
   * them. Newer SDKs send such members, and ignoring {@code Recipient} would hand plaintext to a
   * caller that asked for {@code CiphertextForRecipient}; a member the model does not know stays a
   * {@code ValidationException} ({@link Input}).
   */
  private static void refuseUnimplementedMembers(String operation, ObjectNode input,
      Set<String> implemented) {
    Constraints.Operation model = ApiConstraints.of(operation);
    if (model == null || input == null) {
      return;
    }
    for (Constraints.Field f : model.fields()) {
      if (input.has(f.name()) && !implemented.contains(f.name())) {
        throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, f.name() + " is not supported"
            + " by Coffer's " + operation + "; send the request without it"
            + " (docs/https-endpoint.md lists what is not implemented)");
      }
    }
  }

  /** Refuses a parameter Coffer recognises but does not implement, rather than ignoring it. */
  static void refuseIfPresent(Input in, String field, String why) {
    if (in.has(field)) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, field + " is not supported: " + why);
    }
  }
}
