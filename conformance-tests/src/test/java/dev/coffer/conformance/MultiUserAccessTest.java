package dev.coffer.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients running as different real Unix users against one daemon: the daemon knows them only
 * by their kernel credentials, and key policies and grants decide what each may do.
 *
 * <p>Needs root to create the users (CI runs as root).
 */
class MultiUserAccessTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALICE = "coffer-alice";
  private static final String BOB = "coffer-bob";
  private static final String DEVS = "coffer-devs";
  private static final String ACCT = "arn:coffer:iam::000000000000:";
  private static DaemonProcess daemon;
  private static Path shared;
  /** What this run created or changed, and so must undo: other runs' users are left alone. */
  private static final List<String> createdUsers = new ArrayList<>();
  private static boolean createdGroup;
  private static boolean addedMembership;

  record Result(int code, String out, String err) {
    JsonNode json() throws Exception {
      return out.isBlank() ? JSON.createObjectNode() : JSON.readTree(out);
    }
  }

  private static void sh(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + out);
  }

  private static boolean exists(String kind, String name) throws Exception {
    return new ProcessBuilder("getent", kind, name).start().waitFor() == 0;
  }

  @BeforeAll
  static void start() throws Exception {
    assertEquals("root", System.getProperty("user.name"),
        "this test creates Unix users and must run as root (CI does)");
    if (!exists("group", DEVS)) {
      sh("groupadd", DEVS);
      createdGroup = true;
    }
    for (String u : List.of(ALICE, BOB)) {
      if (!exists("passwd", u)) {
        sh("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", u);
        createdUsers.add(u);
      }
    }
    if (!inGroup(ALICE, DEVS)) {
      sh("usermod", "-a", "-G", DEVS, ALICE);
      addedMembership = true;
    }
    shared = Files.createTempDirectory(Path.of("/tmp"), "cofmu");
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    // Other users run the CLI from a copy of the jar they can read.
    Files.copy(DaemonProcess.DAEMON_JAR, shared.resolve("coffer.jar"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(shared.resolve("coffer.jar"),
        PosixFilePermissions.fromString("rw-r--r--"));
    daemon = DaemonProcess.start(Map.of("socket-mode", "0666", "admins", "user/root",
        "key-creators", "user/root,user/" + ALICE), shared.resolve("coffer.sock"));
  }

  private static boolean inGroup(String user, String group) throws Exception {
    if (!exists("passwd", user)) {
      return false;
    }
    Process p = new ProcessBuilder("id", "-nG", user).start();
    String groups = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return List.of(groups.trim().split("\\s+")).contains(group);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (daemon != null) {
        daemon.close();
      }
      if (shared != null) {
        DaemonProcess.deleteTree(shared);
      }
    } finally {
      // Leave the machine's users as this run found them, whatever failed above.
      for (String u : createdUsers) {
        sh("userdel", u);
      }
      if (addedMembership && !createdUsers.contains(ALICE) && !createdGroup) {
        sh("gpasswd", "-d", ALICE, DEVS);
      }
      if (createdGroup) {
        sh("groupdel", DEVS);
      }
      createdUsers.clear();
    }
  }

  /** Runs the CLI as {@code user} (root runs it directly). */
  private static Result as(String user, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (!user.equals("root")) {
      cmd.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups",
          "--reset-env"));
    }
    cmd.addAll(List.of(DaemonProcess.JAVA.toString(), "-XX:-UsePerfData", "-Xshare:auto",
        "-jar", shared.resolve("coffer.jar").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--socket", daemon.socket().toString()));
    Process p = new ProcessBuilder(cmd).directory(shared.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Result(p.exitValue(), out, err);
  }

  private static JsonNode ok(String user, String... args) throws Exception {
    Result r = as(user, args);
    assertEquals(0, r.code(), () -> user + " " + String.join(" ", args) + ": " + r.err());
    return r.json();
  }

  private static void denied(String user, String... args) throws Exception {
    Result r = as(user, args);
    assertEquals(254, r.code(), () -> user + " " + String.join(" ", args) + ": " + r.out());
    assertTrue(r.err().contains("AccessDeniedException"), r.err());
    assertTrue(r.err().contains("user/" + user), "denial names the kernel's user: " + r.err());
  }

  private static String stmt(String principal, String actions, String condition) {
    return "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" + ACCT + principal + "\"},"
        + "\"Action\":" + actions + ",\"Resource\":\"*\""
        + (condition == null ? "" : ",\"Condition\":" + condition) + "}";
  }

  private static String policy(String... statements) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
  }

  private static Path file(String name, String content) throws Exception {
    Path f = shared.resolve(name);
    Files.writeString(f, content);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    return f;
  }

  @Test
  void managerAndUserSeparated_bothDirections_groupsAndContextConditions() throws Exception {
    String p = policy(stmt("root", "\"kms:*\"", null),
        stmt("user/" + ALICE, "[\"kms:Describe*\",\"kms:Enable*\",\"kms:Disable*\","
            + "\"kms:ScheduleKeyDeletion\",\"kms:CancelKeyDeletion\"]", null),
        stmt("user/" + BOB, "[\"kms:Encrypt\",\"kms:GenerateDataKey\"]",
            "{\"StringEquals\":{\"kms:EncryptionContext:tenant\":\"acme\"}}"),
        stmt("group/" + DEVS, "\"kms:Decrypt\"", null));
    String key = ok("root", "create-key", "--policy", "file://" + file("p1.json", p))
        .get("KeyMetadata").get("KeyId").asText();

    // alice manages without using
    assertEquals("Enabled", ok(ALICE, "describe-key", "--key-id", key).get("KeyMetadata")
        .get("KeyState").asText());
    ok(ALICE, "disable-key", "--key-id", key);
    ok(ALICE, "enable-key", "--key-id", key);
    Path plain = file("plain.txt", "for acme only");
    denied(ALICE, "encrypt", "--key-id", key, "--plaintext", "fileb://" + plain,
        "--encryption-context", "tenant=acme");

    // bob uses without managing, and only with tenant=acme
    String blob = ok(BOB, "encrypt", "--key-id", key, "--plaintext", "fileb://" + plain,
        "--encryption-context", "tenant=acme").get("CiphertextBlob").asText();
    denied(BOB, "encrypt", "--key-id", key, "--plaintext", "fileb://" + plain,
        "--encryption-context", "tenant=globex");
    denied(BOB, "disable-key", "--key-id", key);
    denied(BOB, "schedule-key-deletion", "--key-id", key);

    // decrypt is for members of the devs group: alice (supplementary member), not bob
    JsonNode dec = ok(ALICE, "decrypt", "--ciphertext-blob", blob, "--encryption-context",
        "tenant=acme");
    assertArrayEquals("for acme only".getBytes(StandardCharsets.UTF_8),
        Base64.getDecoder().decode(dec.get("Plaintext").asText()));
    denied(BOB, "decrypt", "--ciphertext-blob", blob, "--encryption-context", "tenant=acme");
  }

  @Test
  void keyCreatorCreatesKeyShePoliciesForManagementOnly_cannotUseIt_othersCannotCreate()
      throws Exception {
    String p = policy(stmt("user/" + ALICE, "[\"kms:Describe*\",\"kms:Get*\",\"kms:Put*\"]", null));
    String key = ok(ALICE, "create-key", "--policy", "file://" + file("p2.json", p))
        .get("KeyMetadata").get("KeyId").asText();
    ok(ALICE, "get-key-policy", "--key-id", key);
    denied(ALICE, "generate-data-key", "--key-id", key, "--key-spec", "AES_256");
    denied("root", "describe-key", "--key-id", key); // not in her policy: even root is out
    denied(BOB, "create-key");
  }

  @Test
  void grantToBob_retiredByAlice_revokedByRoot() throws Exception {
    String key = ok("root", "create-key").get("KeyMetadata").get("KeyId").asText();
    denied(BOB, "generate-data-key", "--key-id", key, "--key-spec", "AES_256");
    JsonNode g = ok("root", "create-grant", "--key-id", key, "--grantee-principal",
        ACCT + "user/" + BOB, "--operations", "GenerateDataKey", "Decrypt",
        "--retiring-principal", ACCT + "user/" + ALICE);
    ok(BOB, "generate-data-key", "--key-id", key, "--key-spec", "AES_256");
    assertEquals(1, ok(ALICE, "list-retirable-grants", "--retiring-principal",
        ACCT + "user/" + ALICE).get("Grants").size());
    denied(BOB, "retire-grant", "--grant-token", g.get("GrantToken").asText());
    ok(ALICE, "retire-grant", "--grant-token", g.get("GrantToken").asText());
    denied(BOB, "generate-data-key", "--key-id", key, "--key-spec", "AES_256");

    String id = ok("root", "create-grant", "--key-id", key, "--grantee-principal",
        ACCT + "group/" + DEVS, "--operations", "GenerateDataKey").get("GrantId").asText();
    ok(ALICE, "generate-data-key", "--key-id", key, "--key-spec", "AES_128");
    ok("root", "revoke-grant", "--key-id", key, "--grant-id", id);
    denied(ALICE, "generate-data-key", "--key-id", key, "--key-spec", "AES_128");
  }
}
