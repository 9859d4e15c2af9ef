package dev.mayfly.catalog.firewall;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A subscriber's firewall policy: ordered rules (first match wins, per direction), the
 * default action of each direction, and whether replies to allowed outbound flows are let in
 * ({@code stateful}).
 *
 * @param rules the rules in order; null is treated as empty (a null element is a validation
 *     error, not an exception)
 */
public record FirewallPolicy(List<Rule> rules, Action defaultOutbound, Action defaultInbound,
    boolean stateful) {

  public FirewallPolicy {
    rules = rules == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(rules));
  }

  /** The usual personal-firewall starting point: everything out, nothing unsolicited in. */
  public static FirewallPolicy defaultPolicy() {
    return new FirewallPolicy(List.of(), Action.ALLOW, Action.DENY, true);
  }
}
