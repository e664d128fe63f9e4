package dev.coffer.bench.support;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;

/**
 * The thinnest JCA provider there can be: its {@code AES/GCM/NoPadding} hands every call, as it
 * came, to SunJCE's. Any provider that keeps its keys elsewhere and runs AES-GCM on the JDK's
 * intrinsics (Coffer does) puts one such {@code Cipher} layer in front of SunJCE; this peer
 * measures what that layer alone costs, so a Coffer row can be read against the floor as well as
 * against SunJCE. Benchmark code only: it adds nothing to SunJCE.
 */
public final class PassThroughProvider extends Provider {
  private static final long serialVersionUID = 1L;

  public static final String NAME = "PassThrough";

  public PassThroughProvider() {
    super(NAME, "1.0", "AES/GCM/NoPadding forwarded to SunJCE (a benchmark's floor)");
    putService(new Service(this, "Cipher", "AES/GCM/NoPadding",
        ForwardingGcm.class.getName(), null, null) {
      @Override
      public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
        return new ForwardingGcm();
      }
    });
  }

  /** Forwards each SPI call to the public {@link Cipher} method that does the same. */
  static final class ForwardingGcm extends CipherSpi {
    private final Cipher inner;

    ForwardingGcm() throws NoSuchAlgorithmException {
      try {
        inner = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
      } catch (GeneralSecurityException e) {
        throw new NoSuchAlgorithmException("SunJCE AES/GCM/NoPadding is not available", e);
      }
    }

    @Override
    protected void engineSetMode(String mode) throws NoSuchAlgorithmException {
      if (!"GCM".equals(mode.toUpperCase(Locale.ROOT))) {
        throw new NoSuchAlgorithmException("only GCM: " + mode);
      }
    }

    @Override
    protected void engineSetPadding(String padding) throws NoSuchPaddingException {
      if (!"NOPADDING".equals(padding.toUpperCase(Locale.ROOT))) {
        throw new NoSuchPaddingException("only NoPadding: " + padding);
      }
    }

    @Override
    protected int engineGetBlockSize() {
      return inner.getBlockSize();
    }

    @Override
    protected int engineGetOutputSize(int inputLen) {
      return inner.getOutputSize(inputLen);
    }

    @Override
    protected byte[] engineGetIV() {
      return inner.getIV();
    }

    @Override
    protected AlgorithmParameters engineGetParameters() {
      return inner.getParameters();
    }

    @Override
    protected void engineInit(int opmode, Key key, SecureRandom random)
        throws InvalidKeyException {
      inner.init(opmode, key, random);
    }

    @Override
    protected void engineInit(int opmode, Key key, AlgorithmParameterSpec params,
        SecureRandom random) throws InvalidKeyException, InvalidAlgorithmParameterException {
      inner.init(opmode, key, params, random);
    }

    @Override
    protected void engineInit(int opmode, Key key, AlgorithmParameters params,
        SecureRandom random) throws InvalidKeyException, InvalidAlgorithmParameterException {
      inner.init(opmode, key, params, random);
    }

    @Override
    protected void engineUpdateAAD(byte[] src, int offset, int len) {
      inner.updateAAD(src, offset, len);
    }

    @Override
    protected byte[] engineUpdate(byte[] input, int offset, int len) {
      return inner.update(input, offset, len);
    }

    @Override
    protected int engineUpdate(byte[] input, int offset, int len, byte[] output, int outOff)
        throws ShortBufferException {
      return inner.update(input, offset, len, output, outOff);
    }

    @Override
    protected byte[] engineDoFinal(byte[] input, int offset, int len)
        throws IllegalBlockSizeException, BadPaddingException {
      return inner.doFinal(input, offset, len);
    }

    @Override
    protected int engineDoFinal(byte[] input, int offset, int len, byte[] output, int outOff)
        throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
      return inner.doFinal(input, offset, len, output, outOff);
    }

    @Override
    protected int engineGetKeySize(Key key) throws InvalidKeyException {
      byte[] encoded = key.getEncoded();
      if (encoded == null) {
        throw new InvalidKeyException("PassThrough needs a key with its bytes, as SunJCE does");
      }
      int bits = encoded.length * 8;
      Arrays.fill(encoded, (byte) 0);
      return bits;
    }
  }

  /** Registers the provider once (lowest priority: it must never answer for anyone else). */
  public static synchronized void install() {
    if (Security.getProvider(NAME) == null) {
      Security.addProvider(new PassThroughProvider());
    }
  }
}
