package dev.coffer.esdk;

/** Told how many input bytes have been consumed so far; a progress bar, or nothing. */
@FunctionalInterface
public interface Progress {
  Progress NONE = bytes -> { };

  void consumed(long bytes);
}
