package dev.coffer.daemon.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.coffer.daemon.cli.CliOperations.Command;
import dev.coffer.daemon.cli.CliOperations.Param;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The CLI's option table against the AWS KMS service model on this machine (botocore's, as the
 * AWS CLI uses it): a new or renamed AWS option fails here instead of going missing.
 *
 * <p>To regenerate after a model update: {@code mvn -pl service-daemon test
 * -Dtest=CliOptionTableTest -Dcoffer.cli.regenerate=true}.
 */
class CliOptionTableTest {

  /**
   * Operations Coffer adds that are not in the AWS KMS model: its metrics, and the access keys of
   * the HTTPS endpoint (IAM's operations, in IAM's names), and the certificate chains of
   * asymmetric keys.
   */
  private static final Set<String> EXTENSIONS = Set.of("GetMetrics", "GetUsage", "CreateAccessKey",
      "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "PutCertificateChain",
      "GetCertificateChain");

  private static List<String> implemented() {
    return CliOperations.HINTS.stream().map(Command::operation)
        .filter(op -> !EXTENSIONS.contains(op)).toList();
  }

  @Test
  void table_equalsTheOneGeneratedFromTheKmsModelOnThisMachine() throws Exception {
    Path model = KmsModelTable.modelDir();
    assumeTrue(model != null, "botocore's KMS model is not installed");
    String generated = KmsModelTable.generate(model, implemented());
    if (Boolean.getBoolean("coffer.cli.regenerate")) {
      Files.writeString(Path.of("src/main/resources/dev/coffer/daemon/cli/kms-cli-options.tsv"),
          generated);
    }
    String committed;
    try (InputStream in = OptionTable.class.getResourceAsStream("kms-cli-options.tsv")) {
      assertNotNull(in, "kms-cli-options.tsv");
      committed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(generated, committed, "kms-cli-options.tsv differs from the KMS model in "
        + model + "; regenerate it (see this class's Javadoc) and review the new options");
  }

  @Test
  void everyImplementedOperation_isInTheTable_withTheAwsCommandName() {
    for (String op : implemented()) {
      OptionTable.Operation o = OptionTable.KMS.operation(op);
      assertNotNull(o, op + " is missing from kms-cli-options.tsv");
      assertEquals(KmsModelTable.xformName(op), o.command());
    }
    for (Command c : CliOperations.HINTS) {
      if (!EXTENSIONS.contains(c.operation())) {
        assertEquals(KmsModelTable.xformName(c.operation()), c.name(), c.operation());
      }
    }
  }

  /** Coffer's own options of AWS operations: a PKCS#11 token instead of a CloudHSM cluster. */
  private static final Set<String> EXTENSION_OPTIONS = Set.of(
      "create-custom-key-store --pkcs11-library-path",
      "create-custom-key-store --pkcs11-token-label",
      "create-custom-key-store --pkcs11-slot-list-index",
      "update-custom-key-store --pkcs11-library-path",
      "update-custom-key-store --pkcs11-token-label",
      "update-custom-key-store --pkcs11-slot-list-index");

  @Test
  void handWrittenHelp_namesOnlyOptionsTheModelHas_orKnownCofferExtensions() {
    for (Command hint : CliOperations.HINTS) {
      OptionTable.Operation o = OptionTable.KMS.operation(hint.operation());
      if (o == null) {
        continue;
      }
      Set<String> model = o.members().stream().map(OptionTable.Member::option)
          .collect(Collectors.toSet());
      for (Param p : hint.params()) {
        assertTrue(model.contains(p.option())
            || EXTENSION_OPTIONS.contains(hint.name() + " " + p.option()), hint.name() + " "
            + p.option() + " is not an option of " + hint.operation() + " in the AWS model");
      }
    }
  }

  @Test
  void xformName_matchesBotocore() {
    assertEquals("generate-data-key-without-plaintext",
        KmsModelTable.xformName("GenerateDataKeyWithoutPlaintext"));
    assertEquals("customer-master-key-spec", KmsModelTable.xformName("CustomerMasterKeySpec"));
    assertEquals("pkcs11-library-path", KmsModelTable.xformName("Pkcs11LibraryPath"));
    assertEquals("xks-proxy-uri-endpoint", KmsModelTable.xformName("XksProxyUriEndpoint"));
  }
}
