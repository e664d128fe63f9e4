package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.ChannelStreams;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.FrameCodec;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every valid listing request gets a valid answer whatever its entries' sizes (issue 14 §3):
 * a page ends early, truncated with a NextMarker, before its serialised size would pass the
 * response cap, and the pages chain to every entry. Through the real socket.
 */
class PageBudgetTest {

  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private static final String EMOJI = "\uD83D\uDE00";
  private TestDaemon d;

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  /**
   * The tester's case: 100 grants each constrained by {"k": 23,000 emoji}. CreateGrant now
   * refuses such a constraint (AWS's bound), but a home written before the bound may hold them;
   * ListGrants and ListRetirableGrants at Limit 100 must still answer, and their pages chain to
   * all 100 grants.
   */
  @Test
  void oversizedGrantsStillPageAtLimit100() throws Exception {
    String key = d.createKey();
    String huge = EMOJI.repeat(23_000);
    // The tester's request: raw UTF-8, so the body (92,233 bytes) fits the request cap.
    byte[] body = ("{\"Operation\":\"CreateGrant\",\"Input\":{\"KeyId\":\"" + key
        + "\",\"GranteePrincipal\":\"" + ME + "\",\"RetiringPrincipal\":\"" + ME
        + "\",\"Operations\":[\"Encrypt\"],\"Constraints\":{\"EncryptionContextSubset\":"
        + "{\"k\":\"" + huge + "\"}}}}").getBytes(StandardCharsets.UTF_8);
    assertTrue(body.length < Frame.DEFAULT_MAX_BODY_BYTES);
    ObjectNode refused = send(body);
    assertEquals("ValidationException", refused.path("__type").asText(), refused::toString);
    assertTrue(refused.path("message").asText().contains("384"), refused::toString);
    for (int i = 0; i < 100; i++) {
      d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME, "RetiringPrincipal", ME,
          "Operations", List.of("Encrypt"),
          "Constraints", Map.of("EncryptionContextSubset", Map.of("k", "v")));
    }
    // As a daemon without the bound left them: the same grants, with the tester's constraint.
    d.client.close();
    d.daemon.close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + d.home.resolve("coffer.db"));
        PreparedStatement p = c.prepareStatement("UPDATE grants SET constraints = ?")) {
      p.setString(1, Json.MAPPER.writeValueAsString(
          Map.of("EncryptionContextSubset", Map.of("k", huge))));
      assertEquals(100, p.executeUpdate());
    }
    d.start();

    for (Object[] listing : List.<Object[]>of(
        new Object[] {"ListGrants", "KeyId", key},
        new Object[] {"ListRetirableGrants", "RetiringPrincipal", ME})) {
      List<JsonNode> grants = all(listing, 100, "Grants");
      assertEquals(100, grants.size(), (String) listing[0]);
      assertEquals(100, ids(grants, "GrantId").size(), (String) listing[0]);
      for (JsonNode g : grants) {
        assertEquals(huge, g.at("/Constraints/EncryptionContextSubset/k").textValue());
      }
    }
  }

  /**
   * Grants at AWS's constraint bounds (8 pairs, 384 characters) in 4-byte characters (both
   * constraints at the bound would pass the default request cap, as the client escapes them): one past the bound is a ValidationException, and 100 at the bound list at
   * Limit 100.
   */
  @Test
  void grantsAtTheConstraintBoundList() throws Exception {
    String key = d.createKey();
    Map<String, String> nine = pairs(9, 384);
    d.fails("ValidationException", "CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("Encrypt"), "Constraints", Map.of("EncryptionContextEquals", nine));
    Map<String, String> longValue = Map.of("k", EMOJI.repeat(385));
    d.fails("ValidationException", "CreateGrant", "KeyId", key, "GranteePrincipal", ME,
        "Operations", List.of("Encrypt"),
        "Constraints", Map.of("EncryptionContextSubset", longValue));
    for (int i = 0; i < 100; i++) {
      d.call("CreateGrant", "KeyId", key, "GranteePrincipal", ME, "RetiringPrincipal", ME,
          "Operations", List.of("Encrypt"),
          "Constraints", Map.of("EncryptionContextEquals", pairs(8, 384)));
    }
    assertEquals(100, ids(all(new Object[] {"ListGrants", "KeyId", key}, 100, "Grants"),
        "GrantId").size());
    assertEquals(100, ids(all(new Object[] {"ListRetirableGrants", "RetiringPrincipal", ME}, 100,
        "Grants"), "GrantId").size());
  }

  /** 50 tags with maximal non-ASCII keys and values at the largest Limit chain to all 50. */
  @Test
  void maximalNonAsciiTagsList() {
    String key = d.createKey();
    for (int i = 0; i < 50; i++) {
      String tagKey = String.format("%02d", i) + EMOJI.repeat(126);
      d.call("TagResource", "KeyId", key, "Tags",
          List.of(Map.of("TagKey", tagKey, "TagValue", EMOJI.repeat(256))));
    }
    List<JsonNode> tags = all(new Object[] {"ListResourceTags", "KeyId", key}, 50, "Tags");
    assertEquals(50, ids(tags, "TagKey").size());
    tags.forEach(t -> assertEquals(EMOJI.repeat(256), t.get("TagValue").textValue()));
  }

  /** The answer to one request frame with exactly these body bytes, on a fresh connection. */
  private ObjectNode send(byte[] body) throws IOException {
    FrameCodec codec = new FrameCodec(Frame.DEFAULT_MAX_BODY_BYTES);
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(d.daemon.socket()));
      codec.write(ChannelStreams.out(ch), new Frame(Frame.Kind.REQUEST, 7, body));
      return Json.parseObject(codec.read(ChannelStreams.in(ch)).body());
    }
  }

  /** Every entry of a listing, following NextMarker; each page a valid, non-empty answer. */
  private List<JsonNode> all(Object[] listing, int limit, String field) {
    List<JsonNode> out = new ArrayList<>();
    String marker = null;
    for (int pages = 0; pages < 1000; pages++) {
      ObjectNode in = Json.object();
      for (int i = 1; i < listing.length; i += 2) {
        in.put((String) listing[i], (String) listing[i + 1]);
      }
      in.put("Limit", limit);
      if (marker != null) {
        in.put("Marker", marker);
      }
      ObjectNode page = d.call((String) listing[0], in);
      assertTrue(Json.toBytes(page).length <= Frame.MAX_RESPONSE_BODY_BYTES);
      JsonNode entries = page.get(field);
      assertTrue(entries.size() >= 1 && entries.size() <= limit, "entries: " + entries.size());
      entries.forEach(out::add);
      if (!page.get("Truncated").booleanValue()) {
        return out;
      }
      marker = page.get("NextMarker").textValue();
    }
    throw new AssertionError("the pages of " + listing[0] + " never ended");
  }

  private static Set<String> ids(List<JsonNode> entries, String field) {
    Set<String> ids = new HashSet<>();
    entries.forEach(e -> ids.add(e.get(field).textValue()));
    return ids;
  }

  private static Map<String, String> pairs(int n, int chars) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String k = (char) ('a' + i) + EMOJI.repeat(chars - 1);
      m.put(k, EMOJI.repeat(chars));
    }
    return m;
  }
}
