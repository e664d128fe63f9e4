package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * AWS-style pagination over a list sorted by a string key: {@code Limit} bounds a page, {@code
 * NextMarker} (opaque to callers) names where the next page starts.
 */
final class Paging {
  private Paging() {}

  static <T> List<T> page(
      List<T> sorted, Function<T, String> sortKey, Input in, int defaultLimit, int maxLimit,
      ObjectNode out) {
    int limit = in.integer("Limit", 1, maxLimit, defaultLimit);
    String marker = in.string("Marker");
    String after = null;
    if (marker != null) {
      try {
        after = new String(Base64.getUrlDecoder().decode(marker), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new KmsException(
            ErrorType.INVALID_MARKER, "Marker is not one this daemon issued; pass NextMarker back as"
                + " returned");
      }
    }
    int start = 0;
    if (after != null) {
      while (start < sorted.size() && sortKey.apply(sorted.get(start)).compareTo(after) <= 0) {
        start++;
      }
    }
    int end = Math.min(sorted.size(), start + limit);
    List<T> page = sorted.subList(start, end);
    boolean truncated = end < sorted.size();
    out.put("Truncated", truncated);
    if (truncated) {
      out.put(
          "NextMarker",
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(sortKey.apply(page.get(page.size() - 1)).getBytes(StandardCharsets.UTF_8)));
    }
    return page;
  }
}
