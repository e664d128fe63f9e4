package dev.coffer.daemon.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.daemon.asymmetric.AsymmetricKeys;
import dev.coffer.daemon.asymmetric.KmsKeySpec;
import dev.coffer.daemon.keys.KeyRecord;
import dev.coffer.daemon.keys.KeyResolver;
import dev.coffer.daemon.storage.Database;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import dev.coffer.protocol.Operation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Coffer's two extension operations (not AWS KMS operations) that attach an X.509 certificate
 * chain to an asymmetric key, so a JCA {@code KeyStore} can answer {@code PrivateKeyEntry} and
 * keytool/jarsigner can use KMS keys:
 *
 * <ul>
 *   <li>{@code PutCertificateChain} {@code {"KeyId", "CertificateChain": [base64 DER X.509, leaf
 *       first]}} → {@code {"KeyId": arn}}. The leaf's public key must be the KMS key's ({@code
 *       ValidationException} otherwise); an empty list removes the chain. Policy action {@code
 *       kms:PutCertificateChain}; audited like every change.
 *   <li>{@code GetCertificateChain} {@code {"KeyId"}} → {@code {"KeyId": arn,
 *       "CertificateChain": [...]}}, empty when none is attached. Policy action {@code
 *       kms:GetCertificateChain}.
 * </ul>
 *
 * Chains are stored in the database beside the key's public key: certificates are public.
 */
final class CertificateOperations {

  /** At most this many certificates in a chain (ApiConstraints has the per-entry size). */
  static final int MAX_CHAIN = 10;

  private final KeyResolver resolver;
  private final AsymmetricKeys keys;
  private final Database db;

  CertificateOperations(KeyResolver resolver, AsymmetricKeys keys, Database db) {
    this.resolver = resolver;
    this.keys = keys;
    this.db = db;
  }

  void register(OperationTable table) {
    table.register(Operation.PUT_CERTIFICATE_CHAIN, Set.of("KeyId", "CertificateChain"),
        this::put);
    table.register(Operation.GET_CERTIFICATE_CHAIN, Set.of("KeyId"), this::get);
  }

  private ObjectNode put(Caller caller, Input in) {
    KeyRecord k = KeyStateRules.requireNotPendingDeletion(
        resolver.resolve(in.requiredString("KeyId")));
    KmsKeySpec spec = KmsKeySpec.ofStored(k.keySpec());
    if (!spec.isAsymmetric()) {
      throw new KmsException(ErrorType.UNSUPPORTED_OPERATION, "key " + k.id() + " is a "
          + spec + " key; certificates attach only to RSA and ECC keys");
    }
    if (!in.has("CertificateChain")) {
      throw Input.invalid("CertificateChain", "is required (a list of base64 DER X.509"
          + " certificates, leaf first; an empty list removes the chain)");
    }
    List<String> chain = in.stringList("CertificateChain");
    List<Parsed> parsed = new ArrayList<>();
    for (int i = 0; i < chain.size(); i++) {
      parsed.add(parse(i, chain.get(i)));
    }
    List<byte[]> ders = parsed.stream().map(Parsed::der).toList();
    if (!parsed.isEmpty()) {
      X509Certificate leaf = parsed.get(0).cert();
      if (!samePublicKey(keys.publicKey(k), keys.publicKeyDer(k), leaf.getPublicKey())) {
        throw new KmsException(ErrorType.VALIDATION, "the leaf certificate (CertificateChain[0],"
            + " subject " + leaf.getSubjectX500Principal().getName() + ") certifies another"
            + " public key than key " + k.id() + "'s; put the certificate issued for this key's"
            + " public key (get-public-key) first");
      }
    }
    byte[] encoded = ders.isEmpty() ? null : encode(ders);
    db.inTransaction(tx -> {
      tx.putCertificateChain(k.id(), encoded);
      return null;
    });
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    return out;
  }

  private ObjectNode get(Caller caller, Input in) {
    KeyRecord k = resolver.resolve(in.requiredString("KeyId"));
    ObjectNode out = Json.object();
    out.put("KeyId", resolver.keyArn(k.id()));
    ArrayNode a = out.putArray("CertificateChain");
    byte[] stored = KmsKeySpec.ofStored(k.keySpec()).isAsymmetric()
        ? db.loadCertificateChain(k.id()) : null;
    if (stored != null) {
      decode(stored).forEach(a::add);
    }
    return out;
  }

  private record Parsed(byte[] der, X509Certificate cert) {}

  private static Parsed parse(int index, String base64) {
    String field = "CertificateChain[" + index + "]";
    byte[] der;
    try {
      der = Json.bytes(com.fasterxml.jackson.databind.node.TextNode.valueOf(base64));
    } catch (IllegalArgumentException e) {
      throw Input.invalid(field, "must be the base64 of a DER X.509 certificate: "
          + e.getMessage());
    }
    try {
      X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
      if (!Arrays.equals(c.getEncoded(), der)) {
        throw new CertificateException("trailing or non-DER data");
      }
      return new Parsed(der, c);
    } catch (CertificateException | ClassCastException e) {
      throw Input.invalid(field, "is not a DER X.509 certificate (" + e.getMessage()
          + "); convert PEM with `openssl x509 -outform DER` and base64 the result");
    }
  }

  /**
   * Whether the certificate's key is the KMS key's public key: the same SubjectPublicKeyInfo,
   * or (when the certificate encodes EC parameters differently) the same RSA modulus and
   * exponent or the same EC point on a curve of the same order.
   */
  static boolean samePublicKey(PublicKey kms, byte[] kmsDer, PublicKey cert) {
    if (Arrays.equals(kmsDer, cert.getEncoded())) {
      return true;
    }
    if (kms instanceof RSAPublicKey a && cert instanceof RSAPublicKey b) {
      return a.getModulus().equals(b.getModulus())
          && a.getPublicExponent().equals(b.getPublicExponent());
    }
    if (kms instanceof ECPublicKey a && cert instanceof ECPublicKey b) {
      return a.getW().equals(b.getW())
          && a.getParams().getOrder().equals(b.getParams().getOrder());
    }
    return false;
  }

  private static byte[] encode(List<byte[]> ders) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(ders.size());
      for (byte[] d : ders) {
        out.writeInt(d.length);
        out.write(d);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<byte[]> decode(byte[] stored) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
      int n = in.readInt();
      List<byte[]> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] d = new byte[in.readInt()];
        in.readFully(d);
        out.add(d);
      }
      return out;
    } catch (IOException e) {
      throw new KmsException(ErrorType.INTERNAL, "the stored certificate chain is damaged;"
          + " put it again with PutCertificateChain");
    }
  }
}
