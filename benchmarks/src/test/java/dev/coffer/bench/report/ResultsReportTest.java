package dev.coffer.bench.report;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's arithmetic and layout on a hand-written JMH result file (no timing asserted). */
class ResultsReportTest {

  private static final String JMH_JSON = """
      [
       {"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.encrypt","mode":"thrpt",
        "jdkVersion":"17.0.15","vmName":"OpenJDK 64-Bit Server VM","vmVersion":"17.0.15+6",
        "jmhVersion":"1.37","forks":1,"threads":1,"warmupIterations":2,"warmupTime":"2 s",
        "measurementIterations":3,"measurementTime":"2 s","jvmArgs":["-Xmx1g"],
        "params":{"provider":"Coffer","size":"65536"},
        "primaryMetric":{"score":500.0,"scoreError":10.0,"scoreUnit":"ops/s"}},
       {"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.encrypt","mode":"thrpt",
        "params":{"provider":"SunJCE","size":"65536"},
        "primaryMetric":{"score":1000.0,"scoreError":20.0,"scoreUnit":"ops/s"}},
       {"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.decrypt","mode":"thrpt",
        "params":{"provider":"Coffer","size":"1024"},
        "primaryMetric":{"score":3.0,"scoreError":0.1,"scoreUnit":"ops/ms"}}
      ]
      """;

  private static String render() throws Exception {
    JsonNode root = new ObjectMapper().readTree(JMH_JSON);
    Map<String, String> machine = new LinkedHashMap<>();
    machine.put("nproc", "2");
    return ResultsReport.render(root, "short", machine);
  }

  @Test
  void peerAndSunJceWithSameParameters_ratioIsTheirThroughputQuotient() throws Exception {
    String md = render();
    assertTrue(md.contains("| encrypt | 64 KiB | 0.50 |"), md);
  }

  @Test
  void sizeParameter_givesMegabytesPerSecondFromAnyRateUnit() throws Exception {
    String md = render();
    // 1000 ops/s x 65536 B = 65.5 MB/s; 3 ops/ms x 1024 B = 3.07 MB/s
    assertTrue(md.contains("| encrypt | 64 KiB | SunJCE | 1,000 ± 20.00 ops/s | 65.54 |"), md);
    assertTrue(md.contains("| decrypt | 1 KiB | Coffer | 3,000 ± 100 ops/s | 3.07 |"), md);
  }

  @Test
  void caseWithoutSunJceRow_hasNoRatioLine() throws Exception {
    String md = render();
    assertFalse(md.contains("| decrypt | 1 KiB | |"), md);
    assertFalse(md.contains("| decrypt | 1 KiB | 0"), md);
  }

  @Test
  void header_namesMachineJdkAndProfile() throws Exception {
    String md = render();
    assertTrue(md.contains("| nproc | 2 |"), md);
    assertTrue(md.contains("17.0.15, OpenJDK 64-Bit Server VM 17.0.15+6"), md);
    assertTrue(md.contains("short: 1 fork(s), 2 × 2 s warm-up, 3 × 2 s measured"), md);
    assertTrue(md.contains("JVM options: `-Xmx1g`."), md);
    assertTrue(md.contains("Envelope AES-GCM with a KMS handle"), md);
  }

