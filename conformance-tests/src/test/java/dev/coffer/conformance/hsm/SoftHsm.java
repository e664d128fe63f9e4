package dev.coffer.conformance.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.conformance.DaemonProcess;
import dev.coffer.conformance.DaemonProcess.CliResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

/**
 * A real SoftHSM2 token for conformance tests. Surefire points {@code SOFTHSM2_CONF} at a file
 * under {@code target/} for the test JVM and every process it starts, daemon included.
 */
public final class SoftHsm {
  private SoftHsm() {}

  public static final String LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
  public static final String PIN = "246810";
  static final String SO_PIN = "13579111";

  /** Writes the configuration with an empty token directory. */
  public static Path reset() throws IOException {
    Path conf = Path.of(System.getenv("SOFTHSM2_CONF"));
    Path tokens = conf.resolveSibling("tokens");
    if (Files.exists(tokens)) {
      try (var s = Files.walk(tokens)) {
        s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    Files.createDirectories(tokens);
    Files.writeString(conf, "directories.tokendir = " + tokens
        + "\nobjectstore.backend = file\nlog.level = ERROR\n");
    return conf;
  }

  public static void initToken(String label) throws Exception {
    run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN,
        "--pin", PIN);
  }

  /**
   * Creates and connects a custom key store on the token through the CLI; returns its id.
   */
  public static String connectStore(DaemonProcess d, String token) throws Exception {
    Path pinFile = d.home().resolve("pin-" + token + ".txt");
    Files.writeString(pinFile, PIN + "\n");
    String store = new ObjectMapper().readTree(ok(d, "create-custom-key-store",
        "--custom-key-store-name", token, "--custom-key-store-type", "PKCS11",
        "--pkcs11-library-path", LIBRARY, "--pkcs11-token-label", token,
        "--key-store-password", "file://" + pinFile)).get("CustomKeyStoreId").asText();
    ok(d, "connect-custom-key-store", "--custom-key-store-id", store);
    return store;
  }

  private static String ok(DaemonProcess d, String... args) throws Exception {
    CliResult r = d.cli(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + ": " + r.stderr());
    return r.stdout();
  }

  public static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ": " + out);
    return out;
  }
}
