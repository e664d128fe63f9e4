package dev.coffer.jca.spi;

import dev.coffer.jca.core.JcaErrors;
import dev.coffer.jca.core.KeyInfo;
import dev.coffer.jca.core.KmsService;
import dev.coffer.jca.core.Segments;
import dev.coffer.jca.key.KmsKey;
import dev.coffer.jca.key.KmsPrivateKey;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.KmsException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.KeyStoreSpi;
import java.security.NoSuchAlgorithmException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * {@code KeyStore KMS}: a live view of the daemon's keys. Entries are aliases ({@code alias/name})
 * and key ids. A symmetric or HMAC key's entry is a secret-key entry whose key is a {@link KmsKey}
 * handle; an RSA or ECC key pair's entry is a {@code PrivateKeyEntry}: a {@link KmsPrivateKey}
 * handle with the certificate chain kept for it in the daemon ({@code setKeyEntry} with the
 * handle and a chain, or {@code setCertificateEntry} on its alias, replace that chain; keytool
 * {@code -genkeypair} and {@code -importcert} do so). Nothing is stored locally: {@code store}
 * succeeds and does nothing, passwords are ignored (the daemon authenticates the process by its
 * Unix credentials).
 *
 * <p>{@code load(null, null)} uses the located socket; {@code load(stream, any)} reads a
 * properties stream whose {@code socket} property names it. {@code setEntry}/{@code setKeyEntry}
 * with a handle creates or moves an alias; with a plain 256-bit AES key it imports that material as
 * a new key of origin EXTERNAL (wrapped with RSA-OAEP-SHA-256 in this JVM; the raw key never crosses
 * the socket) and names it with the alias. {@code deleteEntry} deletes an alias only: keys are deleted solely through
 * {@code ScheduleKeyDeletion}.
 *
 * <p>Methods whose JCA signature has no checked exception ({@code aliases}, {@code containsAlias},
 * {@code size}, ...) report an unreachable daemon as {@code KmsProviderException}.
 */
public final class KmsKeyStoreSpi extends KeyStoreSpi {

  static {
    // Whoever asks for KMS key handles is about to encrypt with them: start the JIT warm-up of
    // large messages now, well before the first one (see Segments).
    Segments.warmUpInBackground();
  }

  private Path socket;
  private KmsService service;

  @Override
  public void engineLoad(InputStream stream, char[] password) throws IOException {
    Path s = null;
    if (stream != null) {
      Properties p = new Properties();
      p.load(stream);
      String v = p.getProperty("socket");
      if (v != null && !v.isBlank()) {
        s = Path.of(v.trim());
      }
    }
    KmsService svc = KmsService.forSocket(s);
    try {
      svc.listAliases(); // fail now, with a checked exception, if the daemon is not there
    } catch (KmsException e) {
      throw JcaErrors.io(e);
    }
    socket = s;
    service = svc;
  }

  @Override
  public void engineStore(OutputStream stream, char[] password) {
    // State lives in the daemon; nothing to write.
  }

  private KmsService service() {
    if (service == null) {
      throw new IllegalStateException("KeyStore not loaded");
    }
    return service;
  }

  /**
   * A bare entry name such as {@code appkey} (what {@code keytool -importkeystore} passes from a
   * JCEKS or PKCS12 store) means the alias {@code alias/appkey}; aliases, key ids and ARNs are
   * taken as they are.
   */
  static String entryName(String name) {
    if (name == null || name.startsWith("alias/") || name.startsWith("arn:")
        || name.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
      return name;
    }
    return "alias/" + name;
  }

  private static boolean isAlias(String name) {
    return name != null && name.startsWith("alias/");
  }

  private KeyInfo describe(String name) {
    try {
      return service().describeKey(name, List.of());
    } catch (KmsException e) {
      if (JcaErrors.isNotFound(e)) {
        return null;
      }
      throw JcaErrors.provider(e);
    }
  }

  @Override
  public Key engineGetKey(String alias, char[] password)
      throws NoSuchAlgorithmException, UnrecoverableKeyException {
    alias = entryName(alias);
    try {
      KeyInfo k = service().describeKey(alias, List.of());
      return handle(k);
    } catch (KmsException e) {
      if (JcaErrors.isNotFound(e)) {
        return null;
      }
      throw JcaErrors.unrecoverableKey(e);
    }
  }

  /**
   * The handle for a key: a {@link KmsPrivateKey} (with its public key, {@code GetPublicKey})
   * for RSA and ECC key pairs, else a {@link KmsKey} of algorithm {@code AES} or {@code
   * HmacSHA*}.
   */
  private Key handle(KeyInfo k) {
    if (k.isAsymmetric()) {
      return KmsKeyPairGeneratorSpi.keyPair(service(), k.arn(), k.keyId(), k.keySpec(),
          List.of(), socket).getPrivate();
    }
    String hmac = KmsAlgorithms.hmacJcaName(k.keySpec());
    return KmsKey.of(k.arn(), k.keyId(), k.creationDate(), k.description(), List.of(), socket,
        hmac == null ? "AES" : hmac);
  }