  @Test
  void roundTripCounter_printedPerMessageForCofferRowsOnly() throws Exception {
    JsonNode root = new ObjectMapper().readTree("""
        [{"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.decrypt","mode":"thrpt",
          "params":{"provider":"Coffer","size":"1024"},
          "primaryMetric":{"score":2000.0,"scoreError":1.0,"scoreUnit":"ops/s"},
          "secondaryMetrics":{"daemonRoundTrips":{"score":0.0,"scoreUnit":"ops/s"}}},
         {"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.decrypt","mode":"thrpt",
          "params":{"provider":"CofferNoCache","size":"1024"},
          "primaryMetric":{"score":400.0,"scoreError":1.0,"scoreUnit":"ops/s"},
          "secondaryMetrics":{"daemonRoundTrips":{"score":400.0,"scoreUnit":"ops/s"}}},
         {"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.decrypt","mode":"thrpt",
          "params":{"provider":"SunJCE","size":"1024"},
          "primaryMetric":{"score":4000.0,"scoreError":1.0,"scoreUnit":"ops/s"},
          "secondaryMetrics":{"daemonRoundTrips":{"score":0.0,"scoreUnit":"ops/s"}}}]
        """);
    String md = ResultsReport.render(root, "short", Map.of());
    assertTrue(md.contains("daemon round trips / message |"), md);
    assertTrue(md.contains("| decrypt | 1 KiB | Coffer | 2,000 ± 1.00 ops/s | 2.05 | 0.0000 |"),
        md);
    assertTrue(md.contains("| decrypt | 1 KiB | CofferNoCache | 400 ± 1.00 ops/s | 0.410 | 1.0000 |"),
        md);
    assertTrue(md.contains("| decrypt | 1 KiB | SunJCE | 4,000 ± 1.00 ops/s | 4.10 |  |"), md);
  }

  @Test
  void singleShotRows_saySoAndRateTheirBytesOverTheCallTime() throws Exception {
    JsonNode root = new ObjectMapper().readTree("""
        [{"benchmark":"dev.coffer.bench.ColdStartBenchmark.encrypt","mode":"ss","forks":3,
          "params":{"provider":"Coffer","size":"33554432"},
          "primaryMetric":{"score":100.0,"scoreError":5.0,"scoreUnit":"ms/op",
            "rawData":[[10.0],[270.0],[20.0]]}},
         {"benchmark":"dev.coffer.bench.ColdStartBenchmark.encrypt","mode":"ss","forks":3,
          "params":{"provider":"SunJCE","size":"33554432"},
          "primaryMetric":{"score":400.0,"scoreError":5.0,"scoreUnit":"ms/op",
            "rawData":[[400.0],[390.0],[410.0]]}}]
        """);
    String md = ResultsReport.render(root, "short", Map.of());
    assertTrue(md.contains("Single shot: one measured call in each of 3 fresh JVM(s)"), md);
    // 32 MiB in 100 ms = 336 MB/s; every fork listed, sorted, with their median
    assertTrue(md.contains(
        "| encrypt (ss) | 32 MiB | Coffer | 100 ± 5.00 ms/op | 336 | 20.00 ms/op | 10.00, 20.00, 270 |"),
        md);
    // SunJCE takes four times as long on average, twenty times by medians (400 / 20)
    assertTrue(md.contains("| Coffer / SunJCE | Coffer / SunJCE, medians |"), md);
    assertTrue(md.contains("| encrypt | 32 MiB | 4.00 | 20.00 |"), md);
  }

  @Test
  void onlySunJceMeasured_printsNoRatioTable() throws Exception {
    JsonNode root = new ObjectMapper().readTree("""
        [{"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.encrypt","mode":"thrpt",
          "params":{"provider":"SunJCE","size":"1024"},
          "primaryMetric":{"score":10.0,"scoreError":1.0,"scoreUnit":"ops/s"}}]
        """);
    String md = ResultsReport.render(root, "short", Map.of());
    assertFalse(md.contains("relative to"), md);
  }

