package dev.coffer.daemon.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.identity.Identity;
import dev.coffer.daemon.identity.RequestOrigin;
import dev.coffer.daemon.identity.UnixPeer;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who made a request and from where, as a record states it: CloudTrail's {@code userIdentity}
 * for each kind of {@link Identity} (Coffer's {@code UnixUser}, CloudTrail's {@code IAMUser},
 * {@code AWSService} for the daemon's own events, {@code Unknown} for a failed authentication),
 * and the transport's {@code sourceIPAddress}, {@code userAgent} and {@code tlsDetails}.
 */
final class AuditIdentities {
  private AuditIdentities() {}

  /** The {@code userIdentity} object as JSON text: the same for every request of a connection. */
  static String identity(Identity p, String account, boolean service) {
    if (IDENTITIES.size() > MAX_CACHED_IDENTITIES) {
      IDENTITIES.clear(); // peers are per process; a long-lived daemon sees many
    }
    return IDENTITIES.computeIfAbsent(new IdentityKey(p, account, service),
        k -> identityNode(p, account, service).toString());
  }

  /** The identity of a request whose authentication failed: only the access key id claimed. */
  static String unauthenticated(ObjectNode request) {
    ObjectNode id = Json.object();
    id.put("type", "Unknown");
    JsonNode claimed = request == null ? null : request.get("AccessKeyId");
    if (claimed != null && claimed.isTextual()) {
      id.put("accessKeyId", bounded(claimed.textValue()));
    }
    return id.toString();
  }

  private record IdentityKey(Identity identity, String account, boolean service) {}

  private static final int MAX_CACHED_IDENTITIES = 4096;
  private static final Map<IdentityKey, String> IDENTITIES = new ConcurrentHashMap<>();

  private static ObjectNode identityNode(Identity who, String account, boolean service) {
    ObjectNode id = Json.object();
    if (who instanceof IamUser u) {
      // CloudTrail's IAMUser identity. AWS's principalId is the user's opaque unique id; Coffer
      // keeps no user objects, so it is the user name, which is unique in the account.
      id.put("type", "IAMUser");
      id.put("principalId", u.userName());
      id.put("arn", u.arn());
      id.put("accountId", u.account());
      id.put("accessKeyId", u.accessKeyId());
      id.put("userName", u.userName());
      return id;
    }
    UnixPeer p = (UnixPeer) who;
    if (service) {
      id.put("type", "AWSService");
      id.put("invokedBy", AuditRecords.EVENT_SOURCE);
      id.put("accountId", account);
      id.put("userName", AuditRecords.DAEMON_USER);
      id.put("pid", p.pid());
      return id;
    }
    id.put("type", "UnixUser");
    id.put("principalId", Long.toString(p.uid()));
    id.put("arn", "arn:coffer:iam::" + account + ":user/" + p.user());
    id.put("accountId", account);
    id.put("userName", p.user());
    id.put("uid", p.uid());
    id.put("gid", p.gid());
    id.put("pid", p.pid());
    ArrayNode groups = id.putArray("groups");
    p.groups().stream().sorted().forEach(groups::add);
    return id;
  }

  /**
   * CloudTrail's {@code sourceIPAddress}, {@code userAgent} and {@code tlsDetails}, when the
   * transport gave any; every value is client-influenced, so each is {@link #bounded}.
   */
  static void writeOrigin(JsonGenerator g, RequestOrigin o) throws IOException {
    if (o == null) {
      return;
    }
    if (o.sourceIp() != null) {
      g.writeStringField("sourceIPAddress", bounded(o.sourceIp()));
    }
    if (o.userAgent() != null) {
      g.writeStringField("userAgent", bounded(o.userAgent()));
    }
    if (o.tlsVersion() != null || o.cipherSuite() != null || o.hostHeader() != null) {
      g.writeObjectFieldStart("tlsDetails");
      if (o.tlsVersion() != null) {
        g.writeStringField("tlsVersion", bounded(o.tlsVersion()));
      }
      if (o.cipherSuite() != null) {
        g.writeStringField("cipherSuite", bounded(o.cipherSuite()));
      }
      if (o.hostHeader() != null) {
        g.writeStringField("clientProvidedHostHeader", bounded(o.hostHeader()));
      }
      g.writeEndObject();
    }
  }

  /** Client-chosen text cut to {@link AuditRecords#MAX_ORIGIN_TEXT}. */
  private static String bounded(String s) {
    return AuditRecords.cut(s, AuditRecords.MAX_ORIGIN_TEXT);
  }
}
