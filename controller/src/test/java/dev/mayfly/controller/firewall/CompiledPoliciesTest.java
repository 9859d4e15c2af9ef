package dev.mayfly.controller.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.mayfly.catalog.firewall.Action;
import dev.mayfly.catalog.firewall.CompiledFirewall;
import dev.mayfly.catalog.firewall.Direction;
import dev.mayfly.catalog.firewall.FirewallCompiler;
import dev.mayfly.catalog.firewall.FirewallPolicy;
import dev.mayfly.catalog.firewall.PolicyException;
import dev.mayfly.catalog.firewall.Protocol;
import dev.mayfly.catalog.firewall.Rule;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compile cache gives exactly what the compiler gives, for every address. */
class CompiledPoliciesTest {

  static FirewallPolicy policy(String cidr, String description, boolean stateful) {
    return new FirewallPolicy(List.of(
        new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.TCP, cidr, 80, 443, description),
        new Rule(Action.DENY, Direction.INBOUND, Protocol.UDP, null, 53, null, null),
        new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.ICMP, null, null, null, "ping")),
        Action.DENY, Action.DENY, stateful);
  }

  @Test
  void sameResultAsTheCompilerForEveryAddress() {
    CompiledPolicies cache = new CompiledPolicies();
    FirewallPolicy p = policy("10.77.0.0/17", "web", true);
    for (String ip : List.of("10.77.1.1", "1.2.3.4", "223.255.255.254", "100.100.100.100", " 10.0.0.9 ")) {
      CompiledFirewall c = cache.compile("key-a", p, ip);
      assertThat(c).as(ip).isEqualTo(FirewallCompiler.compile(p, ip));
    }
    assertThat(cache.size()).isEqualTo(1);
    FirewallPolicy q = policy("10.0.0.0/8", "other", false);
    assertThat(cache.compile("key-b", q, "10.77.1.2")).isEqualTo(FirewallCompiler.compile(q, "10.77.1.2"));
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void aPolicyMentioningThePlaceholderIsCompiledDirectly() {
    CompiledPolicies cache = new CompiledPolicies();
    FirewallPolicy p = policy(CompiledPolicies.PLACEHOLDER + "/32", "to " + CompiledPolicies.PLACEHOLDER, true);
    String key = "{\"cidr\":\"" + CompiledPolicies.PLACEHOLDER + "/32\"}";
    CompiledFirewall c = cache.compile(key, p, "10.77.1.1");
    assertThat(c).isEqualTo(FirewallCompiler.compile(p, "10.77.1.1"));
    assertThat(c.outboundFilter()).contains(CompiledPolicies.PLACEHOLDER);
  }

  @Test
  void errorsAreTheCompilersAndNothingBadIsCached() {
    CompiledPolicies cache = new CompiledPolicies();
    FirewallPolicy bad = policy("10.77.0.0/99", null, true);
    PolicyException e = catchThrowableOfType(PolicyException.class, () -> cache.compile("bad", bad, "10.77.1.1"));
    assertThat(e).isNotNull();
    assertThat(e.errors()).extracting(x -> x.field()).contains("rules[0].remoteCidr");
    assertThat(cache.size()).isZero();
    FirewallPolicy good = policy("10.77.0.0/17", null, true);
    PolicyException ip = catchThrowableOfType(PolicyException.class, () -> cache.compile("good", good, "10.77.1.300"));
    assertThat(ip.errors()).extracting(x -> x.field()).containsExactly("ueIp");
  }
}
