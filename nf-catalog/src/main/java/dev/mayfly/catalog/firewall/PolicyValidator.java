package dev.mayfly.catalog.firewall;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a {@link FirewallPolicy}. Every error names its field in JSON-path form with the
 * rule index, e.g. {@code rules[3].remoteCidr: '10.0.0.300/8' is not an IPv4 CIDR}, so the
 * controller can hand them to the client as problem+json details unchanged.
 *
 * <p>Rules: at most {@value #MAX_RULES} rules; action, direction and protocol present;
 * {@code remoteCidr} absent or an IPv4 {@code ADDR/LEN} (or a single address) without host
 * bits; ports 1..65535, {@code portFrom <= portTo}, {@code portTo} only with {@code portFrom},
 * ports only with TCP or UDP; description at most {@value #MAX_DESCRIPTION} characters;
 * both defaults present.
 */
public final class PolicyValidator {

  /** Most rules a policy may have. */
  public static final int MAX_RULES = 256;
  /** Longest rule description, in characters. */
  public static final int MAX_DESCRIPTION = 256;

  private PolicyValidator() {}

  /** Every problem in {@code policy}; empty when it is valid. */
  public static List<PolicyError> validate(FirewallPolicy policy) {
    List<PolicyError> errors = new ArrayList<>();
    if (policy == null) {
      errors.add(new PolicyError("policy", "missing"));
      return errors;
    }
    if (policy.defaultOutbound() == null) {
      errors.add(new PolicyError("defaultOutbound", "missing (ALLOW or DENY)"));
    }
    if (policy.defaultInbound() == null) {
      errors.add(new PolicyError("defaultInbound", "missing (ALLOW or DENY)"));
    }
    List<Rule> rules = policy.rules();
    if (rules.size() > MAX_RULES) {
      errors.add(new PolicyError("rules", rules.size() + " rules, at most " + MAX_RULES + " are allowed"));
    }
    for (int i = 0; i < rules.size(); i++) {
      validateRule(i, rules.get(i), errors);
    }
    return errors;
  }

  /** Checks one rule, adding errors named {@code rules[index].field}. */
  public static void validateRule(int index, Rule r, List<PolicyError> errors) {
    String f = "rules[" + index + "]";
    if (r == null) {
      errors.add(new PolicyError(f, "missing rule"));
      return;
    }
    if (r.action() == null) {
      errors.add(new PolicyError(f + ".action", "missing (ALLOW or DENY)"));
    }
    if (r.direction() == null) {
      errors.add(new PolicyError(f + ".direction", "missing (OUTBOUND or INBOUND)"));
    }
    if (r.protocol() == null) {
      errors.add(new PolicyError(f + ".protocol", "missing (TCP, UDP, ICMP or ANY)"));
    }
    String cidr = r.remoteCidr();
    if (cidr != null && !cidr.isBlank()) {
      Ipv4.Prefix p = Ipv4.parsePrefix(cidr.strip());
      if (p == null) {
        errors.add(new PolicyError(f + ".remoteCidr", "'" + shorten(cidr) + "' is not an IPv4 CIDR"));
      } else if (p.hostBitsSet()) {
        errors.add(new PolicyError(f + ".remoteCidr", "'" + shorten(cidr) + "' has host bits set (the network is "
            + p.network() + ")"));
      }
    }
    Integer from = r.portFrom();
    Integer to = r.portTo();
    boolean portsOk = true;
    if (from != null && (from < 1 || from > 65535)) {
      errors.add(new PolicyError(f + ".portFrom", from + " is not a port number (1-65535)"));
      portsOk = false;
    }
    if (to != null && (to < 1 || to > 65535)) {
      errors.add(new PolicyError(f + ".portTo", to + " is not a port number (1-65535)"));
      portsOk = false;
    }
    if (to != null && from == null) {
      errors.add(new PolicyError(f + ".portTo", "set without portFrom"));
      portsOk = false;
    }
    if (portsOk && from != null && to != null && from > to) {
      errors.add(new PolicyError(f + ".portTo", to + " is below portFrom " + from));
    }
    if ((from != null || to != null) && r.protocol() != null && !r.protocol().hasPorts()) {
      errors.add(new PolicyError(f + (from != null ? ".portFrom" : ".portTo"),
          "ports need protocol TCP or UDP, not " + r.protocol()));
    }
    if (r.description() != null && r.description().length() > MAX_DESCRIPTION) {
      errors.add(new PolicyError(f + ".description", r.description().length()
          + " characters, at most " + MAX_DESCRIPTION + " are allowed"));
    }
  }

  /** Checks the subscriber's UE address (field {@code ueIp}). */
  public static List<PolicyError> validateUeIp(String ueIp) {
    if (ueIp == null || ueIp.isBlank()) {
      return List.of(new PolicyError("ueIp", "missing"));
    }
    if (!Ipv4.isAddress(ueIp.strip())) {
      return List.of(new PolicyError("ueIp", "'" + shorten(ueIp) + "' is not an IPv4 address"));
    }
    int a = Ipv4.parseAddress(ueIp.strip());
    if (a == 0 || a == -1 || (a >>> 24) == 127 || (a >>> 28) >= 14) {
      return List.of(new PolicyError("ueIp", "'" + ueIp.strip()
          + "' is not a unicast host address"));
    }
    return List.of();
  }

  static String shorten(String s) {
    String one = s.replaceAll("\\p{Cntrl}", "?");
    return one.length() > 64 ? one.substring(0, 61) + "..." : one;
  }
}
