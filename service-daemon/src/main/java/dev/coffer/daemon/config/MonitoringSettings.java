package dev.coffer.daemon.config;

import dev.coffer.daemon.config.HttpsSettings.HostPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.commons.text.StringTokenizer;

/**
 * What the daemon tells an operator on its own ({@code docs/operations.md}, "Metrics" and "Key
 * material expiry events"): the Prometheus endpoint and where imported-material expiry events
 * go.
 *
 * @param metricsListen {@code metrics-listen=HOST:PORT} (or {@code PORT} for {@code
 *     127.0.0.1:PORT}); empty ({@code off}, the default) for no endpoint
 * @param metricsTls {@code metrics-tls=true}: serve HTTPS with the certificate of the HTTPS
 *     endpoint's settings ({@code https-*}); plain HTTP is for loopback addresses only
 * @param expiryWarningDays {@code expiry-warning-days=30,7}: lead times, in days, of the warning
 *     events before imported material expires; distinct, largest first; empty for none
 * @param webhook {@code expiry-event-webhook}: an http(s) URL each event is POSTed to, or empty
 * @param command {@code expiry-event-command}: an absolute path and its arguments, run with each
 *     event on standard input (no shell), or empty
 * @param deliveryTimeout {@code expiry-event-timeout-seconds}: one delivery attempt's bound
 * @param deliveryAttempts {@code expiry-event-attempts}: attempts per event and target before
 *     the daemon gives up (logged)
 */
public record MonitoringSettings(
    Optional<HostPort> metricsListen,
    boolean metricsTls,
    List<Integer> expiryWarningDays,
    Optional<URI> webhook,
    List<String> command,
    Duration deliveryTimeout,
    int deliveryAttempts) {

  /** The Prometheus exporters' conventional port range starts at 9100; this one is unassigned. */
  public static final int DEFAULT_METRICS_PORT = 9464;

  public MonitoringSettings {
    expiryWarningDays = List.copyOf(expiryWarningDays);
    command = List.copyOf(command);
    if (deliveryAttempts < 1 || deliveryTimeout.isNegative() || deliveryTimeout.isZero()) {
      throw new IllegalArgumentException("expiry-event-attempts and"
          + " expiry-event-timeout-seconds must be at least 1");
    }
  }

  /** No metrics endpoint; warnings 30 and 7 days ahead, recorded in the audit log only. */
  public static MonitoringSettings defaults() {
    return new MonitoringSettings(Optional.empty(), false, List.of(30, 7), Optional.empty(),
        List.of(), Duration.ofSeconds(10), 10);
  }

  /** These settings with {@code metrics-listen} replaced (tests; {@code coffer serve}). */
  public MonitoringSettings withMetricsListen(Optional<HostPort> listen) {
    return new MonitoringSettings(listen, metricsTls, expiryWarningDays, webhook, command,
        deliveryTimeout, deliveryAttempts);
  }

  static MonitoringSettings from(Settings p, MonitoringSettings d) {
    return new MonitoringSettings(
        metricsListen(p, d.metricsListen),
        bool(p, "metrics-tls", d.metricsTls),
        p.containsKey("expiry-warning-days") ? warningDays(p) : d.expiryWarningDays,
        p.containsKey("expiry-event-webhook") ? Optional.of(webhook(p)) : d.webhook,
        p.containsKey("expiry-event-command") ? command(p) : d.command,
        Duration.ofSeconds(p.getInt("expiry-event-timeout-seconds",
            (int) d.deliveryTimeout.toSeconds(), 1, 600)),
        p.getInt("expiry-event-attempts", d.deliveryAttempts, 1, 100));
  }

  private static Optional<HostPort> metricsListen(Settings p, Optional<HostPort> d) {
    if (!p.containsKey("metrics-listen")) {
      return d;
    }
    String v = p.get("metrics-listen", "");
    if (v.equals("off")) {
      return Optional.empty();
    }
    try {
      return Optional.of(v.matches("[0-9]{1,5}")
          ? HostPort.parse("127.0.0.1:" + v) : HostPort.parse(v));
    } catch (IllegalArgumentException e) {
      throw p.invalid("metrics-listen", v, e.getMessage() + ", a port alone (127.0.0.1:PORT),"
          + " or off");
    }
  }

  private static boolean bool(Settings p, String key, boolean d) {
    String v = p.get(key, String.valueOf(d));
    return switch (v) {
      case "true" -> true;
      case "false" -> false;
      default -> throw p.invalid(key, v, "must be true or false");
    };
  }

  /** {@code 30,7}: whole days from 1 to 3650, distinct; {@code none} for no warnings. */
  private static List<Integer> warningDays(Settings p) {
    String v = p.get("expiry-warning-days", "");
    if (v.equals("none")) {
      return List.of();
    }
    String rule = "must be whole days from 1 to 3650, comma-separated and distinct (e.g. 30,7),"
        + " or none";
    TreeSet<Integer> days = new TreeSet<>(java.util.Comparator.reverseOrder());
    for (String part : v.split(",", -1)) {
      int d;
      try {
        d = Integer.parseInt(part.trim());
      } catch (NumberFormatException e) {
        throw p.invalid("expiry-warning-days", v, rule);
      }
      if (d < 1 || d > 3650 || !days.add(d)) {
        throw p.invalid("expiry-warning-days", v, rule);
      }
    }
    return new ArrayList<>(days);
  }

  private static URI webhook(Settings p) {
    String v = p.get("expiry-event-webhook", "");
    String rule = "must be an http:// or https:// URL with a host, e.g."
        + " https://alerts.example.com/kms";
    try {
      URI u = new URI(v);
      if (u.getHost() == null || u.getScheme() == null
          || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
        throw p.invalid("expiry-event-webhook", v, rule);
      }
      return u;
    } catch (URISyntaxException e) {
      throw p.invalid("expiry-event-webhook", v, rule);
    }
  }

  /**
   * An absolute program path and its arguments, split at spaces; double quotes group an argument
   * with spaces. No shell runs it, so {@code |}, {@code $VAR} and globs are passed as they are.
   */
  private static List<String> command(Settings p) {
    String v = p.get("expiry-event-command", "");
    List<String> argv = new StringTokenizer(v, ' ', '"').getTokenList();
    if (argv.isEmpty() || !Path.of(argv.get(0)).isAbsolute()) {
      throw p.invalid("expiry-event-command", v, "must start with the absolute path of a"
          + " program, e.g. /usr/local/bin/page-oncall --team kms (run without a shell)");
    }
    if (!java.nio.file.Files.isExecutable(Path.of(argv.get(0)))) {
      throw p.invalid("expiry-event-command", v, argv.get(0) + " is not an executable file"
          + " the daemon's user may run");
    }
    return argv;
  }
}
