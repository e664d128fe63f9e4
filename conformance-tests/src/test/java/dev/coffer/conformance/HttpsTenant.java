package dev.coffer.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * A daemon process with its HTTPS endpoint open, an IAM user with an access key made by {@code
 * coffer create-access-key} (the user is an administrator, so it may create keys), and one KMS
 * key that user created through SDK v2: what the HTTPS conformance tests start from.
 *
 * @param region the daemon's {@code region}, which SigV4 scopes carry
 * @param keyId the key the user created, described by the user's name
 */
record HttpsTenant(DaemonProcess daemon, String region, String userName, String accessKeyId,
    String secret, String keyId) implements AutoCloseable {

  /**
   * Starts the daemon with {@code settings} ({@code coffer.properties} keys) besides {@code
   * region} and {@code admins}.
   */
  static HttpsTenant start(String region, String userName, Map<String, String> settings)
      throws Exception {
    Map<String, String> all = new LinkedHashMap<>(settings);
    all.put("region", region);
    all.put("admins", HttpsEndpointConformanceTest.adminsWith(userName));
    DaemonProcess daemon = DaemonProcess.startHttps(all);
    try {
      JsonNode key = HttpsEndpointConformanceTest.createAccessKey(daemon, userName);
      String accessKeyId = key.get("AccessKeyId").asText();
      String secret = key.get("SecretAccessKey").asText();
      try (KmsClient kms = AwsClients.kms(daemon, region, accessKeyId, secret)) {
        String keyId = kms.createKey(b -> b.description(userName)).keyMetadata().keyId();
        return new HttpsTenant(daemon, region, userName, accessKeyId, secret, keyId);
      }
    } catch (Exception | Error e) {
      daemon.close();
      throw e;
    }
  }

  /** An SDK v2 client signing as this tenant's user; the caller closes it. */
  KmsClient kms() {
    return AwsClients.kms(daemon, region, accessKeyId, secret);
  }

  @Override
  public void close() throws Exception {
    daemon.close();
  }
}
