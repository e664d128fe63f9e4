package dev.coffer.daemon.keystore.pkcs11;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Private module instances, and token lookup by label.
 *
 * <p>A PKCS#11 module is initialised once per process, and its login state is shared by every
 * session on a token: a second SunPKCS11 provider on an already logged-in token is never asked
 * for the PIN, and a logout by one connection logs out all of them. SoftHSM2 (and some vendor
 * modules) also read their token list at initialisation and keep a token that went away broken
 * until the module is finalised. So every connection loads its own <em>private copy</em> of the
 * module file: an independent instance whose login state, sessions and token list belong to that
 * connection alone, which is finalised when the connection closes. The copy is deleted as soon
 * as it is loaded; its mapping (about 1 MB) stays for the life of the process.
 *
 * <p>Token labels are read with the JDK's PKCS#11 wrapper ({@code C_GetSlotList}, {@code
 * C_GetTokenInfo}), which needs {@code --add-exports
 * jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (set in {@code coffer.jar}'s
 * manifest); without it, configure stores by slot list index.
 */
final class Pkcs11Modules {
  private Pkcs11Modules() {}

  static final String EXPORT_HINT = "--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper"
      + "=ALL-UNNAMED";
  private static final long CKF_OS_LOCKING_OK = 0x2L;
  /** A private copy of {@code library}; the caller deletes it once the module is loaded. */
  static Path privateCopy(String library) throws IOException {
    Path copy = Files.createTempFile("coffer-pkcs11-", ".so");
    Files.copy(Path.of(library), copy, StandardCopyOption.REPLACE_EXISTING);
    return copy;
  }

  /** Finalises a private module instance (ends its sessions and login); errors are ignored. */
  static void finalizeModule(String modulePath) {
    if (!wrapperAvailable()) {
      return;
    }
    try {
      wrapperClass().getMethod("C_Finalize", Object.class).invoke(module(modulePath),
          (Object) null);
    } catch (ReflectiveOperationException | RuntimeException ignored) {
      // already finalised, or the module is gone: nothing left to release
    }
  }

  /** Whether the JDK's PKCS#11 wrapper is reachable (needed for label lookup and probes). */
  static boolean wrapperAvailable() {
    try {
      wrapperClass().getMethod("getInstance", String.class, String.class,
          Class.forName("sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS"), boolean.class);
      return Pkcs11Modules.class.getModule().canRead(wrapperClass().getModule())
          && wrapperClass().getModule().isExported("sun.security.pkcs11.wrapper",
              Pkcs11Modules.class.getModule());
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static Class<?> wrapperClass() throws ClassNotFoundException {
    return Class.forName("sun.security.pkcs11.wrapper.PKCS11");
  }

  private static Object module(String modulePath) throws ReflectiveOperationException {
    Class<?> argsClass = Class.forName("sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS");
    Object args = argsClass.getConstructor().newInstance();
    argsClass.getField("flags").setLong(args, CKF_OS_LOCKING_OK);
    Method get = wrapperClass().getMethod("getInstance", String.class, String.class, argsClass,
        boolean.class);
    return get.invoke(null, modulePath, "C_GetFunctionList", args, false);
  }

  /**
   * The slot id of the token labelled {@code label} in the module, or -1 if no present token
   * has it.
   */
  static long findSlot(String modulePath, String label) throws Pkcs11ConnectException {
    if (!wrapperAvailable()) {
      throw new Pkcs11ConnectException(ConnectionErrorCode.INTERNAL_ERROR,
          "finding a token by label needs the JVM option " + EXPORT_HINT
              + " (coffer.jar sets it); or configure the store with a slot list index", null);
    }
    try {
      Object p11 = module(modulePath);
      long[] slots = (long[]) wrapperClass().getMethod("C_GetSlotList", boolean.class)
          .invoke(p11, true);
      for (long slot : slots) {
        if (label.equals(tokenLabel(p11, slot))) {
          return slot;
        }
      }
      return -1;
    } catch (InvocationTargetException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException) {
        throw new Pkcs11ConnectException(ConnectionErrorCode.LIBRARY_NOT_FOUND,
            modulePath + " is not a loadable PKCS#11 module: " + c.getMessage(), c);
      }
      throw new Pkcs11ConnectException(ConnectionErrorCode.TOKEN_ERRORS,
          "listing the tokens of " + modulePath + " failed: " + c, c);
    } catch (ReflectiveOperationException e) {
      throw new Pkcs11ConnectException(ConnectionErrorCode.INTERNAL_ERROR,
          "the JDK's PKCS#11 wrapper is not usable: " + e, e);
    }
  }

  /** Whether {@code slot} still holds a token labelled {@code label}; false on any error. */
  static boolean tokenPresent(String modulePath, long slot, String label) {
    try {
      return label == null || label.equals(tokenLabel(module(modulePath), slot));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  private static String tokenLabel(Object p11, long slot) throws ReflectiveOperationException {
    Object info = wrapperClass().getMethod("C_GetTokenInfo", long.class).invoke(p11, slot);
    char[] label = (char[]) info.getClass().getField("label").get(info);
    return new String(label).trim();
  }
}
