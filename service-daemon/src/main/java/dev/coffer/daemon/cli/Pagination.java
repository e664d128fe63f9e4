package dev.coffer.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The AWS CLI's automatic pagination for the list operations (botocore's paginators: {@code
 * Marker} in, {@code NextMarker} and {@code Truncated} out): every page is fetched and the lists
 * joined into {@code {"<ResultKey>": [...]}}; {@code --page-size} sets {@code Limit}, {@code
 * --max-items} stops early and prints a {@code NextToken} that {@code --starting-token} resumes
 * from. The token has botocore's shape (base64 of {@code {"Marker": ..., "boto_truncate_amount":
 * n}}).
 */
final class Pagination {
  private Pagination() {}

  /** One page request: {@code input} is a copy the paginator may change. */
  interface PageCaller {
    ObjectNode call(ObjectNode input);
  }

  /**
   * @param pageSize Limit per request, or null
   * @param maxItems items to print at most, or null
   * @param startingToken a NextToken printed by an earlier run, or null
   */
  static ObjectNode fetchAll(ObjectNode input, String resultKey, Integer pageSize,
      Integer maxItems, String startingToken, PageCaller caller) {
    String marker = null;
    int skip = 0;
    if (startingToken != null) {
      JsonNode t = decode(startingToken);
      marker = t.hasNonNull("Marker") ? t.get("Marker").asText() : null;
      skip = t.path("boto_truncate_amount").asInt(0);
    }
    ArrayNode all = Json.MAPPER.createArrayNode();
    String nextToken = null;
    while (true) {
      ObjectNode req = input.deepCopy();
      if (pageSize != null) {
        req.put("Limit", pageSize);
      }
      if (marker != null) {
        req.put("Marker", marker);
      }
      ObjectNode page = caller.call(req);
      JsonNode items = page.path(resultKey);
      int taken = 0;
      for (int i = skip; i < items.size(); i++) {
        if (maxItems != null && all.size() >= maxItems) {
          break;
        }
        all.add(items.get(i));
        taken = i + 1;
      }
      boolean more = page.path("Truncated").asBoolean(false) && page.hasNonNull("NextMarker");
      if (maxItems != null && all.size() >= maxItems && (taken < items.size() || more)) {
        nextToken = taken < items.size() ? token(marker, taken)
            : token(page.get("NextMarker").asText(), 0);
        break;
      }
      if (!more) {
        break;
      }
      marker = page.get("NextMarker").asText();
      skip = 0;
    }
    ObjectNode result = Json.object();
    result.set(resultKey, all);
    if (nextToken != null) {
      result.put("NextToken", nextToken);
    }
    return result;
  }

  private static String token(String marker, int truncate) {
    ObjectNode t = Json.object();
    if (marker != null) {
      t.put("Marker", marker);
    }
    if (truncate > 0) {
      t.put("boto_truncate_amount", truncate);
    }
    return Base64.getEncoder().encodeToString(Json.toBytes(t));
  }

  private static JsonNode decode(String token) {
    try {
      return Json.MAPPER.readTree(new String(Base64.getDecoder().decode(token.trim()),
          StandardCharsets.UTF_8));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("--starting-token: not a NextToken printed by coffer ('"
          + token + "')");
    }
  }
}
