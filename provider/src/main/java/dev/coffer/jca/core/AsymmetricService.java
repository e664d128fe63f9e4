package dev.coffer.jca.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.coffer.jca.transport.KmsTransport;
import dev.coffer.protocol.ErrorType;
import dev.coffer.protocol.Json;
import dev.coffer.protocol.KmsException;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed KMS operations on asymmetric (RSA, ECC) and HMAC keys: {@code GetPublicKey}, {@code
 * Sign}, {@code GenerateMac}/{@code VerifyMac}, asymmetric {@code Decrypt}, and Coffer's two
 * certificate-chain operations. AWS field names and algorithm names throughout (KMS API
 * reference); failures are {@link KmsException}s the SPI layer maps through {@link JcaErrors}.
 */
public final class AsymmetricService {

  /**
   * Coffer extension operation (not in AWS KMS): input {@code {"KeyId", "CertificateChain":
   * [base64 DER X.509, leaf first]}}, output {@code {"KeyId": arn}}.
   */
  static final String PUT_CERTIFICATE_CHAIN = "PutCertificateChain";

  /** Coffer extension: input {@code {"KeyId"}}, output {@code {"KeyId", "CertificateChain"}}. */
  static final String GET_CERTIFICATE_CHAIN = "GetCertificateChain";

  private final KmsTransport transport;

  AsymmetricService(KmsTransport transport) {
    this.transport = transport;
  }

  /**
   * What {@code GetPublicKey} returns: the DER {@code SubjectPublicKeyInfo} and the key's
   * spec, usage and algorithms (AWS names).
   */
  public record PublicKeyInfo(
      String keyArn, byte[] subjectPublicKeyInfo, String keySpec, String keyUsage,
      List<String> signingAlgorithms, List<String> encryptionAlgorithms) {}

  public PublicKeyInfo getPublicKey(String keyId, List<String> grantTokens) {
    ObjectNode in = Json.object().put("KeyId", keyId);
    KmsService.grants(in, grantTokens);
    ObjectNode out = transport.call("GetPublicKey", in);
    return new PublicKeyInfo(out.path("KeyId").asText(), KmsService.binary(out, "PublicKey"),
        out.path("KeySpec").asText(""), out.path("KeyUsage").asText(""),
        strings(out.path("SigningAlgorithms")), strings(out.path("EncryptionAlgorithms")));
  }

  /**
   * {@code Sign}: the signature exactly as AWS returns it (DER {@code ECDSA-Sig-Value} for
   * ECDSA, the raw RSA signature for PKCS #1 v1.5 and PSS, which is what the JDK produces too).
   *
   * @param messageType {@code RAW} (at most 4096 bytes) or {@code DIGEST} (the digest length
   *     of {@code signingAlgorithm})
   */
  public byte[] sign(String keyId, byte[] message, String messageType, String signingAlgorithm,
      List<String> grantTokens) {
    ObjectNode in = Json.object().put("KeyId", keyId).put("Message", message)
        .put("MessageType", messageType).put("SigningAlgorithm", signingAlgorithm);
    KmsService.grants(in, grantTokens);
    return KmsService.binary(transport.call("Sign", in), "Signature");
  }

  /**
   * {@code GenerateMac} over at most 4096 bytes; {@code macAlgorithm} is e.g. {@code
   * HMAC_SHA_256}.
   */
  public byte[] generateMac(
      String keyId, byte[] message, String macAlgorithm, List<String> grantTokens) {
    ObjectNode in = Json.object().put("KeyId", keyId).put("Message", message)
        .put("MacAlgorithm", macAlgorithm);
    KmsService.grants(in, grantTokens);
    return KmsService.binary(transport.call("GenerateMac", in), "Mac");
  }

  /**
   * {@code VerifyMac}: true when the MAC is valid. AWS answers a wrong MAC with {@code
   * KMSInvalidMacException}, which becomes false here; every other failure is thrown.
   */
  public boolean verifyMac(String keyId, byte[] message, String macAlgorithm, byte[] mac,
      List<String> grantTokens) {
    ObjectNode in = Json.object().put("KeyId", keyId).put("Message", message)
        .put("MacAlgorithm", macAlgorithm).put("Mac", mac);
    KmsService.grants(in, grantTokens);
    try {
      return transport.call("VerifyMac", in).path("MacValid").asBoolean(false);
    } catch (KmsException e) {
      if ("KMSInvalidMacException".equals(e.errorType())) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Asymmetric {@code Decrypt} with {@code EncryptionAlgorithm} {@code RSAES_OAEP_SHA_1} or
   * {@code RSAES_OAEP_SHA_256}; the caller owns (and zeroes) the plaintext.
   */
  public byte[] decrypt(String keyId, byte[] ciphertext, String encryptionAlgorithm,
      List<String> grantTokens) {
    ObjectNode in = Json.object().put("KeyId", keyId).put("CiphertextBlob", ciphertext)
        .put("EncryptionAlgorithm", encryptionAlgorithm);
    KmsService.grants(in, grantTokens);
    return KmsService.binary(transport.call("Decrypt", in), "Plaintext");
  }

  /** Attaches {@code chain} (DER X.509, leaf first) to the key, replacing any chain it had. */
  public void putCertificateChain(String keyId, List<byte[]> chain) {
    ObjectNode in = Json.object().put("KeyId", keyId);
    ArrayNode a = in.putArray("CertificateChain");
    chain.forEach(a::add);
    transport.call(PUT_CERTIFICATE_CHAIN, in);
  }

  /** The key's certificate chain (DER, leaf first); empty when none is attached. */
  public List<byte[]> getCertificateChain(String keyId) {
    ObjectNode out = transport.call(GET_CERTIFICATE_CHAIN, Json.object().put("KeyId", keyId));
    List<byte[]> chain = new ArrayList<>();
    for (JsonNode c : out.path("CertificateChain")) {
      try {
        chain.add(Json.bytes(c));
      } catch (IllegalArgumentException e) {
        throw new KmsException(ErrorType.INTERNAL, "the daemon's certificate is not base64");
      }
    }
    return chain;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return List.copyOf(out);
  }
}
