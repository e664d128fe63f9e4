package dev.coffer.daemon.keystore.pkcs11;

/**
 * Which token to use: a PKCS#11 library and either the token's label or its index in the
 * library's slot list. Labels are stable across re-initialisation (SoftHSM2 gives a new slot id
 * every time), so prefer them.
 *
 * @param library absolute path of the PKCS#11 module, e.g. {@code /usr/lib/softhsm/libsofthsm2.so}
 * @param tokenLabel the token's label, or null
 * @param slotListIndex index into the slot list, or null when {@code tokenLabel} is given
 */
public record Pkcs11Config(String library, String tokenLabel, Integer slotListIndex) {

  public Pkcs11Config {
    if (library == null || library.isBlank()) {
      throw new IllegalArgumentException("a PKCS#11 library path is required");
    }
    if ((tokenLabel == null) == (slotListIndex == null)) {
      throw new IllegalArgumentException("give either a token label or a slot list index");
    }
    if (tokenLabel != null && (tokenLabel.isEmpty() || tokenLabel.length() > 32)) {
      throw new IllegalArgumentException("a token label is 1-32 characters");
    }
    if (slotListIndex != null && slotListIndex < 0) {
      throw new IllegalArgumentException("the slot list index must be >= 0");
    }
  }

  /** How this token is named in messages. */
  public String describe() {
    return (tokenLabel != null ? "token '" + tokenLabel + "'" : "slot list index " + slotListIndex)
        + " of " + library;
  }
}
