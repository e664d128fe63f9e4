package dev.coffer.daemon.policy;

import java.util.Locale;

/** AWS policy wildcards: {@code *} any run of characters, {@code ?} any one character. */
final class Glob {
  private Glob() {}

  static boolean matches(String pattern, String s) {
    return match(pattern, 0, s, 0);
  }

  static boolean matchesIgnoreCase(String pattern, String s) {
    return match(pattern.toLowerCase(Locale.ROOT), 0, s.toLowerCase(Locale.ROOT), 0);
  }

  private static boolean match(String p, int pi, String s, int si) {
    // Iterative with one backtrack point: linear for the patterns policies use.
    int star = -1;
    int mark = 0;
    while (si < s.length()) {
      if (pi < p.length() && (p.charAt(pi) == '?' || p.charAt(pi) == s.charAt(si))) {
        pi++;
        si++;
      } else if (pi < p.length() && p.charAt(pi) == '*') {
        star = pi++;
        mark = si;
      } else if (star >= 0) {
        pi = star + 1;
        si = ++mark;
      } else {
        return false;
      }
    }
    while (pi < p.length() && p.charAt(pi) == '*') {
      pi++;
    }
    return pi == p.length();
  }
}
