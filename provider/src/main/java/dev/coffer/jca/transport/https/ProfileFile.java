package dev.coffer.jca.transport.https;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One AWS shared configuration file ({@code ~/.aws/credentials} or {@code ~/.aws/config}), parsed
 * the way the AWS CLI and SDKs read it ("Configuration and credential file settings", AWS CLI
 * User Guide; SDK v2 {@code ProfileFileReader}):
 *
 * <ul>
 *   <li>{@code #} or {@code ;} at the start of a line begins a comment; in a value, a {@code #}
 *       or {@code ;} after a space or tab begins one (secrets contain neither after a blank).
 *   <li>A credentials file names profiles {@code [name]}; a config file {@code [profile name]},
 *       or {@code [default]}; other config sections ({@code [sso-session x]}, {@code [services
 *       x]}) are skipped.
 *   <li>{@code key = value}, key compared without case, value trimmed; a repeated key or section
 *       is merged, the later value winning.
 *   <li>An indented line after a property continues it (sub-properties such as {@code s3 =}) and
 *       is skipped: no setting Coffer reads uses them.
 * </ul>
 *
 * A line that is none of these makes the file invalid, with its path and line number in the
 * message, as the SDKs refuse such files too.
 */
final class ProfileFile {

  enum Kind { CREDENTIALS, CONFIG }

  private final Map<String, Map<String, String>> profiles;

  private ProfileFile(Map<String, Map<String, String>> profiles) {
    this.profiles = profiles;
  }

  static ProfileFile empty() {
    return new ProfileFile(Map.of());
  }

  /** Reads {@code file}; a missing file is an empty one. */
  static ProfileFile read(Path file, Kind kind) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return empty();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the AWS " + kindName(kind) + " file "
          + file + ": " + e.getMessage(), e);
    }
    return parse(lines, kind, file.toString());
  }

  static ProfileFile parse(List<String> lines, Kind kind, String name) {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    Map<String, String> current = null; // null before the first section or in a skipped one
    boolean inSection = false;
    boolean afterProperty = false;
    int n = 0;
    for (String raw : lines) {
      n++;
      String line = stripEnd(raw);
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
        continue;
      }
      boolean indented = Character.isWhitespace(line.charAt(0));
      if (trimmed.startsWith("[")) {
        String header = stripComment(trimmed);
        if (!header.endsWith("]")) {
          throw invalid(name, n, "a section header must end with ']'");
        }
        String profile = profileName(header.substring(1, header.length() - 1).strip(), kind);
        current = profile == null ? null : out.computeIfAbsent(profile, p -> new HashMap<>());
        inSection = true;
        afterProperty = false;
        continue;
      }
      if (indented && afterProperty) {
        continue; // a sub-property or continued value
      }
      int eq = trimmed.indexOf('=');
      if (eq <= 0) {
        throw invalid(name, n, "expected 'name = value'");
      }
      if (!inSection) {
        throw invalid(name, n, "a property must follow a [section] header");
      }
      afterProperty = true;
      if (current != null) {
        String key = trimmed.substring(0, eq).strip().toLowerCase(Locale.ROOT);
        current.put(key, stripComment(trimmed.substring(eq + 1)).strip());
      }
    }
    return new ProfileFile(out);
  }

  /** The profile's name for a section header, or null for a section that is not a profile. */
  private static String profileName(String section, Kind kind) {
    if (kind == Kind.CREDENTIALS) {
      return section.isEmpty() || section.startsWith("profile ") ? null : section;
    }
    if (section.equals("default")) {
      return section;
    }
    if (section.startsWith("profile ") || section.startsWith("profile\t")) {
      String p = section.substring(8).strip();
      return p.isEmpty() ? null : p;
    }
    return null;
  }

  /** The profile's properties (keys lower case), or null if the file has no such profile. */
  Map<String, String> profile(String name) {
    Map<String, String> p = profiles.get(name);
    return p == null ? null : Map.copyOf(p);
  }

  private static String stripComment(String s) {
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c == '#' || c == ';') && (s.charAt(i - 1) == ' ' || s.charAt(i - 1) == '\t')) {
        return s.substring(0, i).stripTrailing();
      }
    }
    return s;
  }

  private static String stripEnd(String s) {
    return s.stripTrailing();
  }

  private static String kindName(Kind kind) {
    return kind == Kind.CREDENTIALS ? "credentials" : "config";
  }

  private static IllegalArgumentException invalid(String file, int line, String what) {
    return new IllegalArgumentException(
        "the AWS profile file " + file + " is invalid at line " + line + ": " + what);
  }
}
