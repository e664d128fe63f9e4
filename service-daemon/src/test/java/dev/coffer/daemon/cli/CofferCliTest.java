package dev.coffer.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    boolean operation = !all.isEmpty()
        && !List.of("help", "audit", "serve").contains(all.get(0))
        && !all.get(all.size() - 1).equals("help") && !all.contains("--help");
    if (operation) {
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
  void getUsage_oneEndOfThePeriodOnly_saysWhichDefaultItMet_andWhatToGive() throws Exception {
    // The daemon's clock is in 2026: the defaults are this month's start and end.
    Run endOnly = coffer("get-usage", "--end-time", "2020-01-01");
    assertEquals(254, endOnly.code(), endOnly.toString());
    String m = endOnly.err();
    assertTrue(m.startsWith("An error occurred (ValidationException) when calling the GetUsage"
        + " operation: "), m);
    assertTrue(m.contains("EndTime (2020-01-01T00:00:00Z)") && m.contains("StartTime, which was not"
        + " given") && m.contains("start of this month") && m.contains("--start-time"), m);

    Run startOnly = coffer("get-usage", "--start-time", "2999-01-01");
    assertEquals(254, startOnly.code(), startOnly.toString());
    m = startOnly.err();
    assertTrue(m.contains("StartTime (2999-01-01T00:00:00Z)") && m.contains("EndTime, which was not"
        + " given") && m.contains("end of this month") && m.contains("--end-time"), m);

    Run both = coffer("get-usage", "--start-time", "2026-02-01", "--end-time", "2026-01-01");
    assertEquals(254, both.code(), both.toString());
    assertTrue(both.err().contains("EndTime (2026-01-01T00:00:00Z) must be after StartTime"
        + " (2026-02-01T00:00:00Z)") && both.err().contains("give an --end-time later than"
        + " --start-time"), both.err());

    Run fine = coffer("get-usage", "--start-time", "2020-01-01");
    assertEquals(0, fine.code(), fine.err());
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
  void issueExamples_guessedMarker_andDryRunDecryptUnderAnotherContext_realErrors()
      throws Exception {
    coffer("create-key");
    Run marker = coffer("list-keys", "--marker", "zzzz");
    assertEquals(254, marker.code(), marker.out());
    assertTrue(marker.err().contains("InvalidMarkerException"), marker.err());

    String id = coffer("create-key").json().get("KeyMetadata").get("KeyId").asText();
    Path in = Files.createTempFile(d.home, "pt", ".bin");
    Files.write(in, "secret".getBytes(StandardCharsets.UTF_8));
    Run enc = coffer("encrypt", "--key-id", id, "--plaintext", "fileb://" + in,
        "--encryption-context", "{\"a\":\"b\"}");
    Path blob = Files.createTempFile(d.home, "ct", ".bin");
    Files.write(blob, Base64.getDecoder().decode(enc.json().get("CiphertextBlob").asText()));
    Run wrong = coffer("decrypt", "--ciphertext-blob", "fileb://" + blob,
        "--encryption-context", "{\"a\":\"c\"}", "--dry-run");
    assertEquals(254, wrong.code(), wrong.out());
    assertTrue(wrong.err().contains("InvalidCiphertextException"), wrong.err());
    Run right = coffer("decrypt", "--ciphertext-blob", "fileb://" + blob,
        "--encryption-context", "{\"a\":\"b\"}", "--dry-run");
    assertTrue(right.err().contains("DryRunOperationException"), right.err());
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
  void nonCanonicalBase64_refusedAsTheDaemonRefusesIt_notRewritten() {
    coffer("create-key", "--description", "b64");
    for (String text : new String[] {"QR==", "QQ", "QQ=", "Q Q==", "QQ==QQ=="}) {
      Run r = coffer("encrypt", "--key-id", "alias/none", "--plaintext", text);
      assertEquals(252, r.code(), text + ": " + r.err());
      assertTrue(r.err().contains("canonical base64"), r.err());
    }
    // The one canonical encoding still goes through to the daemon (which then answers).
    Run ok = coffer("encrypt", "--key-id", "alias/none", "--plaintext", "QQ==");
    assertEquals(254, ok.code(), ok.err());
    assertTrue(ok.err().contains("NotFoundException"), ok.err());
  }

  /** Before, '=b' was said to have "no '='". */
  @Test
  void shorthandMap_emptyKey_namedAsEmpty() {
    Run r = coffer("encrypt", "--key-id", "alias/none", "--plaintext", "QQ==",
        "--encryption-context", "a=1,=b");
    assertEquals(252, r.code(), r.err());
    assertTrue(r.err().contains("'=b' has an empty key"), r.err());
    Run none = coffer("encrypt", "--key-id", "alias/none", "--plaintext", "QQ==",
        "--encryption-context", "ab");
    assertTrue(none.err().contains("'ab' has no '='"), none.err());
  }

  @Test
  void shorthandMap_duplicateKey_refusedAsJsonRefusesIt() {
    Run r = coffer("encrypt", "--key-id", "alias/none", "--plaintext", "QQ==",
        "--encryption-context", "a=1,a=2");
    assertEquals(252, r.code(), r.err());
    assertTrue(r.err().contains("'a' twice"), r.err());
    Run json = coffer("encrypt", "--key-id", "alias/none", "--plaintext", "QQ==",
        "--encryption-context", "{\"a\":\"1\",\"a\":\"2\"}");
    assertEquals(252, json.code(), json.err());
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

  @Test
  void awsCliGlobalOptions_acceptedBeforeOrAfterTheCommand() {
    for (String[] args : new String[][] {
        {"--region", "eu-west-1", "--profile", "prod", "list-keys"},
        {"list-keys", "--region", "eu-west-1", "--no-cli-pager", "--no-verify-ssl",
            "--cli-connect-timeout", "5", "--ca-bundle", "/x.pem", "--no-sign-request",
            "--cli-binary-format", "raw-in-base64-out", "--color", "off", "--v2-debug"}}) {
      Run r = coffer(args);
      assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
      assertTrue(r.json().has("Keys"), r.out());
    }
  }

  @Test
  void leadingKms_asInAwsKms_isAccepted() {
    Run r = coffer("kms", "list-keys", "--query", "length(Keys)");
    assertEquals("0\n", r.out(), r.err());
  }

  @Test
  void endpointUrl_unixSocketIsTheSocket_httpsRefusedWithAReason() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CofferCli(new PrintWriter(out, true), new PrintWriter(err, true)).run(
        new String[] {"list-keys", "--endpoint-url", "unix://" + d.daemon.socket()});
    assertEquals(0, code, err.toString());
    Run https = coffer("list-keys", "--endpoint-url", "https://kms.eu-west-1.amazonaws.com");
    assertEquals(252, https.code());
    assertTrue(https.err().contains("unix://"), https.err());
  }

  @Test
  void cliInputJson_mergedUnderOptions_andSkeletonListsTheRequest() throws Exception {
    Run skeleton = coffer("create-key", "--generate-cli-skeleton");
    assertEquals(0, skeleton.code(), skeleton.err());
    assertTrue(skeleton.json().has("MultiRegion") && skeleton.json().has("Tags"), skeleton.out());
    Run created = coffer("create-key", "--cli-input-json",
        "{\"Description\":\"from json\",\"KeyUsage\":\"ENCRYPT_DECRYPT\"}",
        "--query", "KeyMetadata.Description", "--output", "text");
    assertEquals("from json\n", created.out(), created.err());
    Path yaml = Files.createTempFile(d.home, "in", ".yaml");
    Files.writeString(yaml, "Description: from yaml\n");
    Run fromYaml = coffer("create-key", "--cli-input-yaml", "file://" + yaml, "--description",
        "option wins", "--query", "KeyMetadata.Description", "--output", "text");
    assertEquals("option wins\n", fromYaml.out(), fromYaml.err());
    Run unknown = coffer("create-key", "--cli-input-json", "{\"Bogus\":1}");
    assertEquals(252, unknown.code());
    assertTrue(unknown.err().contains("Bogus"), unknown.err());
  }

  @Test
  void booleanNoForms_andRequiredOptionsFromTheModel() {
    Run noMulti = coffer("create-key", "--no-multi-region", "--customer-master-key-spec",
        "SYMMETRIC_DEFAULT", "--query", "KeyMetadata.MultiRegion", "--output", "text");
    assertEquals("False\n", noMulti.out(), noMulti.err());
    Run multi = coffer("create-key", "--multi-region");
    assertEquals(254, multi.code(), multi.err());
    Run missing = coffer("encrypt", "--plaintext", "aGk=");
    assertEquals(252, missing.code());
    assertTrue(missing.err().contains("required") && missing.err().contains("--key-id"),
        missing.err());
  }

  @Test
  void rawInBase64Out_takesTheTextItself() {
    String id = coffer("create-key").json().get("KeyMetadata").get("KeyId").asText();
    Run enc = coffer("encrypt", "--key-id", id, "--plaintext", "hello world",
        "--cli-binary-format", "raw-in-base64-out", "--query", "CiphertextBlob", "--output",
        "text");
    assertEquals(0, enc.code(), enc.err());
    Run dec = coffer("decrypt", "--ciphertext-blob", enc.out().trim(), "--query", "Plaintext",
        "--output", "text");
    assertEquals("hello world", new String(Base64.getDecoder().decode(dec.out().trim()),
        StandardCharsets.UTF_8));
  }

  @Test
  void debug_logsTheCallWithoutValues() {
    Run r = coffer("generate-random", "--number-of-bytes", "8", "--debug");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("GenerateRandom") && r.err().contains("NumberOfBytes"), r.err());
    String random = r.json().get("Plaintext").asText();
    assertTrue(!r.err().contains(random), r.err());
  }

  @Test
  void helpWord_andSuggestions_shortAndUseful() {
    Run help = coffer("help");
    assertEquals(0, help.code());
    assertTrue(help.out().contains("create-key") && help.out().contains("--endpoint-url"),
        help.out());
    Run cmdHelp = coffer("schedule-key-deletion", "help");
    assertEquals(0, cmdHelp.code());
    assertTrue(cmdHelp.out().contains("--pending-window-in-days"), cmdHelp.out());
    Run typo = coffer("list-key");
    assertEquals(252, typo.code());
    assertTrue(typo.err().contains("Did you mean: list-keys"), typo.err());
    assertTrue(typo.err().lines().count() < 5, typo.err());
    Run optionTypo = coffer("describe-key", "--keyid", "x");
    assertTrue(optionTypo.err().contains("--key-id"), optionTypo.err());
    // "help" as an option's value is a value, not a request for help
    Run described = coffer("create-key", "--description", "help", "--query",
        "KeyMetadata.Description", "--output", "text");
    assertEquals("help\n", described.out(), described.err());
  }

  @Test
  void auditLookup_readableTableByDefault_andOutputFormats() {
    String id = coffer("create-key").json().get("KeyMetadata").get("KeyId").asText();
    Run table = coffer("audit", "lookup", "--home", d.home.toString(), "--key-id", id);
    assertEquals(0, table.code(), table.err());
    List<String> lines = table.out().lines().toList();
    assertTrue(lines.get(0).matches("TIME +PRINCIPAL +OPERATION +KEY +RESULT"), table.out());
    assertTrue(lines.get(1).contains("CreateKey") && lines.get(1).contains(id)
        && lines.get(1).endsWith("OK"), table.out());
    Run query = coffer("audit", "lookup", "--home", d.home.toString(), "--key-id", id,
        "--query", "Records[0].eventName", "--output", "text");
    assertEquals("CreateKey\n", query.out(), query.err());
    Run jsonl = coffer("audit", "lookup", "--home", d.home.toString(), "--key-id", id,
        "--output", "jsonl");
    assertTrue(jsonl.out().startsWith("{\"eventVersion\""), jsonl.out());
  }

  @Test
  void auditArchive_usageMistakesAndNothingToArchive_leaveTheLogAlone() throws Exception {
    String home = d.home.toString();
    Path to = d.home.resolve("arch");
    Run badDate = coffer("audit", "archive", "--home", home, "--before", "yesterday", "--to",
        to.toString());
    assertEquals(252, badDate.code(), badDate.err());
    assertTrue(badDate.err().startsWith("coffer audit archive: --before is ISO-8601"),
        badDate.err());
    Run noTo = coffer("audit", "archive", "--home", home, "--before", "2026-01-02");
    assertEquals(252, noTo.code(), noTo.err());
    assertTrue(noTo.err().contains("--to"), noTo.err());
    // The running daemon's only file is open: nothing to archive, nothing created.
    Run none = coffer("audit", "archive", "--home", home, "--before", "2099-01-01", "--to",
        to.toString());
    assertEquals(0, none.code(), none.err());
    assertTrue(none.out().startsWith("nothing to archive"), none.out());
    assertFalse(Files.exists(to));
    Run inside = coffer("audit", "archive", "--home", home, "--before", "2099-01-01", "--to",
        d.home.resolve("audit/sub").toString());
    assertEquals(1, inside.code(), inside.err());
    assertTrue(inside.err().startsWith("coffer audit archive: the archive directory "),
        inside.err());
    assertTrue(inside.err().contains("choose a directory outside it"), inside.err());
    Run noLog = coffer("audit", "archive", "--home", d.home.resolve("none").toString(),
        "--before", "2099-01-01", "--to", to.toString());
    assertEquals(2, noLog.code(), noLog.err());
    assertTrue(noLog.err().contains("no audit log with its signing key under"), noLog.err());
    Run verify = coffer("audit", "verify", "--dir", to.toString());
    assertEquals(1, verify.code(), verify.out());
    assertTrue(verify.err().startsWith("FAILED: no audit directory at"), verify.err());
  }
}
