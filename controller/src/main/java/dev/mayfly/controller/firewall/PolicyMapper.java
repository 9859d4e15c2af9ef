package dev.mayfly.controller.firewall;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.api.model.FirewallAction;
import dev.mayfly.api.model.FirewallRule;
import dev.mayfly.catalog.firewall.Action;
import dev.mayfly.catalog.firewall.Direction;
import dev.mayfly.catalog.firewall.FirewallPolicy;
import dev.mayfly.catalog.firewall.PolicyError;
import dev.mayfly.catalog.firewall.PolicyValidator;
import dev.mayfly.catalog.firewall.Protocol;
import dev.mayfly.catalog.firewall.Rule;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;

/**
 * The API's {@code FirewallPolicy} ↔ the nf-catalog model, its JSON storage form, and
 * validation with field names prefixed for the request ({@code rules[3].remoteCidr},
 * {@code policy.rules[3].remoteCidr}, {@code items[7].policy.rules[3].remoteCidr}).
 */
public final class PolicyMapper {

  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  /** What fail-open enforces: everything passes (stateful, so a later policy updates live). */
  public static final FirewallPolicy PASS_ALL = new FirewallPolicy(List.of(), Action.ALLOW, Action.ALLOW, true);

  private PolicyMapper() {}

  /** API defaults: outbound ALLOW, inbound DENY, stateful true. */
  public static FirewallPolicy toModel(dev.mayfly.api.model.FirewallPolicy p) {
    List<Rule> rules = new ArrayList<>();
    if (p.getRules() != null) {
      for (FirewallRule r : p.getRules()) {
        rules.add(r == null ? null : new Rule(
            r.getAction() == null ? null : Action.valueOf(r.getAction().getValue()),
            r.getDirection() == null ? null : Direction.valueOf(r.getDirection().getValue()),
            r.getProtocol() == null ? null : Protocol.valueOf(r.getProtocol().getValue()),
            r.getRemoteCidr(), r.getPortFrom(), r.getPortTo(), r.getDescription()));
      }
    }
    return new FirewallPolicy(rules,
        p.getDefaultOutbound() == null ? Action.ALLOW : Action.valueOf(p.getDefaultOutbound().getValue()),
        p.getDefaultInbound() == null ? Action.DENY : Action.valueOf(p.getDefaultInbound().getValue()),
        p.getStateful() == null || p.getStateful());
  }

  /** Every problem of {@code policy} (and {@code ueIp} when not null), fields prefixed with {@code prefix}. */
  public static List<FieldError> validate(dev.mayfly.api.model.FirewallPolicy policy, String prefix) {
    List<FieldError> out = new ArrayList<>();
    if (policy == null) {
      return out;
    }
    for (PolicyError e : PolicyValidator.validate(toModel(policy))) {
      out.add(new FieldError(prefix + e.field(), e.message()));
    }
    return out;
  }

  /** The stored form of a policy: the API document with its defaults filled in. */
  public static String toJson(dev.mayfly.api.model.FirewallPolicy p) {
    FirewallPolicy m = toModel(p);
    dev.mayfly.api.model.FirewallPolicy n = new dev.mayfly.api.model.FirewallPolicy();
    n.setRules(p.getRules() == null ? new ArrayList<>() : new ArrayList<>(p.getRules()));
    n.setDefaultOutbound(FirewallAction.fromValue(m.defaultOutbound().name()));
    n.setDefaultInbound(FirewallAction.fromValue(m.defaultInbound().name()));
    n.setStateful(m.stateful());
    return MAPPER.writeValueAsString(n);
  }

  public static dev.mayfly.api.model.FirewallPolicy fromJson(String json) {
    return json == null ? null : MAPPER.readValue(json, dev.mayfly.api.model.FirewallPolicy.class);
  }
}
