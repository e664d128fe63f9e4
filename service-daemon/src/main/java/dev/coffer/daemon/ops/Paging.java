package dev.coffer.daemon.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Frame;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS-style pagination over a list sorted by a string key: {@code Limit} bounds a page, {@code
 * NextMarker} names where the next page starts.
 *
 * <p>Markers are opaque and authenticated: {@code base64url(0x01 || tag || position)}, where
 * {@code position} is the sort key of the last entry returned and {@code tag} the first 16 bytes
 * of HMAC-SHA256, under the daemon's {@link MarkerKey}, of the operation name, the request's other
 * parameters (everything but {@code Limit} and {@code Marker}, so a marker of one listing is no
 * position in another: another key's grants, another alias filter) and the position. Anything
 * else in {@code Marker} (a guess, a marker of another operation or listing, a modified one) is
 * {@code InvalidMarkerException}, for every paged operation, as in AWS.
 */
final class Paging {
  private Paging() {}

  private static final byte VERSION = 1;
  private static final int TAG_BYTES = 16;
  private static final String LABEL = "coffer-paging-marker-v1";

  /**
   * The daemon's marker key: 32 bytes derived from the root key ({@code RootKey.mac} with the
   * label {@code coffer-paging-marker-key-v1}), so it is never stored and markers stay valid
   * across restarts of the same home, and are worthless to any other daemon.
   */
  static final class MarkerKey {
    private final SecretKeySpec key;

    MarkerKey(byte[] key) {
      if (key.length != 32) {
        throw new IllegalArgumentException("a marker key is 32 bytes");
      }
      this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    byte[] tag(String operation, byte[] listing, byte[] position) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        byte[] op = operation.getBytes(StandardCharsets.UTF_8);
        byte[] label = LABEL.getBytes(StandardCharsets.US_ASCII);
        mac.update(ByteBuffer.allocate(16).putInt(label.length).putInt(op.length)
            .putInt(listing.length).putInt(position.length).array());
        mac.update(label);
        mac.update(op);
        mac.update(listing);
        mac.update(position);
        return Arrays.copyOf(mac.doFinal(), TAG_BYTES);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
      }
    }
  }

  /**
   * The most bytes a page's entries may take as the response serialises them: the response cap
   * ({@link Frame#MAX_RESPONSE_BODY_BYTES}, 16 MiB) less 1 MiB for the rest of the response
   * ({@code Truncated}, {@code NextMarker}: a few hundred bytes). A page whose next entry would
   * pass it ends early, truncated, as AWS allows ("fewer than Limit entries, Truncated true").
   */
  static final int PAGE_BUDGET_BYTES = Frame.MAX_RESPONSE_BODY_BYTES - 1024 * 1024;

  /**
   * Writes one page of {@code sorted} (ascending by {@code sortKey}, keys unique) into {@code
   * out}: the array {@code field} of the rendered entries, then {@code Truncated} and, when
   * truncated, {@code NextMarker}.
   *
   * <p>A page holds at most {@code Limit} entries and at most {@link #PAGE_BUDGET_BYTES} of them
   * as serialised (measured with {@link Json#toBytes}, the response's own writer, so escapes
   * count), and always at least one entry when any remain: every valid request gets a valid
   * answer whatever the entries' sizes. Each operation bounds a single entry far below the
   * budget through its input constraints.
   *
   * @param render an entry as the response writes it
   * @param defaultLimit entries when the request has no {@code Limit}
   * @param maxLimit the largest {@code Limit} the operation accepts (ValidationException beyond)
   * @throws KmsException {@code InvalidMarkerException} for a marker this listing did not issue
   */
  static <T> void page(
      List<T> sorted, Function<T, String> sortKey, Function<T, ? extends JsonNode> render,
      Input in, int defaultLimit, int maxLimit, String field, ObjectNode out) {
    page(sorted, sortKey, render, in, "Limit", defaultLimit, maxLimit, field, out,
        PAGE_BUDGET_BYTES);
  }

  /**
   * {@link #page} with the page size read from {@code limitField} (IAM's listings call it {@code
   * MaxItems}) and the byte budget given (tests of the budget itself pass a small one).
   */
  static <T> void page(
      List<T> sorted, Function<T, String> sortKey, Function<T, ? extends JsonNode> render,
      Input in, String limitField, int defaultLimit, int maxLimit, String field, ObjectNode out,
      long budget) {
    int limit = in.integer(limitField, 1, maxLimit, defaultLimit);
    String operation = in.listingOperation();
    MarkerKey key = in.markerKey();
    byte[] listing = listing(in, limitField);
    String marker = in.string("Marker");
    int start = 0;
    if (marker != null) {
      String after = position(marker, key, operation, listing);
      while (start < sorted.size() && sortKey.apply(sorted.get(start)).compareTo(after) <= 0) {
        start++;
      }
    }
    ArrayNode entries = out.putArray(field);
    long used = 2; // the brackets
    int end = start;
    while (end < sorted.size() && end - start < limit) {
      JsonNode entry = render.apply(sorted.get(end));
      long size = Json.toBytes(entry).length + 1L; // and its comma
      if (end > start && used + size > budget) {
        break;
      }
      entries.add(entry);
      used += size;
      end++;
    }
    boolean truncated = end < sorted.size();
    out.put("Truncated", truncated);
    if (truncated) {
      byte[] position = sortKey.apply(sorted.get(end - 1)).getBytes(StandardCharsets.UTF_8);
      byte[] tag = key.tag(operation, listing, position);
      byte[] m = ByteBuffer.allocate(1 + TAG_BYTES + position.length).put(VERSION).put(tag)
          .put(position).array();
      out.put("NextMarker", Base64.getUrlEncoder().withoutPadding().encodeToString(m));
    }
  }

  private static String position(String marker, MarkerKey key, String operation,
      byte[] listing) {
    byte[] m;
    try {
      m = Base64.getUrlDecoder().decode(marker);
    } catch (IllegalArgumentException e) {
      throw invalid();
    }
    if (m.length < 1 + TAG_BYTES || m[0] != VERSION) {
      throw invalid();
    }
    byte[] position = Arrays.copyOfRange(m, 1 + TAG_BYTES, m.length);
    byte[] expected = key.tag(operation, listing, position);
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(m, 1, 1 + TAG_BYTES))) {
      throw invalid();
    }
    return new String(position, StandardCharsets.UTF_8);
  }

  /** The request's parameters other than Limit and Marker, in a canonical (sorted) encoding. */
  private static byte[] listing(Input in, String limitField) {
    TreeMap<String, JsonNode> params = new TreeMap<>();
    in.node().fields().forEachRemaining(e -> {
      if (!e.getKey().equals(limitField) && !e.getKey().equals("Marker")) {
        params.put(e.getKey(), e.getValue());
      }
    });
    try {
      return Json.MAPPER.writeValueAsBytes(params);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("request parameters did not serialise", e);
    }
  }

  private static KmsException invalid() {
    return new KmsException(ErrorType.INVALID_MARKER, "Marker is not one this listing issued;"
        + " pass the NextMarker of the previous page back unchanged, with the same parameters");
  }
}
