package dev.coffer.jca.transport;

import dev.coffer.jca.transport.https.HttpsErrors;
import dev.coffer.jca.transport.https.HttpsSettings;
import dev.coffer.jca.transport.https.HttpsTransport;
import dev.coffer.protocol.KmsException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/** Chooses and shares transports; the rules are on {@link KmsTransport}. */
final class Transports {
  private static final Map<HttpsSettings, HttpsTransport> BY_SETTINGS = new ConcurrentHashMap<>();

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
    HttpsSettings settings;
    try {
      settings = HttpsSettings.from(endpoint, System.getenv(), props);
    } catch (IllegalArgumentException e) {
      throw new KmsException(HttpsErrors.CONFIGURATION, e.getMessage(), e);
    }
    return BY_SETTINGS.computeIfAbsent(settings, HttpsTransport::new);
  }
}
