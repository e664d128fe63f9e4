package dev.coffer.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coffer.daemon.identity.IamUser;
import dev.coffer.daemon.identity.UnixPeer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The principal forms and the identities each matches. */
class PrincipalsTest {

  private static final String A = "111122223333";
  private final Principals p = new Principals("aws", A, List.of("user/root", "iam-user/ops"));
  private final UnixPeer unixAlice = new UnixPeer(1000, 1000, 1, "alice", Set.of("alice", "dev"));
  private final IamUser iamAlice = new IamUser("aws", A, "alice", "AKIAIOSFODNN7EXAMPLE");
  private final UnixPeer root = new UnixPeer(0, 0, 1, "root", Set.of("root"));
  private final IamUser ops = new IamUser("aws", A, "ops", "AKIAI44QH8DHBEXAMPLE");

  @Test
  void sameName_unixAndIamUsers_neverMatchEachOthersPrincipal() {
    String unixArn = "arn:coffer:iam::" + A + ":user/alice";
    String iamArn = "arn:aws:iam::" + A + ":user/alice";
    assertTrue(p.matches(unixArn, unixAlice));
    assertFalse(p.matches(unixArn, iamAlice));
    assertTrue(p.matches(iamArn, iamAlice));
    assertFalse(p.matches(iamArn, unixAlice));
    assertFalse(p.matches("arn:coffer:iam::" + A + ":group/alice", iamAlice));
    assertEquals(unixArn, p.arnOf(unixAlice));
    assertEquals(iamArn, p.arnOf(iamAlice));
    assertFalse(p.matchesEntry("user/alice", iamAlice));
    assertFalse(p.matchesEntry("iam-user/alice", unixAlice));
  }

  @Test
  void accountRoot_inEveryForm_isTheAdministrators() {
    for (String root : List.of("arn:aws:iam::" + A + ":root", A,
        "arn:coffer:iam::" + A + ":root")) {
      assertNull(p.invalidReason(root), root);
      assertTrue(p.matches(root, this.root), root);
      assertTrue(p.matches(root, ops), root);
      assertFalse(p.matches(root, unixAlice), root);
      assertFalse(p.matches(root, iamAlice), root);
    }
    assertEquals("arn:aws:iam::" + A + ":root", p.rootArn());
  }

  @Test
  void otherPartitionOrAccount_neverMatches_andIsRefusedInPolicies() {
    IamUser cn = new IamUser("aws-cn", A, "alice", "AKIAIOSFODNN7EXAMPLE");
    assertFalse(p.matches("arn:aws:iam::" + A + ":user/alice", cn));
    IamUser other = new IamUser("aws", "444455556666", "alice", "AKIAIOSFODNN7EXAMPLE");
    assertFalse(p.matches("arn:aws:iam::" + A + ":user/alice", other));
    for (String bad : List.of("arn:aws:iam::444455556666:root", "444455556666",
        "arn:aws-cn:iam::" + A + ":root", "arn:aws:iam::" + A + ":group/dev",
        "arn:aws:iam::" + A + ":role/admin", "arn:aws:iam::" + A + ":user/has space",
        "arn:coffer:iam::" + A + ":user/" + "x".repeat(65), "alice", "arn:aws:sts::" + A
            + ":assumed-role/x")) {
      assertNotNull(p.invalidReason(bad), bad);
    }
    assertNull(p.invalidReason("arn:aws:iam::" + A + ":user/alice.b@example.com"));
  }

  @Test
  void partitionCoffer_isReservedForUnixPrincipals() {
    assertThrows(IllegalArgumentException.class, () -> new Principals("coffer", A, List.of()));
  }
}
