package dev.coffer.daemon.keys;

import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Turns the key references AWS accepts (key id, key ARN, alias name, alias ARN) into key ids, and
 * builds ARNs. ARNs have AWS's six parts, {@code arn:<partition>:kms:<region>:<account>:key/<id>}
 * and {@code ...:alias/<name>}, the shape the AWS Encryption SDK and Terraform insist on.
 *
 * <p>Back-compatibility: Coffer before 0.2 wrote five-part ARNs, {@code
 * arn:coffer:<region>:<account>:key/<id>}; given as input with the configured region and
 * account they still resolve (they may be stored in applications' configuration and in key
 * policies' {@code Resource}), but the daemon never answers with them. Ciphertexts carry the key
 * id, not an ARN, so they decrypt whatever the ARN form.
 */
public final class KeyResolver {

  private static final Pattern ALIAS_NAME = Pattern.compile("alias/[a-zA-Z0-9/_-]{1,250}");
  private final KeyRegistry registry;
  private final String arnPrefix;
  private final String legacyPrefix;

  /**
   * @param partition ARN partition, e.g. {@code aws}
   * @param region ARN region, e.g. {@code us-east-1}
   * @param account 12-digit account
   */
  public KeyResolver(KeyRegistry registry, String partition, String region, String account) {
    this.registry = registry;
    this.arnPrefix = "arn:" + partition + ":kms:" + region + ":" + account + ":";
    this.legacyPrefix = legacyPrefix(region, account);
  }

  /** The prefix of Coffer's former five-part ARNs, {@code arn:coffer:<region>:<account>:}. */
  public static String legacyPrefix(String region, String account) {
    return "arn:coffer:" + region + ":" + account + ":";
  }

  public String keyArn(UUID id) {
    return arnPrefix + "key/" + id;
  }

  public String aliasArn(String aliasName) {
    return arnPrefix + aliasName;
  }

  /**
   * The alias a key reference names, {@code alias/<name>} given as such or as this daemon's
   * alias ARN; null for a key id, a key ARN, another account's ARN or nothing.
   */
  public String aliasNameOf(String ref) {
    if (ref == null) {
      return null;
    }
    String resource = ref.startsWith(arnPrefix) ? ref.substring(arnPrefix.length())
        : ref.startsWith(legacyPrefix) ? ref.substring(legacyPrefix.length()) : ref;
    return resource.startsWith("alias/") ? resource : null;
  }

  /** Resolves a reference that may name an alias (cryptographic operations, DescribeKey). */
  public KeyRecord resolve(String ref) {
    return registry.get(resolveId(ref, true));
  }

  /** Resolves a key id or key ARN only (management operations, as in AWS). */
  public KeyRecord resolveKeyOnly(String ref) {
    return registry.get(resolveId(ref, false));
  }

  private UUID resolveId(String ref, boolean aliasAllowed) {
    if (ref == null || ref.isEmpty()) {
      throw new KmsException(ErrorType.VALIDATION, "KeyId is required");
    }
    if (ref.codePointCount(0, ref.length()) > 2048) {
      throw new KmsException(ErrorType.VALIDATION, "KeyId must be at most 2048 characters");
    }
    String resource = ref;
    if (ref.startsWith("arn:")) {
      String prefix = ref.startsWith(arnPrefix) ? arnPrefix
          : ref.startsWith(legacyPrefix) ? legacyPrefix : null;
      if (prefix == null) {
        int parts = ref.split(":", 6).length;
        if (parts < 6 && !(parts == 5 && ref.startsWith("arn:coffer:"))) {
          throw new KmsException(ErrorType.INVALID_ARN, "malformed ARN " + ref + "; key ARNs"
              + " look like " + arnPrefix + "key/<key-id>");
        }
        throw notFound(ref);
      }
      resource = ref.substring(prefix.length());
      if (resource.startsWith("key/")) {
        resource = resource.substring(4);
      } else if (!resource.startsWith("alias/")) {
        throw new KmsException(ErrorType.INVALID_ARN, "ARN " + ref + " names neither a key nor an alias");
      }
    }
    if (resource.startsWith("alias/")) {
      if (!aliasAllowed) {
        throw new KmsException(
            ErrorType.NOT_FOUND,
            "this operation takes a key id or key ARN, not an alias (" + ref
                + "); find the key id with describe-key");
      }
      AliasRecord a = registry.alias(resource);
      if (a == null || registry.get(a.targetKeyId()) == null) {
        throw new KmsException(ErrorType.NOT_FOUND, "alias " + resource + " is not found");
      }
      return a.targetKeyId();
    }
    UUID id = parseUuid(resource);
    if (id == null || registry.get(id) == null) {
      throw notFound(ref);
    }
    return id;
  }

  static UUID parseUuid(String s) {
    if (s.length() != 36) {
      return null;
    }
    try {
      UUID u = UUID.fromString(s);
      return u.toString().equals(s.toLowerCase(java.util.Locale.ROOT)) ? u : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  public static KmsException notFound(String ref) {
    return new KmsException(
        ErrorType.NOT_FOUND, "key " + ref + " does not exist; check the key id with list-keys");
  }

  /** Alias prefixes kept for the service, compared ignoring case (see docs/operations.md). */
  private static final java.util.List<String> RESERVED_ALIAS_PREFIXES =
      java.util.List.of("alias/aws/", "alias/coffer/");

  /**
   * Validates an alias name's syntax; it needs no lookup, so {@code OperationTable.dispatch} runs
   * it with the API constraints, before existence, state and access checks (as AWS does).
   *
   * <ul>
   *   <li>not {@code alias/} followed by 1-250 characters of {@code a-z A-Z 0-9 / _ -} (the API
   *       pattern also admits {@code :}): {@code ValidationException}, AWS's answer for {@code
   *       abc} ("Alias must start with the prefix alias/") and {@code alias/a:b} ("contains
   *       invalid characters for an alias");
   *   <li>a reserved prefix, {@code alias/aws/} (AWS managed keys) or Coffer's {@code
   *       alias/coffer/}, in any case ({@code alias/AWS/x} too, as reserved tag prefixes):
   *       {@code InvalidAliasNameException}.
   * </ul>
   *
   * @param refuseReserved whether to apply the reserved-prefix rule (not for DeleteAlias)
   */
  public static void checkAliasName(String name, boolean refuseReserved) {
    if (name == null || !name.startsWith("alias/") || name.length() == "alias/".length()) {
      throw new KmsException(ErrorType.VALIDATION, "AliasName must begin with alias/ followed by"
          + " a name, like alias/orders; got " + (name == null ? "nothing" : "'" + name + "'"));
    }
    if (!ALIAS_NAME.matcher(name).matches()) {
      throw new KmsException(ErrorType.VALIDATION,
          "AliasName must be alias/ followed by 1-250 characters of a-z A-Z 0-9 / _ -; '" + name
              + "' contains other characters or is too long");
    }
    for (String reserved : RESERVED_ALIAS_PREFIXES) {
      if (refuseReserved && name.regionMatches(true, 0, reserved, 0, reserved.length())) {
        throw new KmsException(ErrorType.INVALID_ALIAS_NAME, "alias names beginning "
            + reserved + " (in any case) are reserved for the service; choose another name");
      }
    }
  }
}
