package dev.coffer.daemon.cluster;

import java.io.Closeable;

/**
 * Whether this node runs the cluster's scheduled work now: deletions after the waiting period,
 * automatic rotation, imported-material expiry and its events (issue 16, "exactly once per due
 * item, on one node at a time"). Per-node work (this node's audit log, its metrics file) does
 * not ask.
 *
 * <p>A node may lose leadership at any instant; work already started finishes, and the due-item
 * work is written so a second runner of the same item changes and records nothing (each item
 * is re-checked in the transaction that acts on it).
 */
public interface Leadership extends Closeable {

  /** True while this node holds leadership; cheap (no I/O), called once per maintenance pass. */
  boolean isLeader();

  /** Gives leadership up (if held) and stops trying; idempotent. */
  @Override
  void close();
}
