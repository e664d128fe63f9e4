package dev.coffer.daemon.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Paging markers through the real socket: opaque and authenticated, bound to the operation and
 * the listing's parameters; anything else is {@code InvalidMarkerException} for every paged
 * operation.
 */
class PagingTest {

  private static final String ME = "arn:coffer:iam::000000000000:user/"
      + System.getProperty("user.name");
  private TestDaemon d;
  private final List<String> keys = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
    for (int i = 0; i < 5; i++) {
      String k = d.createKey();
      keys.add(k);
      d.call("CreateAlias", "AliasName", "alias/a" + i, "TargetKeyId", k);
      d.call("TagResource", "KeyId", keys.get(0), "Tags",
          List.of(Map.of("TagKey", "t" + i, "TagValue", "v")));
      d.call("CreateGrant", "KeyId", keys.get(0), "GranteePrincipal", ME,
          "RetiringPrincipal", ME, "Operations", List.of("Encrypt"));
      d.call("RotateKeyOnDemand", "KeyId", keys.get(0));
    }
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  /** Every paged operation, with the parameters of one listing. */
  private List<Object[]> pagedOperations() {
    String k = keys.get(0);
    return List.of(
        new Object[] {"ListKeys"},
        new Object[] {"ListAliases"},
        new Object[] {"ListAliases", "KeyId", k},
        new Object[] {"ListResourceTags", "KeyId", k},
        new Object[] {"ListGrants", "KeyId", k},
        new Object[] {"ListRetirableGrants", "RetiringPrincipal", ME},
        new Object[] {"ListKeyPolicies", "KeyId", k},
        new Object[] {"ListKeyRotations", "KeyId", k},
        new Object[] {"DescribeCustomKeyStores"});
  }

  private JsonNode call(Object[] listing, Object... more) {
    Object[] args = new Object[listing.length - 1 + more.length];
    System.arraycopy(listing, 1, args, 0, listing.length - 1);
    System.arraycopy(more, 0, args, listing.length - 1, more.length);
    return d.call((String) listing[0], args);
  }

  private void failsInvalidMarker(Object[] listing, String marker) {
    Object[] args = new Object[listing.length + 1];
    System.arraycopy(listing, 1, args, 0, listing.length - 1);
    args[listing.length - 1] = "Marker";
    args[listing.length] = marker;
    d.fails("InvalidMarkerException", (String) listing[0], args);
  }

  @Test
  void guessedMarker_invalidMarker_forEveryPagedOperation() {
    String oldFormat = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(keys.get(0).getBytes(StandardCharsets.UTF_8));
    for (Object[] listing : pagedOperations()) {
      failsInvalidMarker(listing, "zzzz");
      failsInvalidMarker(listing, oldFormat);
      failsInvalidMarker(listing, "AQ");
      failsInvalidMarker(listing, "not base64!");
    }
  }

  @Test
  void pagesWithLimit_coverTheListingOnce_inEveryPagedOperationThatHasMore() {
    for (Object[] listing : pagedOperations()) {
      JsonNode all = call(listing, "Limit", 50);
      List<String> seen = new ArrayList<>();
      String marker = null;
      do {
        JsonNode page = marker == null ? call(listing, "Limit", 1)
            : call(listing, "Limit", 1, "Marker", marker);
        page.fields().forEachRemaining(e -> {
          if (e.getValue().isArray()) {
            e.getValue().forEach(v -> seen.add(v.toString()));
          }
        });
        marker = page.get("Truncated").asBoolean() ? page.get("NextMarker").asText() : null;
        if (marker != null) {
          assertTrue(marker.length() <= 1024, marker);
        }
      } while (marker != null);
      List<String> expected = new ArrayList<>();
      all.fields().forEachRemaining(e -> {
        if (e.getValue().isArray()) {
          e.getValue().forEach(v -> expected.add(v.toString()));
        }
      });
      assertEquals(expected, seen, () -> "listing " + listing[0]);
      assertFalse(all.get("Truncated").asBoolean());
    }
  }

  @Test
  void markerOfAnotherListing_orModified_invalidMarker() {
    String keysMarker = d.call("ListKeys", "Limit", 1).get("NextMarker").asText();
    String aliasMarker = d.call("ListAliases", "Limit", 1).get("NextMarker").asText();
    failsInvalidMarker(new Object[] {"ListAliases"}, keysMarker);
    failsInvalidMarker(new Object[] {"ListKeys"}, aliasMarker);
    // Same operation, another listing: the aliases of one key are no position among another's.
    failsInvalidMarker(new Object[] {"ListAliases", "KeyId", keys.get(1)}, aliasMarker);
    // Flip one character of the tag: the marker no longer authenticates.
    char[] c = keysMarker.toCharArray();
    c[3] = c[3] == 'A' ? 'B' : 'A';
    failsInvalidMarker(new Object[] {"ListKeys"}, new String(c));
    String grants = d.call("ListGrants", "KeyId", keys.get(0), "Limit", 1).get("NextMarker")
        .asText();
    d.fails("InvalidMarkerException", "ListGrants", "KeyId", keys.get(1), "Marker", grants);
    // The marker itself still works where it belongs.
    assertEquals(1, d.call("ListKeys", "Limit", 1, "Marker", keysMarker).get("Keys").size());
  }

  @Test
  void marker_survivesRestart() throws Exception {
    JsonNode first = d.call("ListKeys", "Limit", 2);
    String marker = first.get("NextMarker").asText();
    JsonNode before = d.call("ListKeys", "Limit", 2, "Marker", marker);
    d.restart();
    assertEquals(before, d.call("ListKeys", "Limit", 2, "Marker", marker));
  }
}
