package dev.coffer.daemon.config;

import dev.coffer.daemon.files.SecureFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * {@code coffer.properties}, read strictly: a daemon that silently starts on defaults because
 * of a typo ({@code storgae=postgresql}) is worse than one that does not start. So a key set
 * twice, a key nobody reads and an invalid value are refused, naming the file, the key and (for
 * an unknown key) the nearest valid one by edit distance.
 *
 * <p>The file decides who administers the daemon and where the root key lives, so one that other
 * users may write is refused too (reading it is harmless: it holds no secret).
 *
 * <p>Every key looked up ({@link #getProperty}, {@link #containsKey}) counts as known, so a
 * setting read where the configuration is built can never be reported as unknown.
 */
public final class Settings extends Properties {

  private static final long serialVersionUID = 1L;
  private static final LevenshteinDistance DISTANCE = LevenshteinDistance.getDefaultInstance();

  private final transient Path source;
  private final transient Set<String> queried = ConcurrentHashMap.newKeySet();

  private Settings(Path source) {
    this.source = source;
  }

  /**
   * Reads {@code file}; no file means no settings.
   *
   * @throws IOException if the file is writable by other users or unreadable
   * @throws IllegalArgumentException if a key is set twice
   */
  public static Settings read(Path file) throws IOException {
    Settings s = new Settings(file);
    if (Files.isRegularFile(file)) {
      SecureFiles.requireNotWritableByOthers(file,
          "who administers the daemon and where its root key is");
      s.load(new StringReader(utf8(file)));
    }
    return s;
  }

  /**
   * The text of {@code file} as UTF-8, strictly: {@link Properties#load(InputStream)} would read
   * ISO-8859-1, garbling non-ASCII values and turning a byte order mark into part of the first
   * key. A leading byte order mark (as some editors write) is dropped; malformed UTF-8 is
   * refused rather than replaced, so no value is silently changed.
   *
   * @throws IllegalArgumentException naming the file and the byte offset of malformed UTF-8
   */
  private static String utf8(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(raw);
    CharBuffer out = CharBuffer.allocate(raw.length);
    CoderResult r = decoder.decode(in, out, true);
    if (r.isError()) {
      throw new IllegalArgumentException(file + " is not valid UTF-8 (malformed byte at offset "
          + in.position() + "); save it as UTF-8 and start again");
    }
    decoder.flush(out);
    String text = out.flip().toString();
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  /** Settings given in code (tests); messages then name {@code coffer.properties}. */
  public static Settings of(Properties p) {
    Settings s = new Settings(Path.of("coffer.properties"));
    p.stringPropertyNames().forEach(k -> s.setProperty(k, p.getProperty(k)));
    return s;
  }

  /** The file these settings came from. */
  public Path source() {
    return source;
  }

  @Override
  public String getProperty(String key) {
    queried.add(key);
    return super.getProperty(key);
  }

  @Override
  public boolean containsKey(Object key) {
    if (key instanceof String k) {
      queried.add(k);
    }
    return super.containsKey(key);
  }

  /** {@link Properties#load} puts each line here: a second value for a key is refused. */
  @Override
  public synchronized Object put(Object key, Object value) {
    if (super.get(key) != null) {
      throw new IllegalArgumentException("setting '" + key + "' is set twice in " + source
          + "; keep one line");
    }
    return super.put(key, value);
  }

  /**
   * Refuses any key neither in {@code declared} nor looked up so far.
   *
   * @throws IllegalArgumentException "unknown setting 'max-conections' in /x/coffer.properties;
   *     did you mean 'max-connections'? (valid settings: ...)", or for a key no valid one is a
   *     few edits from, "...; the nearest valid setting is 'account' (valid settings: ...)"
   */
  public void requireKnown(Collection<String> declared) {
    Set<String> valid = new TreeSet<>(declared);
    valid.addAll(queried);
    for (String key : new TreeSet<>(stringPropertyNames())) {
      if (!valid.contains(key)) {
        String nearest = nearest(key, valid);
        // A typo is a few edits away; past that the nearest key is named, not guessed at.
        boolean typo = DISTANCE.apply(key, nearest) <= Math.max(2, key.length() / 3);
        throw new IllegalArgumentException("unknown setting '" + key + "' in " + source
            + (typo ? "; did you mean '" + nearest + "'?" : "; the nearest valid setting is '"
                + nearest + "'") + " (valid settings: " + String.join(", ", valid) + ")");
      }
    }
  }

  /**
   * An invalid value: "invalid value 'x' for 'max-keys' in /x/coffer.properties: must be ...".
   */
  public IllegalArgumentException invalid(String key, String value, String rule) {
    return new IllegalArgumentException("invalid value '" + value + "' for '" + key + "' in "
        + source + ": " + rule);
  }

  /** The trimmed value of {@code key}, or {@code dflt} when it is not set. */
  public String get(String key, String dflt) {
    String v = getProperty(key);
    return v == null ? dflt : v.trim();
  }

  /**
   * An integer setting in {@code [min, max]}, or {@code dflt} when it is not set.
   *
   * @throws IllegalArgumentException naming the key for a non-integer or out-of-range value
   */
  public int getInt(String key, int dflt, int min, int max) {
    String v = getProperty(key);
    if (v == null) {
      return dflt;
    }
    String rule = "must be an integer from " + min + " to " + max;
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        throw invalid(key, v.trim(), rule);
      }
      return n;
    } catch (NumberFormatException e) {
      throw invalid(key, v.trim(), rule);
    }
  }

  /**
   * A string setting matching {@code regex}, or {@code dflt} when it is not set.
   *
   * @param rule what a valid value is, for the message
   */
  public String getMatching(String key, String dflt, String regex, String rule) {
    String v = getProperty(key);
    if (v == null) {
      return dflt;
    }
    String t = v.trim();
    if (!t.matches(regex)) {
      throw invalid(key, t, rule);
    }
    return t;
  }

  /** The valid key fewest single-character edits away (Levenshtein), alphabetically first. */
  static String nearest(String key, Collection<String> valid) {
    return valid.stream().min(Comparator.comparingInt((String v) -> DISTANCE.apply(key, v))
        .thenComparing(Comparator.naturalOrder())).orElseThrow();
  }
}
