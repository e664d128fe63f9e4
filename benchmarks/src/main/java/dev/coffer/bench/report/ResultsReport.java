package dev.coffer.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.bench.support.Shows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Turns a JMH JSON result file into {@code RESULTS.md}: the machine, JDK and date, one table per
 * benchmark class (score, error, MB/s where a {@code size} parameter exists, latency percentiles
 * for sample-time runs), and each peer's throughput relative to the {@code SunJCE} case with
 * the same operation and parameters.
 *
 * <p>Usage: {@code ResultsReport results.json RESULTS.md [profile]}. A {@code FINDINGS.md} beside
 * the output (hand-written analysis) is appended.
 */
public final class ResultsReport {

  static final String BASELINE = "SunJCE";
  static final String PEER_PARAM = "provider";
  /** The secondary metric of {@code support.DaemonRoundTrips} (JMH names it after the field). */
  static final String ROUND_TRIPS = "daemonRoundTrips";

  private ResultsReport() {}

  /** One JMH result row. */
  record Row(String benchmarkClass, String method, String mode, Map<String, String> params,
      double score, double error, String unit, JsonNode percentiles, int threads,
      String jvmArgs, double roundTripsPerOp, int forks, List<Double> measurements) {

    /** The median of every measured iteration of every fork (for single shots: of the forks). */
    double median() {
      if (measurements.isEmpty()) {
        return Double.NaN;
      }
      List<Double> m = measurements.stream().sorted().toList();
      int n = m.size();
      return n % 2 == 1 ? m.get(n / 2) : (m.get(n / 2 - 1) + m.get(n / 2)) / 2;
    }

    /** This row with its median as the score, so rates and ratios can be taken of medians. */
    Row byMedian() {
      return new Row(benchmarkClass, method, mode, params, median(), Double.NaN, unit,
          percentiles, threads, jvmArgs, roundTripsPerOp, forks, measurements);
    }

    String peer() {
      return params.getOrDefault(PEER_PARAM, "");
    }

    /** Parameters other than the peer, in JMH's order: the key that pairs a peer with SunJCE. */
    String caseKey() {
      return method + "|" + mode + "|" + params.entrySet().stream()
          .filter(e -> !e.getKey().equals(PEER_PARAM))
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    String otherParams() {
      return params.entrySet().stream().filter(e -> !e.getKey().equals(PEER_PARAM))
          .map(e -> e.getKey().equals("size") ? humanSize(Long.parseLong(e.getValue()))
              : e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining(", "));
    }

    long sizeOrZero() {
      String s = params.get("size");
      return s == null ? 0 : Long.parseLong(s);
    }

    /** Operations per second, or NaN when the unit is not a rate. */
    double opsPerSecond() {
      return switch (unit) {
        case "ops/s" -> score;
        case "ops/ms" -> score * 1e3;
        case "ops/us" -> score * 1e6;
        case "ops/ns" -> score * 1e9;
        case "s/op" -> 1 / score;
        case "ms/op" -> 1e3 / score;
        case "us/op" -> 1e6 / score;
        case "ns/op" -> 1e9 / score;
        default -> Double.NaN;
      };
    }
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 2) {
      System.err.println("usage: ResultsReport results.json RESULTS.md [profile [more.json ...]]");
      System.exit(2);
    }
    Path in = Path.of(args[0]);
    Path out = Path.of(args[1]);
    String profile = args.length > 2 ? args[2] : "";
    ObjectMapper mapper = new ObjectMapper();
    JsonNode root = mapper.readTree(in.toFile());
    for (int i = 3; i < args.length; i++) {
      // Runs made with other JMH options (the cold-start run): their rows carry their own.
      ((com.fasterxml.jackson.databind.node.ArrayNode) root)
          .addAll((com.fasterxml.jackson.databind.node.ArrayNode) mapper.readTree(
              Path.of(args[i]).toFile()));
    }
    Instant measuredAt = Files.getLastModifiedTime(in).toInstant();
    String report = render(root, profile, machine(measuredAt));
    // Analysis outlives a regeneration: it lives in FINDINGS.md beside the report.
    Path parent = out.toAbsolutePath().getParent();
    Path findings = parent == null ? null : parent.resolve("FINDINGS.md");
    if (findings != null && Files.isRegularFile(findings)) {
      report += "\n---\n\n_Appended from `benchmarks/FINDINGS.md` (hand-written; the numbers there "
          + "are from the runs it names, not necessarily the tables above)._\n\n"
          + Files.readString(findings, StandardCharsets.UTF_8);
    }
    Files.writeString(out, report, StandardCharsets.UTF_8);
    System.out.println("wrote " + out);
  }

