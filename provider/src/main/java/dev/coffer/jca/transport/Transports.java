package dev.coffer.jca.transport;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.transport.https.HttpsErrors;
import dev.coffer.jca.transport.https.HttpsSettings;
import dev.coffer.jca.transport.https.HttpsTransport;
import dev.coffer.protocol.KmsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/** Chooses and shares transports; the rules are on {@link KmsTransport}. */
final class Transports {
  private static final Map<HttpsSettings, HttpsTransport> BY_SETTINGS = new ConcurrentHashMap<>();

  /**
   * The system properties HTTPS settings are read from (the environment cannot change): while
   * they stay the same, the settings are not read again, so no profile file is parsed per call.
   */
  private static final List<String> SETTING_PROPERTIES = List.of("coffer.endpoint",
      "coffer.region", "aws.region", "aws.profile", "coffer.tls.ca", "coffer.timeoutMillis",
      "coffer.connectTimeoutMillis", "user.home");

  private record Memo(List<String> properties, HttpsTransport transport) {}

  private static volatile Memo last;

  private Transports() {}

  static KmsTransport select(Path socket) {
    if (socket != null) {
      return SocketTransport.forSocket(socket);
    }
    Properties props = System.getProperties();
    String endpoint = props.getProperty("coffer.endpoint");
    if ((endpoint == null || endpoint.isBlank()) && props.getProperty("coffer.socket") == null) {
      endpoint = HttpsSettings.configuredEndpoint(System.getenv(), new Properties());
    }
    if (endpoint == null || endpoint.isBlank()) {
      return SocketTransport.forSocket(null);
    }
    List<String> current = new ArrayList<>(SETTING_PROPERTIES.size() + 1);
    current.add(endpoint);
    for (String p : SETTING_PROPERTIES) {
      current.add(props.getProperty(p));
    }
    Memo m = last;
    if (m != null && m.properties().equals(current)) {
      return m.transport();
    }
    HttpsTransport t;
    try {
      HttpsSettings settings = HttpsSettings.from(endpoint, System.getenv(), props);
      t = BY_SETTINGS.computeIfAbsent(settings, HttpsTransport::new);
    } catch (IllegalArgumentException e) { // a malformed endpoint, an unreadable coffer.tls.ca
      // Reported by the first call, inside the SPI's own error mapping, as any daemon failure.
      return new Unusable(endpoint, new KmsException(HttpsErrors.CONFIGURATION, e.getMessage(), e));
    }
    last = new Memo(current, t);
    return t;
  }

  /** A configured endpoint that cannot be used: every call fails with the reason. */
  private record Unusable(String endpoint, KmsException reason) implements KmsTransport {
    @Override
    public ObjectNode call(String operation, ObjectNode input) {
      throw new KmsException(reason.errorType(), reason.getMessage(), reason);
    }

    @Override
    public String destination() {
      return "unusable:" + endpoint;
    }
  }
}
