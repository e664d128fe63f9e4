package dev.coffer.daemon.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The output formats against the installed AWS CLI's own formatters on the same values, byte
 * for byte: awkward shapes (nested lists, lists of dicts with different keys, empty and null
 * values, booleans, floats, wide characters, long and multi-line strings, strings YAML would
 * read as other types), each with and without a JMESPath query.
 */
class CliOutputFormatsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final List<String> VALUES = List.of(
      "{\"KeyMetadata\":{\"KeyId\":\"1234abcd\",\"Enabled\":true,\"CreationDate\":1.796035264239E9,"
          + "\"DeletionDate\":1796035264,\"Description\":\"\",\"EncryptionAlgorithms\":"
          + "[\"SYMMETRIC_DEFAULT\"],\"MultiRegion\":false,\"PendingDeletionWindowInDays\":7}}",
      "{\"Keys\":[{\"KeyId\":\"a\",\"KeyArn\":\"arn:a\"},{\"KeyId\":\"b\",\"KeyArn\":\"arn:b\","
          + "\"Extra\":[1,2]}],\"Truncated\":false}",
      // No null members: botocore drops them before the AWS CLI formats (so does coffer), and
      // jmespath-jackson's "*" keeps them where the JMESPath spec drops them.
      "{\"Aliases\":[],\"Tags\":{},\"Nested\":[[1,2],[\"x\",[3]],4]}",
      "{\"Description\":\"Orders of the shop's customers in Zürich, kept for ten years as the"
          + " law requires; rotate yearly and never share the key with anyone, even Bob\","
          + "\"Wide\":\"鍵の説明\",\"Quote\":\"it's\",\"Policy\":\"{\\n  \\\"Version\\\": "
          + "\\\"2012-10-17\\\",\\n  \\\"Id\\\": \\\"key-default-1\\\"\\n}\"}",
      "{\"Yes\":\"yes\",\"True\":\"true\",\"Num\":\"123\",\"Float\":\"1.5\",\"Null\":\"null\","
          + "\"Date\":\"2026-01-01\",\"Colon\":\"a: b\",\"Dash\":\"- x\",\"Hash\":\"a #b\","
          + "\"Star\":\"*x\",\"Tab\":\"a\\tb\",\"Lead\":\" x\",\"Small\":0.001,\"Big\":1e20,"
          + "\"Neg\":-2.5}",
      "[{\"a\":1,\"b\":{\"c\":[{\"d\":\"e\"},{\"d\":\"f\",\"g\":true}]}},{\"a\":2}]",
      "\"just a string\"", "42", "[]", "{}", "null", "[\"x\", \"y\"]");

  private static final List<String> QUERIES = List.of("", "*", "[@]");

  private static Path script() throws IOException {
    Path p = Files.createTempFile("aws_format_batch", ".py");
    try (InputStream in = CliOutputFormatsTest.class.getResourceAsStream("aws_format_batch.py")) {
      Files.write(p, in.readAllBytes());
    }
    return p;
  }

  private static boolean awsCli() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import awscli, yaml").start();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void everyFormat_byteIdenticalToTheAwsCliFormatters() throws Exception {
    assumeTrue(awsCli(), "the AWS CLI (python3 awscli, PyYAML) is not installed");
    ArrayNode cases = JSON.createArrayNode();
    List<String> expectedJava = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (String value : VALUES) {
      JsonNode v = JSON.readTree(value);
      for (String query : QUERIES) {
        for (String format : List.of("json", "text", "table", "yaml")) {
          cases.addArray().add(format).add("DescribeKey").add(query).add(v);
          expectedJava.add(new CliOutput(format, query.isEmpty() ? null : query, false, java.util.Set.of(), 80,
              false)
              .render("DescribeKey", v));
          labels.add(format + " " + query + " " + value);
        }
      }
    }
    Path script = script();
    try {
      Process p = new ProcessBuilder("python3", script.toString()).start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(JSON.writeValueAsBytes(cases));
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), err);
      String[] aws = out.split("\u001e\n", -1);
      List<String> diffs = new ArrayList<>();
      for (int i = 0; i < labels.size(); i++) {
        if (!aws[i].startsWith("\u0015") && !aws[i].equals(expectedJava.get(i))) {
          diffs.add(labels.get(i) + "\n--- aws:\n" + aws[i] + "--- coffer:\n"
              + expectedJava.get(i));
        }
      }
      assertTrue(diffs.isEmpty(), diffs.size() + " of " + labels.size() + " differ:\n"
          + String.join("\n", diffs));
    } finally {
      Files.deleteIfExists(script);
    }
  }

  @Test
  void floatRepr_isPythons() {
    assertEquals("1796035264.239", PyValues.floatRepr(1.796035264239E9));
    assertEquals("1796035264.0", PyValues.floatRepr(1796035264.0));
    assertEquals("1e+16", PyValues.floatRepr(1e16));
    assertEquals("1.5e-05", PyValues.floatRepr(1.5e-5));
    assertEquals("0.0001", PyValues.floatRepr(1e-4));
    assertEquals("-2.5", PyValues.floatRepr(-2.5));
  }

  @Test
  void unknownFormat_andBadQuery_refusedWithTheAwsCliWording() {
    IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
        () -> new CliOutput("bogus", null, false, java.util.Set.of(), 80, false));
    assertTrue(f.getMessage().contains("Invalid choice: 'bogus'"), f.getMessage());
    IllegalArgumentException q = assertThrows(IllegalArgumentException.class,
        () -> new CliOutput("json", "Keys[0", false, java.util.Set.of(), 80, false));
    assertTrue(q.getMessage().startsWith("Bad value for --query Keys[0"), q.getMessage());
  }

  @Test
  void iso8601_asPythonIsoformat() {
    assertEquals("2026-11-30T11:29:00.239000+00:00",
        CliOutput.iso(new java.math.BigDecimal("1796038140.239")).replaceAll("T\\d\\d", "T11")
            .replaceAll("[+-]\\d\\d:\\d\\d$", "+00:00"));
  }
}