  @Test
  void classWithoutItsBaselineRow_borrowsTheBaselineFromAnotherClassAndSaysSo() throws Exception {
    JsonNode root = new ObjectMapper().readTree("""
        [{"benchmark":"dev.coffer.bench.EnvelopeCipherBenchmark.encrypt","mode":"thrpt",
          "params":{"provider":"Coffer","size":"1024"},
          "primaryMetric":{"score":400.0,"scoreError":1.0,"scoreUnit":"ops/s"}},
         {"benchmark":"dev.coffer.bench.EnvelopeNoCacheBenchmark.encrypt","mode":"thrpt",
          "params":{"provider":"CofferNoCache","size":"1024"},
          "primaryMetric":{"score":100.0,"scoreError":1.0,"scoreUnit":"ops/s"}},
         {"benchmark":"dev.coffer.bench.ColdStartBenchmark.encrypt","mode":"thrpt",
          "params":{"provider":"Coffer","size":"33554432"},
          "primaryMetric":{"score":3.0,"scoreError":1.0,"scoreUnit":"ops/s"}}]
        """);
    String md = ResultsReport.render(root, "short", Map.of());
    // Named after the class that measured the same case, not after any class with a Coffer row.
    assertTrue(md.contains("relative to Coffer (measured in `EnvelopeCipherBenchmark`)"), md);
    assertTrue(md.contains("| encrypt | 1 KiB | 0.25 |"), md);
  }

  @Test
  void clusterRows_divideByTheSingleSqliteNodeOfTheSameRun() throws Exception {
    JsonNode root = new ObjectMapper().readTree("""
        [{"benchmark":"dev.coffer.bench.ClusterBenchmark.encrypt_4threads","mode":"thrpt",
          "threads":4,"params":{"provider":"sqlite-1node"},
          "primaryMetric":{"score":10000.0,"scoreError":1.0,"scoreUnit":"ops/s"}},
         {"benchmark":"dev.coffer.bench.ClusterBenchmark.encrypt_4threads","mode":"thrpt",
          "threads":4,"params":{"provider":"postgresql-2nodes"},
          "primaryMetric":{"score":8500.0,"scoreError":1.0,"scoreUnit":"ops/s"}},
         {"benchmark":"dev.coffer.bench.ClusterBenchmark.createKey_1thread","mode":"thrpt",
          "params":{"provider":"sqlite-1node"},
          "primaryMetric":{"score":400.0,"scoreError":1.0,"scoreUnit":"ops/s"}},
         {"benchmark":"dev.coffer.bench.ClusterBenchmark.createKey_1thread","mode":"thrpt",
          "params":{"provider":"postgresql-2nodes"},
          "primaryMetric":{"score":100.0,"scoreError":1.0,"scoreUnit":"ops/s"}}]
        """);
    String md = ResultsReport.render(root, "short", Map.of());
    assertTrue(md.contains("Throughput relative to sqlite-1node in the same run"), md);
    assertTrue(md.contains("| postgresql-2nodes / sqlite-1node |"), md);
    assertTrue(md.contains("| encrypt_4threads |  | 0.85 |"), md);
    assertTrue(md.contains("| createKey_1thread |  | 0.25 |"), md);
    assertTrue(md.contains("| createKey_1thread |  | postgresql-2nodes | 100 ± 1.00 ops/s |"), md);
  }

  @Test
  void sampleTimeRows_printTheirPercentiles() throws Exception {
    JsonNode root = new ObjectMapper().readTree("""
        [{"benchmark":"dev.coffer.bench.DirectKmsCipherBenchmark.encrypt_1thread","mode":"sample",
          "params":{},
          "primaryMetric":{"score":40.0,"scoreError":1.0,"scoreUnit":"us/op",
            "scorePercentiles":{"50.0":30.0,"99.0":120.0,"99.9":400.0}}},
         {"benchmark":"dev.coffer.bench.DirectKmsCipherBenchmark.encrypt_1thread","mode":"thrpt",
          "params":{},
          "primaryMetric":{"score":0.025,"scoreError":0.001,"scoreUnit":"ops/us",
            "scorePercentiles":{"50.0":0.025,"99.0":0.026,"99.9":0.026}}}]
        """);
    String md = ResultsReport.render(root, "short", Map.of());
    assertTrue(md.contains("| 30.00 us/op | 120 us/op | 400 us/op |"), md);
    // Throughput in ops/s whatever the unit; no "percentiles" of iteration scores.
    assertTrue(md.contains("| encrypt_1thread |  |  | 25,000 ± 1,000 ops/s |  |  |  |  |"), md);
  }
}
