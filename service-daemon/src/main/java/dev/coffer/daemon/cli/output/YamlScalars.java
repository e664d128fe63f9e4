package dev.coffer.daemon.cli.output;

import java.util.regex.Pattern;

/**
 * How a string must be written in YAML: whether a reader would take it for another type (and so
 * it needs quotes), and which scalar styles can carry it; the rules of PyYAML's resolver and
 * emitter, which AWS CLI v2's ruamel.yaml shares.
 */
final class YamlScalars {
  private YamlScalars() {}

  // PyYAML's implicit resolvers (resolver.py), which decide whether a string needs quotes.
  private static final Pattern IMPLICIT = Pattern.compile(String.join("|",
      "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
      "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?",
      "\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
      "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*",
      "[-+]?\\.(?:inf|Inf|INF)", "\\.(?:nan|NaN|NAN)",
      "[-+]?0b[0-1_]+", "[-+]?0[0-7_]+", "[-+]?(?:0|[1-9][0-9_]*)", "[-+]?0x[0-9a-fA-F_]+",
      "[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
      "<<", "~|null|Null|NULL|",
      "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",
      "[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]"
          + ":[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?",
      "="));

  /** True when YAML 1.1 reads {@code s}, unquoted, as a bool, number, null, date, merge or value. */
  static boolean readsAsAnotherType(String s) {
    return IMPLICIT.matcher(s).matches();
  }

  /** What PyYAML's Emitter.analyze_scalar finds out about a string, for block context. */
  static final class Analysis {
    boolean empty;
    boolean multiline;
    boolean allowBlockPlain = true;
    boolean allowSingleQuoted = true;
  }

  private static boolean space(char c) {
    return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\u0085'
        || c == '\u2028' || c == '\u2029';
  }

  static boolean lineBreakChar(char c) {
    return c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029';
  }

  /** PyYAML's Emitter.analyze_scalar, for block context with allow_unicode. */
  static Analysis analyze(String s) {
    Analysis a = new Analysis();
    if (s.isEmpty()) {
      a.empty = true;
      return a;
    }
    boolean blockIndicators = s.startsWith("---") || s.startsWith("...");
    boolean lineBreaks = false;
    boolean special = false;
    boolean leadingSpace = false;
    boolean leadingBreak = false;
    boolean trailingSpace = false;
    boolean trailingBreak = false;
    boolean breakSpace = false;
    boolean spaceBreak = false;
    boolean precededByWs = true;
    boolean followedByWs = s.length() == 1 || space(s.charAt(1));
    boolean previousSpace = false;
    boolean previousBreak = false;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (i == 0) {
        if ("#,[]{}&*!|>'\"%@`".indexOf(ch) >= 0) {
          blockIndicators = true;
        }
        if ((ch == '?' || ch == ':') && followedByWs) {
          blockIndicators = true;
        }
        if (ch == '-' && followedByWs) {
          blockIndicators = true;
        }
      } else {
        if (ch == ':' && followedByWs) {
          blockIndicators = true;
        }
        if (ch == '#' && precededByWs) {
          blockIndicators = true;
        }
      }
      if (lineBreakChar(ch)) {
        lineBreaks = true;
      }
      if (!(ch == '\n' || (ch >= 0x20 && ch <= 0x7E))) {
        boolean printable = ch == '\u0085' || (ch >= '\u00A0' && ch <= '\uD7FF')
            || (ch >= '\uE000' && ch <= '\uFFFD') || Character.isSurrogate(ch);
        if (!printable || ch == '\uFEFF') {
          special = true;
        }
      }
      if (ch == ' ') {
        if (i == 0) {
          leadingSpace = true;
        }
        if (i == s.length() - 1) {
          trailingSpace = true;
        }
        if (previousBreak) {
          breakSpace = true;
        }
        previousSpace = true;
        previousBreak = false;
      } else if (lineBreakChar(ch)) {
        if (i == 0) {
          leadingBreak = true;
        }
        if (i == s.length() - 1) {
          trailingBreak = true;
        }
        if (previousSpace) {
          spaceBreak = true;
        }
        previousSpace = false;
        previousBreak = true;
      } else {
        previousSpace = false;
        previousBreak = false;
      }
      precededByWs = space(ch);
      followedByWs = i + 2 >= s.length() || space(s.charAt(i + 2));
    }
    a.multiline = lineBreaks;
    if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
      a.allowBlockPlain = false;
    }
    if (breakSpace) {
      a.allowBlockPlain = false;
      a.allowSingleQuoted = false;
    }
    if (spaceBreak || special) {
      a.allowBlockPlain = false;
      a.allowSingleQuoted = false;
    }
    if (lineBreaks || blockIndicators) {
      a.allowBlockPlain = false;
    }
    return a;
  }
}