  static String render(JsonNode root, String profile, Map<String, String> machine) {
    List<Row> rows = new ArrayList<>();
    for (JsonNode r : root) {
      String full = r.get("benchmark").asText();
      int dot = full.lastIndexOf('.');
      Map<String, String> params = new LinkedHashMap<>();
      JsonNode p = r.get("params");
      if (p != null) {
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          params.put(e.getKey(), e.getValue().asText());
        }
      }
      JsonNode m = r.get("primaryMetric");
      // An auxiliary counter is reported as a rate in the primary metric's unit.
      JsonNode trips = r.path("secondaryMetrics").path(ROUND_TRIPS);
      double tripsPerOp = trips.isMissingNode() || m.get("score").asDouble() == 0 ? Double.NaN
          : trips.get("score").asDouble() / m.get("score").asDouble();
      List<Double> measured = new ArrayList<>();
      m.path("rawData").forEach(fork -> fork.forEach(v -> measured.add(v.asDouble())));
      rows.add(new Row(full.substring(0, dot), full.substring(dot + 1), r.get("mode").asText(),
          params, m.get("score").asDouble(), m.path("scoreError").asDouble(Double.NaN),
          m.get("scoreUnit").asText(), m.get("scorePercentiles"), r.path("threads").asInt(1),
          jvmArgs(r.path("jvmArgs")), tripsPerOp, r.path("forks").asInt(1), measured));
    }

    StringBuilder b = new StringBuilder();
    b.append("# Coffer benchmark results\n\n");
    b.append("Generated by `benchmarks/run.sh").append(profile.isEmpty() ? "" : " " + profile)
        .append("` (`dev.coffer.bench.report.ResultsReport`); do not edit by hand.\n\n");
    b.append("| | |\n|---|---|\n");
    machine.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    if (root.size() > 0) {
      JsonNode first = root.get(0);
      b.append("| JDK | ").append(first.path("jdkVersion").asText()).append(", ")
          .append(first.path("vmName").asText()).append(' ')
          .append(first.path("vmVersion").asText()).append(" |\n");
      b.append("| JMH | ").append(first.path("jmhVersion").asText()).append(" |\n");
      b.append("| profile | ").append(profile.isEmpty() ? "" : profile + ": ")
          .append(first.path("forks").asInt()).append(" fork(s), ")
          .append(first.path("warmupIterations").asInt()).append(" × ")
          .append(first.path("warmupTime").asText()).append(" warm-up, ")
          .append(first.path("measurementIterations").asInt()).append(" × ")
          .append(first.path("measurementTime").asText()).append(" measured (client threads "
              + "and JVM options per case, below) |\n");
    }
    b.append("\nMB/s is 10^6 bytes of plaintext per second. Scores are mean ± 99.9% "
        + "confidence half-width as JMH reports them; with one fork the error understates "
        + "run-to-run variation.\n");

