package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.cluster.Announcer;
import dev.coffer.daemon.cluster.ChangeFeed.Topic;
import dev.coffer.daemon.cluster.KeyStoreConnections;
import dev.coffer.daemon.cluster.Reloaders;
import dev.coffer.daemon.cluster.KeyStoreConnections.ClusterState;
import dev.coffer.daemon.cluster.KeyStoreConnections.NodeConnection;
import dev.coffer.daemon.keys.BackingKeys;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyRegistry;
import dev.coffer.daemon.keys.KeyState;
import dev.coffer.daemon.keystore.RootKey;
import dev.coffer.daemon.keystore.pkcs11.ConnectionErrorCode;
import dev.coffer.daemon.keystore.pkcs11.Pkcs11Config;
import dev.coffer.daemon.keystore.pkcs11.Pkcs11KeyStore;
import dev.coffer.daemon.keystore.pkcs11.Pkcs11KeyStore.ConnectionState;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Custom key stores (AWS's CloudHSM key stores, here any PKCS#11 token through SunPKCS11):
 * {@code CreateCustomKeyStore}, {@code DescribeCustomKeyStores}, {@code UpdateCustomKeyStore},
 * {@code ConnectCustomKeyStore}, {@code DisconnectCustomKeyStore}, {@code DeleteCustomKeyStore}.
 *
 * <p>Security contract: the crypto-user PIN is kept only wrapped under the root key (AAD names
 * the store) and is unwrapped only to log in. Stores live in the {@code custom_key_stores}
 * table, owned here; stores the operator left connected are reconnected at start-up.
 *
 * <p>Key states: while a store is not {@code CONNECTED} on this node, reads of its keys here
 * show {@code Unavailable} (except keys pending deletion), computed from the connection state
 * rather than persisted, so reconnecting restores every key's own state.
 *
 * <p>Several nodes: each node opens its own session to the token and records its state in
 * {@link KeyStoreConnections}; {@code DescribeCustomKeyStores} reports the state across the
 * nodes that serve the store, and a node without a session refuses the store's keys naming
 * itself (docs/cluster.md, "Custom key stores").
 */
final class CustomKeyStoreOperations {

  static final String TYPE = "PKCS11";
  private static final int MAX_NAME = 256;

  private static final class Entry {
    volatile CustomKeyStoreRecord settings;
    final Pkcs11KeyStore store;

    Entry(CustomKeyStoreRecord settings, Pkcs11KeyStore store) {
      this.settings = settings;
      this.store = store;
    }
  }

  private final KeyRegistry registry;
  private final BackingKeys backingKeys;
  private final StorePins pins;
  private final Clock clock;
  private final SecureRandom random;
  private final Database db;
  private final KeyStoreConnections connections;
  private final Map<String, Entry> stores = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private volatile Announcer announcer = Announcer.NONE;

  CustomKeyStoreOperations(KeyRegistry registry, BackingKeys backingKeys, RootKey root,
      Clock clock, SecureRandom random, String nodeId) {
    this.registry = registry;
    this.backingKeys = backingKeys;
    this.pins = new StorePins(root);
    this.clock = clock;
    this.random = random;
    this.db = registry.database();
    this.connections = new KeyStoreConnections(db, nodeId, clock);
    List<CustomKeyStoreRecord> wanted = new ArrayList<>();
    for (CustomKeyStoresTable.Row row : db.read(tx -> CustomKeyStoresTable.all(tx.connection()))) {
      add(row.store());
      if (row.connectWanted()) {
        wanted.add(row.store());
      }
    }
    registry.setView(this::effective);
    for (CustomKeyStoreRecord st : wanted) {
      // This node reconnects what it serves; a home from before per-node rows (no node
      // serves the store yet) goes by the store's connect_wanted.
      if (connections.serves(st.id()) || !connections.anyServes(st.id())) {
        connect(stores.get(st.id()));
      }
    }
    Set<String> wantedIds = new HashSet<>();
    wanted.forEach(st -> wantedIds.add(st.id()));
    for (Entry e : stores.values()) {
      if (!wantedIds.contains(e.settings.id()) && connections.serves(e.settings.id())) {
        connect(e);
      }
    }
  }

  void register(OperationTable table) {
    table.register("CreateCustomKeyStore", Set.of("CustomKeyStoreName", "CustomKeyStoreType",
        "KeyStorePassword", "Pkcs11LibraryPath", "Pkcs11TokenLabel", "Pkcs11SlotListIndex",
        "CloudHsmClusterId", "TrustAnchorCertificate", "XksProxyUriEndpoint", "XksProxyUriPath",
        "XksProxyVpcEndpointServiceName", "XksProxyAuthenticationCredential",
        "XksProxyConnectivity"), this::create);
    table.register("DescribeCustomKeyStores", Set.of("CustomKeyStoreId", "CustomKeyStoreName",
        "Limit", "Marker"), this::describe);
    table.register("UpdateCustomKeyStore", Set.of("CustomKeyStoreId", "NewCustomKeyStoreName",
        "KeyStorePassword", "Pkcs11LibraryPath", "Pkcs11TokenLabel", "Pkcs11SlotListIndex",
        "CloudHsmClusterId", "XksProxyUriEndpoint", "XksProxyUriPath",
        "XksProxyVpcEndpointServiceName", "XksProxyAuthenticationCredential",
        "XksProxyConnectivity"), this::update);
    table.register("ConnectCustomKeyStore", Set.of("CustomKeyStoreId"), this::connectOp);
    table.register("DisconnectCustomKeyStore", Set.of("CustomKeyStoreId"), this::disconnectOp);
    table.register("DeleteCustomKeyStore", Set.of("CustomKeyStoreId"), this::delete);
  }

  // ------------------------------------------------------------ used by CreateKey and reads

  /** The connected store {@code CreateKey --custom-key-store-id} creates a key in. */
  Pkcs11KeyStore storeForNewKey(String id) {
    Entry e = entry(id);
    if (e.store.state() != ConnectionState.CONNECTED) {
      throw new KmsException("CustomKeyStoreInvalidStateException",
          "custom key store " + id + " is " + e.store.state() + " on node "
              + connections.nodeId() + "; keys can only be created in a store CONNECTED on the"
              + " node that answers (run connect-custom-key-store on node "
              + connections.nodeId() + ")");
    }
    return e.store;
  }

  /** {@code GenerateRandom --custom-key-store-id}: bytes from that store's token. */
  byte[] generateRandom(String id, int n) {
    Entry e = entry(id);
    if (e.store.state() != ConnectionState.CONNECTED) {
      throw new KmsException("CustomKeyStoreInvalidStateException",
          "custom key store " + id + " is " + e.store.state() + " on node "
              + connections.nodeId() + "; random bytes come from its token only while it is"
              + " CONNECTED (run connect-custom-key-store on node " + connections.nodeId() + ")");
    }
    return e.store.generateRandom(n);
  }

  /**
   * Encrypt, Decrypt, ReEncrypt, GenerateDataKey*: {@link KeyStateRules#requireUsable}, with a
   * key Unavailable because this node has no session to its store's token refused by the same
   * {@code KMSInvalidStateException} naming the node to connect.
   */
  KeyRecord requireUsable(KeyRecord k) {
    if (k.state() == KeyState.Unavailable && k.inCustomKeyStore()) {
      Entry e = stores.get(k.keyStore());
      String state = e == null ? "DISCONNECTED" : e.store.state().name();
      throw new KmsException(ErrorType.INVALID_STATE, "key " + k.id() + " is unavailable on"
          + " node " + connections.nodeId() + ": its custom key store " + k.keyStore() + " is "
          + state + " there; run connect-custom-key-store --custom-key-store-id "
          + k.keyStore() + " on node " + connections.nodeId());
    }
    return KeyStateRules.requireUsable(k);
  }

  /** A key as reads present it: Unavailable while its store is not connected. */
  private KeyRecord effective(KeyRecord k) {
    if (!k.inCustomKeyStore() || k.state() == KeyState.PendingDeletion) {
      return k;
    }
    Entry e = stores.get(k.keyStore());
    if (e != null && e.store.state() == ConnectionState.CONNECTED) {
      return k;
    }
    return k.toBuilder().state(KeyState.Unavailable).build();
  }

  // ------------------------------------------------------------ operations

  private ObjectNode create(Caller caller, Input in) {
    String type = in.string("CustomKeyStoreType");
    if (type != null && !type.equals(TYPE)) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "CustomKeyStoreType " + type
          + " is not supported; Coffer's custom key stores are PKCS11 tokens");
    }
    refuseAwsOnly(in);
    String name = name(in, "CustomKeyStoreName");
    Pkcs11Config config = config(in, null);
    char[] pin = pin(in);
    String id = newId();
    byte[] wrapped = pins.wrap(id, pin);
    Arrays.fill(pin, '\0');
    CustomKeyStoreRecord st = new CustomKeyStoreRecord(id, name, config, wrapped, clock.instant());
    synchronized (lock) {
      checkName(name, null);
      checkTokenFree(config, null);
      db.inTransaction(tx -> {
        CustomKeyStoresTable.insert(tx.connection(), st, TYPE);
        announcer.announce(tx, Topic.KEY_STORE, id);
        return null;
      });
      add(st);
    }
    ObjectNode out = Json.object();
    out.put("CustomKeyStoreId", id);
    return out;
  }

  private ObjectNode describe(Caller caller, Input in) {
    String id = in.string("CustomKeyStoreId");
    String name = in.string("CustomKeyStoreName");
    if (id != null && name != null) {
      throw Input.invalid("CustomKeyStoreId", "and CustomKeyStoreName cannot both be given");
    }
    List<Entry> all = new ArrayList<>(stores.values());
    all.sort(Comparator.comparing(e -> e.settings.id()));
    if (id != null) {
      all = List.of(entry(id));
    } else if (name != null) {
      all = all.stream().filter(e -> e.settings.name().equals(name)).toList();
      if (all.isEmpty()) {
        throw notFound("named " + name);
      }
    }
    ObjectNode out = Json.object();
    Paging.page(all, e -> e.settings.id(), this::storeJson, in, 100, 1000,
        "CustomKeyStores", out);
    return out;
  }

  private ObjectNode storeJson(Entry e) {
    CustomKeyStoreRecord st = e.settings;
    ObjectNode o = Json.object();
    o.put("CustomKeyStoreId", st.id());
    o.put("CustomKeyStoreName", st.name());
    o.put("CustomKeyStoreType", TYPE);
    ClusterState cluster = clusterState(e);
    o.put("ConnectionState", cluster.state());
    NodeConnection holdout = cluster.holdout();
    if (holdout != null && holdout.nodeId().equals(connections.nodeId())) {
      ConnectionErrorCode code = e.store.errorCode();
      if (code != null) {
        o.put("ConnectionErrorCode", code.name());
        o.put("ConnectionErrorMessage", "node " + holdout.nodeId() + ": "
            + e.store.errorMessage());
      }
    } else if (holdout != null && holdout.errorCode() != null) {
      o.put("ConnectionErrorCode", holdout.errorCode());
      o.put("ConnectionErrorMessage", "node " + holdout.nodeId() + " is " + holdout.state()
          + "; run connect-custom-key-store on node " + holdout.nodeId()
          + " (its own describe-custom-key-stores tells why)");
    }
    o.put("CreationDate", Responses.epochSeconds(st.created()));
    ObjectNode p = o.putObject("Pkcs11Configuration");
    p.put("LibraryPath", st.config().library());
    if (st.config().tokenLabel() != null) {
      p.put("TokenLabel", st.config().tokenLabel());
    } else {
      p.put("SlotListIndex", st.config().slotListIndex());
    }
    return o;
  }

  private ObjectNode update(Caller caller, Input in) {
    Entry e = entry(in.requiredString("CustomKeyStoreId"));
    refuseAwsOnly(in);
    String newName = in.has("NewCustomKeyStoreName") ? name(in, "NewCustomKeyStoreName") : null;
    boolean tokenChange = in.has("Pkcs11LibraryPath") || in.has("Pkcs11TokenLabel")
        || in.has("Pkcs11SlotListIndex");
    boolean pinChange = in.has("KeyStorePassword");
    if (newName == null && !tokenChange && !pinChange) {
      throw Input.invalid("NewCustomKeyStoreName",
          "KeyStorePassword or a Pkcs11* field is required: there is nothing to update");
    }
    synchronized (lock) {
      CustomKeyStoreRecord cur = e.settings;
      if (tokenChange || pinChange) {
        requireDisconnectedEverywhere(e, "changing its token or password");
      }
      Pkcs11Config config = tokenChange ? config(in, cur.config()) : cur.config();
      byte[] wrapped = cur.wrappedPin();
      if (pinChange) {
        char[] pin = pin(in);
        wrapped = pins.wrap(cur.id(), pin);
        Arrays.fill(pin, '\0');
      }
      String name = newName != null ? newName : cur.name();
      checkName(name, cur.id());
      if (tokenChange) {
        checkTokenFree(config, cur.id());
      }
      CustomKeyStoreRecord next = new CustomKeyStoreRecord(cur.id(), name, config, wrapped, cur.created());
      db.inTransaction(tx -> {
        CustomKeyStoresTable.update(tx.connection(), next);
        announcer.announce(tx, Topic.KEY_STORE, next.id());
        return null;
      });
      e.settings = next;
    }
    return Json.object();
  }

  private ObjectNode connectOp(Caller caller, Input in) {
    Entry e = entry(in.requiredString("CustomKeyStoreId"));
    setWanted(e.settings.id(), true);
    connect(e);
    return Json.object();
  }

  private ObjectNode disconnectOp(Caller caller, Input in) {
    Entry e = entry(in.requiredString("CustomKeyStoreId"));
    setWanted(e.settings.id(), false);
    e.store.disconnect();
    connections.forget(e.settings.id());
    return Json.object();
  }

  private ObjectNode delete(Caller caller, Input in) {
    Entry e = entry(in.requiredString("CustomKeyStoreId"));
    String id = e.settings.id();
    synchronized (lock) {
      requireDisconnectedEverywhere(e, "deleting it");
      long keys = registry.all().stream().filter(k -> id.equals(k.keyStore())).count();
      if (keys > 0) {
        throw new KmsException("CustomKeyStoreHasCMKsException",
            "custom key store " + id + " still holds " + keys + " KMS key(s); schedule them for"
                + " deletion and wait for the waiting period to end first");
      }
      db.inTransaction(tx -> {
        CustomKeyStoresTable.delete(tx.connection(), id);
        announcer.announce(tx, Topic.KEY_STORE, id);
        return null;
      });
      connections.forgetStore(id);
      stores.remove(id);
      backingKeys.unregister(id);
    }
    return Json.object();
  }

  // ------------------------------------------------------------ helpers

  /** The store's state across the nodes that serve it, this node's by its live connection. */
  private ClusterState clusterState(Entry e) {
    ConnectionErrorCode code = e.store.errorCode();
    return connections.clusterState(e.settings.id(), e.store.state().name(),
        code == null ? null : code.name());
  }

  /**
   * Refuses unless no node serves the store (every node that connected it has disconnected),
   * for changes a connected node's session would not follow.
   */
  private void requireDisconnectedEverywhere(Entry e, String what) {
    String id = e.settings.id();
    if (e.store.state() != ConnectionState.DISCONNECTED) {
      throw new KmsException("CustomKeyStoreInvalidStateException",
          "custom key store " + id + " is " + e.store.state() + " on node "
              + connections.nodeId() + "; disconnect it (disconnect-custom-key-store) before "
              + what);
    }
    List<NodeConnection> serving = connections.nodes(id);
    if (!serving.isEmpty()) {
      throw new KmsException("CustomKeyStoreInvalidStateException",
          "custom key store " + id + " is still served by node(s) " + serving.stream()
              .map(n -> n.nodeId() + " (" + n.state() + ")").toList() + "; run"
              + " disconnect-custom-key-store on each of them before " + what);
    }
  }

  /** Sets how this node's store changes are announced to other nodes (none on SQLite). */
  void setAnnouncer(Announcer a) {
    announcer = a;
  }

  /**
   * Registers the reload of one store's registration when another node created, renamed,
   * re-pointed or deleted it, and of every store after a lost feed. A node opens its own
   * session only when told to connect (docs/cluster.md, "Custom key stores").
   */
  void registerReloads(Reloaders r) {
    r.on(Topic.KEY_STORE, this::reload);
    r.onReloadAll(() -> {
      Set<String> ids = new HashSet<>(stores.keySet());
      db.read(tx -> CustomKeyStoresTable.all(tx.connection()))
          .forEach(row -> ids.add(row.store().id()));
      ids.forEach(this::reload);
    });
  }

  /** Reloads one store's registration from the database; a store no longer stored is closed. */
  void reload(String id) {
    CustomKeyStoreRecord st = db.read(tx -> CustomKeyStoresTable.find(tx.connection(), id));
    synchronized (lock) {
      Entry e = stores.get(id);
      if (st == null && e != null) {
        e.store.disconnect();
        stores.remove(id);
        backingKeys.unregister(id);
      } else if (st != null && e == null) {
        add(st);
      } else if (st != null) {
        e.settings = st;
      }
    }
  }

  private void add(CustomKeyStoreRecord st) {
    String id = st.id();
    Pkcs11KeyStore store = new Pkcs11KeyStore(id, () -> referencedLabels(id), random,
        Pkcs11KeyStore.DEFAULT_MAX_SESSIONS);
    stores.put(id, new Entry(st, store));
    backingKeys.register(store);
  }

  private void connect(Entry e) {
    CustomKeyStoreRecord st = e.settings;
    char[] pin = pins.unwrap(st);
    try {
      e.store.connect(st.config(), pin);
    } finally {
      Arrays.fill(pin, '\0');
    }
    ConnectionErrorCode code = e.store.errorCode();
    connections.record(st.id(), e.store.state().name(), code == null ? null : code.name());
  }

  private Set<String> referencedLabels(String storeId) {
    return db.read(tx -> CustomKeyStoresTable.referencedLabels(tx.connection(), storeId));
  }

  private void setWanted(String id, boolean wanted) {
    db.inTransaction(tx -> {
      CustomKeyStoresTable.setConnectWanted(tx.connection(), id, wanted);
      return null;
    });
  }

  private Entry entry(String id) {
    Entry e = id == null ? null : stores.get(id);
    if (e == null) {
      throw notFound(id);
    }
    return e;
  }

  private static KmsException notFound(String what) {
    return new KmsException("CustomKeyStoreNotFoundException",
        "custom key store " + what + " does not exist; list them with"
            + " describe-custom-key-stores");
  }

  private void checkName(String name, String self) {
    for (Entry e : stores.values()) {
      if (e.settings.name().equals(name) && !e.settings.id().equals(self)) {
        throw new KmsException("CustomKeyStoreNameInUseException",
            "a custom key store named " + name + " already exists (" + e.settings.id() + ")");
      }
    }
  }

  /** One token backs at most one store, as one CloudHSM cluster backs one store in AWS. */
  private void checkTokenFree(Pkcs11Config config, String self) {
    for (Entry e : stores.values()) {
      if (e.settings.config().equals(config) && !e.settings.id().equals(self)) {
        throw new KmsException("CloudHsmClusterInUseException",
            config.describe() + " already backs custom key store " + e.settings.id());
      }
    }
  }

  private static void refuseAwsOnly(Input in) {
    for (String f : List.of("CloudHsmClusterId", "TrustAnchorCertificate", "XksProxyUriEndpoint",
        "XksProxyUriPath", "XksProxyVpcEndpointServiceName", "XksProxyAuthenticationCredential",
        "XksProxyConnectivity")) {
      OperationTable.refuseIfPresent(in, f, "Coffer's custom key stores are PKCS#11 tokens;"
          + " use Pkcs11LibraryPath and Pkcs11TokenLabel (or Pkcs11SlotListIndex)");
    }
  }

  private static String name(Input in, String field) {
    String n = in.requiredString(field);
    if (n.length() > MAX_NAME || !n.matches("[a-zA-Z0-9:/_.@-]+")) {
      throw Input.invalid(field, "must be 1-" + MAX_NAME + " of a-z A-Z 0-9 : / _ - . @");
    }
    return n;
  }

  private static Pkcs11Config config(Input in, Pkcs11Config base) {
    String library = in.has("Pkcs11LibraryPath") ? in.requiredString("Pkcs11LibraryPath")
        : base == null ? in.requiredString("Pkcs11LibraryPath") : base.library();
    if (!library.startsWith("/")) {
      throw Input.invalid("Pkcs11LibraryPath", "must be an absolute path, got " + library);
    }
    String label = in.string("Pkcs11TokenLabel");
    Integer index = in.integer("Pkcs11SlotListIndex");
    if (label != null && index != null) {
      throw Input.invalid("Pkcs11TokenLabel", "and Pkcs11SlotListIndex cannot both be given");
    }
    if (label == null && index == null) {
      if (base == null) {
        throw Input.invalid("Pkcs11TokenLabel", "or Pkcs11SlotListIndex is required");
      }
      label = base.tokenLabel();
      index = base.slotListIndex();
    }
    try {
      return new Pkcs11Config(library, label, index);
    } catch (IllegalArgumentException e) {
      throw Input.invalid(label != null ? "Pkcs11TokenLabel" : "Pkcs11SlotListIndex",
          e.getMessage());
    }
  }

  private static char[] pin(Input in) {
    String p = in.requiredString("KeyStorePassword");
    if (p.length() > 256) {
      throw Input.invalid("KeyStorePassword", "must be 1-256 characters");
    }
    return p.strip().toCharArray();
  }

  private String newId() {
    byte[] b = new byte[9];
    random.nextBytes(b);
    return "cks-" + HexFormat.of().formatHex(b).substring(0, 17);
  }
}
