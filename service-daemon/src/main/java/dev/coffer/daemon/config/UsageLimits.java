package dev.coffer.daemon.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Optional per-principal monthly request limits ({@code monthly-request-limits} in {@code
 * coffer.properties}): {@code <principal>:<requests>} entries, comma-separated, where the
 * principal is written as in {@code admins} ({@code user/<unix-user>}, {@code
 * group/<unix-group>}, {@code iam-user/<name>}). Each principal an entry names may make that
 * many successful requests per calendar month (UTC); past it, its requests are refused with
 * {@code LimitExceededException} (counted as refused, and audited) until the month ends. A group
 * entry gives each member its own limit; when several entries name a caller, the smallest
 * applies. No entry: no limit (the default).
 *
 * @param entries the limits in the order given
 */
public record UsageLimits(List<Entry> entries) {

  /** One limit: who ({@code user/alice}) and how many successful requests a month. */
  public record Entry(String principal, long requestsPerMonth) {}

  public UsageLimits {
    entries = List.copyOf(entries);
  }

  public static UsageLimits none() {
    return new UsageLimits(List.of());
  }

  static final String KEY = "monthly-request-limits";

  static UsageLimits from(Settings p, UsageLimits dflt) {
    if (!p.containsKey(KEY)) {
      return dflt;
    }
    List<Entry> out = new ArrayList<>();
    for (String e : p.getProperty(KEY).split(",")) {
      String t = e.trim();
      if (t.isEmpty()) {
        continue;
      }
      int colon = t.lastIndexOf(':');
      String who = colon < 0 ? t : t.substring(0, colon);
      String n = colon < 0 ? "" : t.substring(colon + 1);
      if (!who.matches("(user|group)/[A-Za-z0-9._-]{1,64}|iam-user/[A-Za-z0-9+=,.@_-]{1,128}")
          || !n.matches("[0-9]{1,15}")) {
        throw p.invalid(KEY, t, "entries are <principal>:<requests per month>, e.g."
            + " user/alice:100000 or iam-user/ci:5000, comma-separated");
      }
      String name = who.substring(who.indexOf('/') + 1);
      if (who.startsWith("user/") && !UnixNames.userExists(name)) {
        throw p.invalid(KEY, t, "no such Unix user on this host (getent passwd " + name
            + " finds none)");
      }
      if (who.startsWith("group/") && !UnixNames.groupExists(name)) {
        throw p.invalid(KEY, t, "no such Unix group on this host (getent group " + name
            + " finds none)");
      }
      out.add(new Entry(who, Long.parseLong(n)));
    }
    return new UsageLimits(out);
  }
}