  @Override
  public KeyStore.Entry engineGetEntry(String alias, KeyStore.ProtectionParameter p)
      throws KeyStoreException, NoSuchAlgorithmException, UnrecoverableKeyException {
    // No password protects a KMS entry, so a null protection parameter is fine.
    Key k = engineGetKey(alias, null);
    if (k == null) {
      return null;
    }
    if (k instanceof KmsPrivateKey pk) {
      Certificate[] chain = chainOf(pk.keyId());
      if (chain == null) {
        throw new KeyStoreException(entryName(alias) + " is a key pair without a certificate;"
            + " attach one with setKeyEntry(alias, key, null, chain) or keytool -importcert,"
            + " or take the key alone with getKey");
      }
      return new KeyStore.PrivateKeyEntry(pk, chain);
    }
    return new KeyStore.SecretKeyEntry((SecretKey) k);
  }

  private Certificate[] chainOf(String keyId) {
    try {
      return KeyPairEntries.chain(service(), keyId);
    } catch (KmsException e) {
      throw JcaErrors.provider(e);
    }
  }

  /** The certificate chain of an asymmetric key's entry; null for other or unknown entries. */
  @Override
  public Certificate[] engineGetCertificateChain(String alias) {
    alias = entryName(alias);
    KeyInfo k = alias == null ? null : describe(alias);
    return k == null || !k.isAsymmetric() ? null : chainOf(k.keyId());
  }

  @Override
  public Certificate engineGetCertificate(String alias) {
    Certificate[] chain = engineGetCertificateChain(alias);
    return chain == null ? null : chain[0];
  }

  @Override
  public Date engineGetCreationDate(String alias) {
    alias = entryName(alias);
    if (isAlias(alias)) {
      try {
        for (KmsService.AliasInfo a : service().listAliases()) {
          if (a.aliasName().equals(alias) && a.targetKeyId() != null) {
            return a.creationDate() == null ? null : Date.from(a.creationDate());
          }
        }
        return null;
      } catch (KmsException e) {
        throw JcaErrors.provider(e);
      }
    }
    KeyInfo k = alias == null ? null : describe(alias);
    return k == null || k.creationDate() == null ? null : Date.from(k.creationDate());
  }

  @Override
  public void engineSetKeyEntry(String alias, Key key, char[] password, Certificate[] chain)
      throws KeyStoreException {
    alias = entryName(alias);
    if (!isAlias(alias)) {
      throw new KeyStoreException(
          "entries are set by alias name (alias/name); key ids are fixed by the daemon");
    }
    if (key instanceof KmsPrivateKey pair) {
      if (pair.isDestroyed()) {
        throw new KeyStoreException("the KMS key handle has been destroyed");
      }
      // The chain first: a wrong chain is refused before the alias changes.
      KeyPairEntries.attach(service(), pair, chain);
      pointAlias(alias, pair.keyId());
      return;
    }
    if (!(key instanceof SecretKey)) {
      throw new KeyStoreException("KeyStore KMS cannot import private keys: a KMS key pair is"
          + " made in the daemon (KeyPairGenerator EC/RSA under Coffer, keytool -genkeypair"
          + " -providerName Coffer), got " + (key == null ? "null" : key.getClass().getName()));
    }
    if (!(key instanceof KmsKey handle)) {
      String a = alias;
      SecretKeyImports.importAs(service(), a, (SecretKey) key, () -> aliasExists(a));
      return;
    }
    if (handle.isDestroyed()) {
      throw new KeyStoreException("the KMS key handle has been destroyed");
    }
    pointAlias(alias, handle.keyId());
  }

  private void pointAlias(String alias, String keyId) throws KeyStoreException {
    try {
      if (aliasExists(alias)) {
        service().updateAlias(alias, keyId);
      } else {
        service().createAlias(alias, keyId);
      }
    } catch (KmsException e) {
      throw JcaErrors.keyStore(e);
    }
  }

  @Override
  public void engineSetKeyEntry(String alias, byte[] key, Certificate[] chain)
      throws KeyStoreException {
    throw new KeyStoreException("KeyStore KMS cannot take protected key bytes; pass the"
        + " SecretKey itself (setKeyEntry(alias, key, null, null) or setEntry)");
  }

