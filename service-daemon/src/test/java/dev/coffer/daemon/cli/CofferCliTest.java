package dev.coffer.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.coffer.daemon.TestDaemon;
import dev.coffer.protocol.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code coffer} CLI against a real daemon: aws kms names in, AWS JSON out. */
class CofferCliTest {

  private TestDaemon d;

  record Run(int code, String out, String err) {
    JsonNode json() {
      try {
        return Json.MAPPER.readTree(out);
      } catch (java.io.IOException e) {
        throw new AssertionError("not JSON: " + out, e);
      }
    }
  }

  @BeforeEach
  void start() throws Exception {
    d = new TestDaemon();
  }

  @AfterEach
  void stop() throws Exception {
    d.close();
  }

  private Run coffer(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (!all.isEmpty() && !all.get(0).startsWith("-")) {
      all.add("--socket");
      all.add(d.daemon.socket().toString());
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(out, true), new PrintWriter(err, true))
        .run(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void walkthrough_createAliasEncryptDecrypt_roundTrip() throws Exception {
    Run created = coffer("create-key", "--description", "cli", "--tags", "TagKey=a,TagValue=b");
    assertEquals(0, created.code(), created.err());
    String id = created.json().get("KeyMetadata").get("KeyId").asText();
    Run alias = coffer("create-alias", "--alias-name", "alias/cli", "--target-key-id", id);
    assertEquals(0, alias.code(), alias.err());
    assertEquals("", alias.out());

    Path in = Files.createTempFile(d.home, "pt", ".bin");
    Files.write(in, "secret".getBytes(StandardCharsets.UTF_8));
    Run enc = coffer("encrypt", "--key-id", "alias/cli", "--plaintext", "fileb://" + in,
        "--encryption-context", "{\"app\":\"cli\"}");
    assertEquals(0, enc.code(), enc.err());
    Path blob = Files.createTempFile(d.home, "ct", ".bin");
    Files.write(blob, Base64.getDecoder().decode(enc.json().get("CiphertextBlob").asText()));

    Run dec = coffer("decrypt", "--ciphertext-blob", "fileb://" + blob,
        "--encryption-context", "app=cli", "--query", "Plaintext", "--output", "text");
    assertEquals(0, dec.code(), dec.err());
    assertEquals("secret", new String(Base64.getDecoder().decode(dec.out().trim()),
        StandardCharsets.UTF_8));
  }

  @Test
  void serviceError_printsAwsExceptionName_exit254() {
    Run r = coffer("describe-key", "--key-id", "alias/missing");
    assertEquals(254, r.code());
    assertTrue(r.err().contains("(NotFoundException)"), r.err());
    assertTrue(r.err().contains("DescribeKey"), r.err());
  }

  @Test
  void missingRequiredOption_usageError_exit252() {
    Run r = coffer("encrypt", "--key-id", "x");
    assertEquals(252, r.code());
    assertTrue(r.err().contains("--plaintext"), r.err());
  }

  @Test
  void badBlobArgument_usageError() {
    Run r = coffer("decrypt", "--ciphertext-blob", "not base64 !");
    assertEquals(252, r.code());
    assertTrue(r.err().contains("fileb://"), r.err());
  }

  @Test
  void daemonNotRunning_exit255_sayHowToStartIt() throws Exception {
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(new StringWriter()), new PrintWriter(err, true))
        .run(new String[] {"list-keys", "--socket", d.home.resolve("nothing.sock").toString()});
    assertEquals(255, code);
    assertTrue(err.toString().contains("coffer serve"), err.toString());
  }

  @Test
  void help_listsOperations_andOperationHelpListsParameters() {
    Run top = coffer("--help");
    assertEquals(0, top.code());
    for (String op : List.of("create-key", "schedule-key-deletion", "generate-data-key", "serve")) {
      assertTrue(top.out().contains(op), op);
    }
    Run sub = coffer("schedule-key-deletion", "--help");
    assertTrue(sub.out().contains("--pending-window-in-days"), sub.out());
  }

  @Test
  void scheduleDeletion_andListKeys_printAwsShapes() {
    String id = coffer("create-key").json().get("KeyMetadata").get("KeyId").asText();
    JsonNode r = coffer("schedule-key-deletion", "--key-id", id, "--pending-window-in-days", "7")
        .json();
    assertEquals("PendingDeletion", r.get("KeyState").asText());
    assertEquals(7, r.get("PendingWindowInDays").asInt());
    // As the AWS CLI: every page fetched and joined, no paging fields left.
    JsonNode list = coffer("list-keys").json();
    assertEquals(id, list.get("Keys").get(0).get("KeyId").asText());
    assertEquals(List.of("Keys"), fieldNames(list));
    JsonNode page = coffer("list-keys", "--no-paginate").json();
    assertEquals(false, page.get("Truncated").asBoolean());
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> names = new ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void listKeys_paginatesLikeTheAwsCli_pageSizeMaxItemsAndStartingToken() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(coffer("create-key").json().get("KeyMetadata").get("KeyId").asText());
    }
    Run all = coffer("list-keys", "--page-size", "2", "--query", "Keys[].KeyId");
    assertEquals(0, all.code(), all.err());
    JsonNode allIds = all.json();
    assertEquals(5, allIds.size(), all.out());
    Run first = coffer("list-keys", "--page-size", "2", "--max-items", "3");
    JsonNode firstPage = first.json();
    assertEquals(3, firstPage.get("Keys").size());
    String token = firstPage.get("NextToken").asText();
    JsonNode rest = coffer("list-keys", "--page-size", "2", "--starting-token", token).json();
    assertEquals(2, rest.get("Keys").size());
    assertEquals(allIds.get(3).asText(), rest.get("Keys").get(0).get("KeyId").asText());
    assertEquals(false, rest.has("NextToken"));
    Run both = coffer("list-keys", "--no-paginate", "--max-items", "1");
    assertEquals(252, both.code());
    assertTrue(both.err().contains("--no-paginate"), both.err());
  }

  @Test
  void generateDataKey_base64FieldsAsAwsCliPrintsThem() {
    String id = coffer("create-key").json().get("KeyMetadata").get("KeyId").asText();
    JsonNode r = coffer("generate-data-key", "--key-id", id, "--key-spec", "AES_256").json();
    assertEquals(32, Base64.getDecoder().decode(r.get("Plaintext").asText()).length);
    assertTrue(r.get("CiphertextBlob").asText().length() > 60);
  }
}
