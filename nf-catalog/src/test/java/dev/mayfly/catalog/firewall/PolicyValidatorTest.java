package dev.mayfly.catalog.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyValidatorTest {

  private static Rule rule(Protocol p, String cidr, Integer from, Integer to) {
    return new Rule(Action.ALLOW, Direction.OUTBOUND, p, cidr, from, to, null);
  }

  private static List<String> errorsOf(Rule... rules) {
    List<Rule> l = new ArrayList<>();
    // pad so the rule under test has index 3, as in the examples of the docs
    l.addAll(Collections.nCopies(3, rule(Protocol.ANY, null, null, null)));
    l.addAll(List.of(rules));
    return PolicyValidator.validate(new FirewallPolicy(l, Action.ALLOW, Action.DENY, true)).stream()
        .map(PolicyError::toString).toList();
  }

  @Test
  void validPolicies() {
    assertThat(PolicyValidator.validate(FirewallPolicy.defaultPolicy())).isEmpty();
    assertThat(errorsOf(rule(Protocol.TCP, "10.0.0.0/8", 80, null), rule(Protocol.UDP, "0.0.0.0/0", 1, 65535),
        rule(Protocol.ICMP, "192.168.1.7", null, null), rule(Protocol.ANY, "", null, null),
        rule(Protocol.TCP, "1.2.3.4/32", 1000, 1000))).isEmpty();
  }

  @Test
  void badCidrs() {
    assertThat(errorsOf(rule(Protocol.ANY, "10.0.0.300/8", null, null)))
        .containsExactly("rules[3].remoteCidr: '10.0.0.300/8' is not an IPv4 CIDR");
    assertThat(errorsOf(rule(Protocol.ANY, "10.0.0.0/33", null, null)))
        .containsExactly("rules[3].remoteCidr: '10.0.0.0/33' is not an IPv4 CIDR");
    assertThat(errorsOf(rule(Protocol.ANY, "10.1.2.3/8", null, null)))
        .containsExactly("rules[3].remoteCidr: '10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)");
    for (String bad : List.of("10.0.0/8", "010.0.0.0/8", "10.0.0.0/08", "fe80::/10", "10.0.0.0/", "a.b.c.d",
        "10.0.0.0 /8", "1.2.3.4.5", "10.0.0.0/8/8", "-1.0.0.0/8")) {
      assertThat(errorsOf(rule(Protocol.ANY, bad, null, null))).as(bad).hasSize(1)
          .allMatch(e -> e.startsWith("rules[3].remoteCidr: "));
    }
  }

  @Test
  void surroundingWhitespaceIsIgnored() {
    assertThat(errorsOf(rule(Protocol.ANY, " 10.0.0.0/8\n", null, null))).isEmpty();
  }

  @Test
  void badPorts() {
    assertThat(errorsOf(rule(Protocol.TCP, null, 0, null)))
        .containsExactly("rules[3].portFrom: 0 is not a port number (1-65535)");
    assertThat(errorsOf(rule(Protocol.TCP, null, 80, 65536)))
        .containsExactly("rules[3].portTo: 65536 is not a port number (1-65535)");
    assertThat(errorsOf(rule(Protocol.UDP, null, 443, 80)))
        .containsExactly("rules[3].portTo: 80 is below portFrom 443");
    assertThat(errorsOf(rule(Protocol.UDP, null, null, 80)))
        .containsExactly("rules[3].portTo: set without portFrom");
    assertThat(errorsOf(rule(Protocol.ICMP, null, 80, null)))
        .containsExactly("rules[3].portFrom: ports need protocol TCP or UDP, not ICMP");
    assertThat(errorsOf(rule(Protocol.ANY, null, 80, 90)))
        .containsExactly("rules[3].portFrom: ports need protocol TCP or UDP, not ANY");
  }

  @Test
  void missingFieldsAndNullRules() {
    List<Rule> rules = new ArrayList<>();
    rules.add(null);
    rules.add(new Rule(null, null, null, null, null, null, null));
    List<String> errs = PolicyValidator.validate(new FirewallPolicy(rules, null, null, false)).stream()
        .map(PolicyError::toString).toList();
    assertThat(errs).containsExactly("defaultOutbound: missing (ALLOW or DENY)",
        "defaultInbound: missing (ALLOW or DENY)", "rules[0]: missing rule",
        "rules[1].action: missing (ALLOW or DENY)", "rules[1].direction: missing (OUTBOUND or INBOUND)",
        "rules[1].protocol: missing (TCP, UDP, ICMP or ANY)");
    assertThat(PolicyValidator.validate(null)).extracting(PolicyError::toString).containsExactly("policy: missing");
    assertThat(new FirewallPolicy(null, Action.ALLOW, Action.DENY, true).rules()).isEmpty();
  }

  @Test
  void ruleLimitAndDescriptionLength() {
    List<Rule> many = Collections.nCopies(PolicyValidator.MAX_RULES, rule(Protocol.ANY, null, null, null));
    assertThat(PolicyValidator.validate(new FirewallPolicy(many, Action.ALLOW, Action.DENY, true))).isEmpty();
    List<Rule> tooMany = Collections.nCopies(PolicyValidator.MAX_RULES + 1, rule(Protocol.ANY, null, null, null));
    assertThat(PolicyValidator.validate(new FirewallPolicy(tooMany, Action.ALLOW, Action.DENY, true)))
        .extracting(PolicyError::toString).containsExactly("rules: 257 rules, at most 256 are allowed");
    String longText = "x".repeat(PolicyValidator.MAX_DESCRIPTION + 1);
    assertThat(errorsOf(new Rule(Action.DENY, Direction.INBOUND, Protocol.ANY, null, null, null, longText)))
        .containsExactly("rules[3].description: 257 characters, at most 256 are allowed");
  }

  @Test
  void errorsKnowTheirRuleIndex() {
    assertThat(new PolicyError("rules[12].portTo", "x").ruleIndex()).isEqualTo(12);
    assertThat(new PolicyError("defaultInbound", "x").ruleIndex()).isEqualTo(-1);
    assertThat(new PolicyError("rules", "x").ruleIndex()).isEqualTo(-1);
  }

  @Test
  void ueAddress() {
    assertThat(PolicyValidator.validateUeIp("10.45.0.2")).isEmpty();
    assertThat(PolicyValidator.validateUeIp("10.45.0.256")).extracting(PolicyError::toString)
        .containsExactly("ueIp: '10.45.0.256' is not an IPv4 address");
    assertThat(PolicyValidator.validateUeIp(null)).extracting(PolicyError::toString).containsExactly("ueIp: missing");
    assertThat(PolicyValidator.validateUeIp("224.0.0.1")).extracting(PolicyError::toString)
        .containsExactly("ueIp: '224.0.0.1' is not a unicast host address");
    assertThat(PolicyValidator.validateUeIp("0.0.0.0")).hasSize(1);
    assertThat(PolicyValidator.validateUeIp("127.0.0.1")).hasSize(1);
  }
}