  @Override
  public void engineSetCertificateEntry(String alias, Certificate cert) throws KeyStoreException {
    // An asymmetric key's entry takes a new certificate (a CA reply); a trusted-certificate
    // entry of its own has nothing in the daemon to live in.
    Key k;
    try {
      k = engineGetKey(alias, null);
    } catch (NoSuchAlgorithmException | UnrecoverableKeyException e) {
      throw new KeyStoreException(e.getMessage(), e);
    }
    if (!(k instanceof KmsPrivateKey pair)) {
      throw new KeyStoreException("KeyStore KMS holds KMS keys, not trusted certificates; a"
          + " certificate can only replace the one of an asymmetric KMS key's entry");
    }
    KeyPairEntries.attach(service(), pair, new Certificate[] {cert});
  }

  @Override
  public void engineSetEntry(String alias, KeyStore.Entry entry, KeyStore.ProtectionParameter p)
      throws KeyStoreException {
    if (entry instanceof KeyStore.SecretKeyEntry s) {
      engineSetKeyEntry(alias, s.getSecretKey(), null, null);
      return;
    }
    if (entry instanceof KeyStore.PrivateKeyEntry pk) {
      engineSetKeyEntry(alias, pk.getPrivateKey(), null, pk.getCertificateChain());
      return;
    }
    throw new KeyStoreException("KeyStore KMS holds secret-key and KMS key-pair entries only");
  }

  @Override
  public void engineDeleteEntry(String alias) throws KeyStoreException {
    alias = entryName(alias);
    if (!isAlias(alias)) {
      throw new KeyStoreException(
          "only aliases can be deleted here; delete a key with ScheduleKeyDeletion "
              + "(`coffer schedule-key-deletion --key-id ...`)");
    }
    try {
      service().deleteAlias(alias);
    } catch (KmsException e) {
      throw JcaErrors.keyStore(e);
    }
  }

  private boolean aliasExists(String alias) {
    for (KmsService.AliasInfo a : service().listAliases()) {
      if (a.aliasName().equals(alias)) {
        return true;
      }
    }
    return false;
  }

  private List<String> names() {
    try {
      Set<String> out = new LinkedHashSet<>();
      for (KmsService.AliasInfo a : service().listAliases()) {
        if (a.targetKeyId() != null) {
          out.add(a.aliasName());
        }
      }
      out.addAll(service().listKeyIds());
      return new ArrayList<>(out);
    } catch (KmsException e) {
      throw JcaErrors.provider(e);
    }
  }

  @Override
  public Enumeration<String> engineAliases() {
    return Collections.enumeration(names());
  }

  @Override
  public boolean engineContainsAlias(String alias) {
    alias = entryName(alias);
    return alias != null && describe(alias) != null;
  }

  @Override
  public int engineSize() {
    return names().size();
  }

  @Override
  public boolean engineIsKeyEntry(String alias) {
    return engineContainsAlias(alias);
  }

  @Override
  public boolean engineIsCertificateEntry(String alias) {
    return false;
  }

  /**
   * The first entry (aliases before key ids, as {@code aliases()} lists them) whose certificate
   * chain starts with {@code cert}, or null (JCA {@code KeyStore.getCertificateAlias}; KMS has no
   * trusted-certificate entries). Each asymmetric key's chain is fetched once, however many names
   * point at it.
   */
  @Override
  public String engineGetCertificateAlias(Certificate cert) {
    if (cert == null) {
      return null;
    }
    Set<String> seenKeys = new java.util.HashSet<>();
    Set<String> matchingKeys = new java.util.HashSet<>();
    for (String name : names()) {
      KeyInfo k;
      try {
        k = service().describeKey(name, List.of());
        if (!k.isAsymmetric()) {
          continue;
        }
        if (seenKeys.add(k.keyId())) {
          Certificate[] chain = KeyPairEntries.chain(service(), k.keyId());
          if (chain != null && chain.length > 0 && chain[0].equals(cert)) {
            matchingKeys.add(k.keyId());
          }
        }
      } catch (KmsException e) {
        // ListKeys shows every key; a key this caller may not read (or one just deleted) is
        // not an entry of theirs, so it is skipped rather than failing the whole search.
        if (JcaErrors.isNotFound(e) || ErrorType.ACCESS_DENIED.equals(e.errorType())) {
          continue;
        }
        throw JcaErrors.provider(e);
      }
      if (matchingKeys.contains(k.keyId())) {
        return name;
      }
    }
    return null;
  }

  @Override
  public boolean engineEntryInstanceOf(
      String alias, Class<? extends KeyStore.Entry> entryClass) {
    alias = entryName(alias);
    KeyInfo k = alias == null ? null : describe(alias);
    if (k == null) {
      return false;
    }
    return entryClass == (k.isAsymmetric()
        ? KeyStore.PrivateKeyEntry.class : KeyStore.SecretKeyEntry.class);
  }
}
