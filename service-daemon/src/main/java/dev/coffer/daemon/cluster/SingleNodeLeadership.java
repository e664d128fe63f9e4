package dev.coffer.daemon.cluster;

/** One node on its own database ({@code storage = sqlite}): always the leader. */
public final class SingleNodeLeadership implements Leadership {

  @Override
  public boolean isLeader() {
    return true;
  }

  @Override
  public void close() {}
}
