package dev.coffer.daemon.policy;

import dev.coffer.daemon.policy.KeyPolicy.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates a key policy for one request, as AWS does: an explicit deny in any applicable
 * statement wins; otherwise any applicable allow allows; otherwise nothing is decided (a grant
 * may still allow). Pure: no storage, no caching.
 */
public final class PolicyEvaluator {

  /** The outcome of a key policy alone. */
  public enum Decision { ALLOW, DENY, NONE }

  private final Principals principals;

  public PolicyEvaluator(Principals principals) {
    this.principals = principals;
  }

  public Principals principals() {
    return principals;
  }

  public Decision decide(KeyPolicy policy, RequestContext rc) {
    return evaluate(applicable(policy, rc), rc);
  }

  /** Statements whose principal, action and resource match; their conditions are not checked. */
  List<Statement> applicable(KeyPolicy policy, RequestContext rc) {
    List<Statement> out = new ArrayList<>();
    for (Statement s : policy.statements()) {
      if (s.appliesTo(rc.action(), rc.keyArn(), principals, rc.identity())) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  Decision evaluate(List<Statement> statements, RequestContext rc) {
    boolean allowed = false;
    for (Statement s : statements) {
      if (conditionsHold(s, rc)) {
        if (!s.allow()) {
          return Decision.DENY;
        }
        allowed = true;
      }
    }
    return allowed ? Decision.ALLOW : Decision.NONE;
  }

  private boolean conditionsHold(Statement s, RequestContext rc) {
    for (Condition c : s.conditions()) {
      if (!c.holds(rc, principals, !s.allow())) {
        return false;
      }
    }
    return true;
  }
}
