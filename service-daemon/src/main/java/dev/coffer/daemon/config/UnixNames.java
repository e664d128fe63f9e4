package dev.coffer.daemon.config;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;

/**
 * Whether a Unix user or group name exists on this host, through the JDK's lookup service
 * ({@code getpwnam}/{@code getgrnam}, so NSS sources such as LDAP count too).
 */
final class UnixNames {
  private static final UserPrincipalLookupService LOOKUP =
      FileSystems.getDefault().getUserPrincipalLookupService();

  private UnixNames() {}

  static boolean userExists(String name) {
    try {
      LOOKUP.lookupPrincipalByName(name);
      return true;
    } catch (UserPrincipalNotFoundException e) {
      return false;
    } catch (IOException e) {
      throw new IllegalStateException("cannot look up Unix user '" + name + "': " + e, e);
    }
  }

  static boolean groupExists(String name) {
    try {
      LOOKUP.lookupPrincipalByGroupName(name);
      return true;
    } catch (UserPrincipalNotFoundException e) {
      return false;
    } catch (IOException e) {
      throw new IllegalStateException("cannot look up Unix group '" + name + "': " + e, e);
    }
  }
}