    Map<String, List<Row>> byClass = new LinkedHashMap<>();
    rows.forEach(r -> byClass.computeIfAbsent(r.benchmarkClass(), k -> new ArrayList<>()).add(r));
    byClass.forEach((cls, list) -> renderClass(b, cls, list, rows));
    return b.toString();
  }

  private static void renderClass(StringBuilder b, String cls, List<Row> rows, List<Row> all) {
    String simple = cls.substring(cls.lastIndexOf('.') + 1);
    b.append("\n## ").append(simple).append("\n\n");
    Shows annotation = shows(cls);
    if (annotation != null) {
      b.append(annotation.value()).append("\n\n");
    }
    String baselinePeer = annotation == null ? BASELINE : annotation.baseline();
    String args = rows.get(0).jvmArgs();
    if (!args.isEmpty()) {
      b.append("JVM options: `").append(args).append("`.\n\n");
    }
    boolean singleShot = rows.stream().allMatch(r -> r.mode().equals("ss"));
    if (singleShot) {
      b.append("Single shot: one measured call in each of ").append(rows.get(0).forks())
          .append(" fresh JVM(s), no warm-up iteration; the score is the mean time of that "
              + "call, MB/s the bytes it processed over that time. A fresh JVM's first calls "
              + "vary from fork to fork, so every fork's time is listed and ratios are given of "
              + "medians too.\n\n");
    }
    List<String> peerOrder = rows.stream().map(Row::peer).distinct().toList();
    Comparator<Row> order = Comparator.comparing(Row::method).thenComparing(Row::mode)
        .thenComparingLong(Row::sizeOrZero).thenComparing(Row::otherParams)
        .thenComparingInt(r -> peerOrder.indexOf(r.peer()));
    List<Row> sorted = rows.stream().sorted(order).toList();
    boolean sample = sorted.stream().anyMatch(r -> r.percentiles() != null
        && r.percentiles().size() > 0 && r.mode().equals("sample"));

    boolean trips = sorted.stream().anyMatch(r -> !Double.isNaN(r.roundTripsPerOp()));
    b.append("| operation | case | peer | score | MB/s |")
        .append(sample ? " p50 | p99 | p99.9 |" : "")
        .append(trips ? " daemon round trips / message |" : "")
        .append(singleShot ? " median | each fork |" : "").append('\n');
    b.append("|---|---|---|---:|---:|").append(sample ? "---:|---:|---:|" : "")
        .append(trips ? "---:|" : "").append(singleShot ? "---:|---|" : "").append('\n');
    for (Row r : sorted) {
      double ops = r.opsPerSecond();
      String mbs = r.sizeOrZero() > 0 && !Double.isNaN(ops)
          ? fmt(ops * r.sizeOrZero() / 1e6) : "";
      b.append("| ").append(r.method())
          .append(r.mode().equals("thrpt") ? "" : " (" + r.mode() + ")")
          .append(r.threads() > 1 && !r.method().contains("thread")
              ? ", " + r.threads() + " threads" : "")
          .append(" | ").append(r.otherParams()).append(" | ").append(r.peer())
          .append(" | ").append(score(r))
          .append(" | ").append(mbs).append(" |");
      if (sample) {
        for (String q : List.of("50.0", "99.0", "99.9")) {
          // JMH attaches percentiles of the iteration scores to every mode; only sample-time
          // percentiles are latencies.
          JsonNode v = r.percentiles() == null || !r.mode().equals("sample") ? null
              : r.percentiles().get(q);
          b.append(' ').append(v == null ? "" : fmt(v.asDouble()) + " " + r.unit()).append(" |");
        }
      }
      if (trips) {
        // Only Coffer's provider talks to the daemon; the counter is meaningless for peers.
        b.append(' ').append(Double.isNaN(r.roundTripsPerOp()) || !r.peer().startsWith("Coffer")
            ? "" : String.format(Locale.ROOT, "%.4f", r.roundTripsPerOp())).append(" |");
      }
      if (singleShot) {
        b.append(' ').append(fmt(r.median())).append(' ').append(r.unit()).append(" | ")
            .append(r.measurements().stream().sorted().map(ResultsReport::fmt)
                .collect(Collectors.joining(", ")))
            .append(" |");
      }
      b.append('\n');
    }

    // Each peer against the class's baseline peer with the same operation and parameters;
    // a class that does not measure the baseline itself borrows it from another class.
    Map<String, Row> baseline = new LinkedHashMap<>();
    sorted.stream().filter(r -> r.peer().equals(baselinePeer))
        .forEach(r -> baseline.put(r.caseKey(), r));
    String borrowedFrom = null;
    if (baseline.isEmpty()) {
      // Only cases this class measures: another class's other cases must not name the source.
      List<String> keys = sorted.stream().map(Row::caseKey).distinct().toList();
      for (Row r : all) {
        if (r.peer().equals(baselinePeer) && !r.benchmarkClass().equals(cls)
            && keys.contains(r.caseKey()) && !baseline.containsKey(r.caseKey())) {
          baseline.put(r.caseKey(), r);
          borrowedFrom = r.benchmarkClass().substring(r.benchmarkClass().lastIndexOf('.') + 1);
        }
      }
    }
    if (baseline.isEmpty()) {
      return;
    }
    List<String> peers = peerOrder.stream().filter(p -> !p.equals(baselinePeer) && !p.isEmpty())
        .toList();
    if (peers.isEmpty()) {
      return;
    }
    b.append("\nThroughput relative to ").append(baselinePeer)
        .append(borrowedFrom == null ? "" : " (measured in `" + borrowedFrom + "`)")
        .append(" in the same run (1.00 = as fast; above 1 = faster):\n\n");
    // Ratios of the scores, and for single shots of the fork medians too.
    Map<String, UnaryOperator<Row>> measures = new LinkedHashMap<>();
    measures.put("", r -> r);
    if (singleShot) {
      measures.put(", medians", Row::byMedian);
    }
    b.append("| operation | case |");
    measures.keySet().forEach(suffix -> peers.forEach(p -> b.append(' ').append(p).append(" / ")
        .append(baselinePeer).append(suffix).append(" |")));
    b.append('\n').append("|---|---|").append("---:|".repeat(measures.size() * peers.size()))
        .append('\n');
    Map<String, Map<String, Row>> byCase = new TreeMap<>();
    List<String> caseOrder = new ArrayList<>();
    for (Row r : sorted) {
      if (!caseOrder.contains(r.caseKey())) {
        caseOrder.add(r.caseKey());
      }
      byCase.computeIfAbsent(r.caseKey(), k -> new LinkedHashMap<>()).put(r.peer(), r);
    }
    for (String key : caseOrder) {
      Row base = baseline.get(key);
      if (base == null) {
        continue;
      }
      b.append("| ").append(base.method()).append(" | ").append(base.otherParams()).append(" |");
      for (UnaryOperator<Row> measure : measures.values()) {
        for (String p : peers) {
          Row r = byCase.get(key).get(p);
          b.append(' ').append(r == null ? "" : String.format(Locale.ROOT, "%.2f",
              measure.apply(r).opsPerSecond() / measure.apply(base).opsPerSecond()))
              .append(" |");
        }
      }
      b.append('\n');
    }
  }

  private static Shows shows(String cls) {
    try {
      return Class.forName(cls).getAnnotation(Shows.class);
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
  }

  private static String jvmArgs(JsonNode args) {
    List<String> a = new ArrayList<>();
    args.forEach(x -> a.add(x.asText()));
    return String.join(" ", a);
  }

  /** Throughput in ops/s whatever unit JMH used; other modes as JMH reported them. */
  static String score(Row r) {
    double factor = r.mode().equals("thrpt") ? r.opsPerSecond() / r.score() : Double.NaN;
    if (Double.isNaN(factor) || Double.isInfinite(factor)) {
      return fmt(r.score()) + (Double.isNaN(r.error()) ? "" : " ± " + fmt(r.error())) + " "
          + r.unit();
    }
    return fmt(r.score() * factor) + (Double.isNaN(r.error()) ? "" : " ± "
        + fmt(r.error() * factor)) + " ops/s";
  }

  /** The machine and the time the results were written ({@code measuredAt}). */
  static Map<String, String> machine(Instant measuredAt) throws InterruptedException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("date", ZonedDateTime.ofInstant(measuredAt, ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")));
    m.put("nproc", command("nproc", String.valueOf(Runtime.getRuntime().availableProcessors())));
    m.put("CPU", cpuModel());
    m.put("uname -a", command("uname -a", ""));
    // run.sh records the commit before building, so a report regenerated later stays truthful.
    String commit = System.getenv("COFFER_BENCH_COMMIT");
    if (commit != null && !commit.isBlank()) {
      m.put("commit", commit.strip());
    }
    return m;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
          .findFirst().orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String command(String cmd, String fallback) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(cmd.split(" ")).redirectErrorStream(true).start();
      String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.waitFor() == 0 && !s.isEmpty() ? s.replace("|", "\\|") : fallback;
    } catch (IOException e) {
      return fallback;
    }
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "";
    }
    double a = Math.abs(v);
    if (a >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    return String.format(Locale.ROOT, "%.3g", v);
  }

  static String humanSize(long bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return bytes / (1 << 20) + " MiB";
    }
    if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
      return bytes / (1 << 10) + " KiB";
    }
    return bytes + " B";
  }
}
