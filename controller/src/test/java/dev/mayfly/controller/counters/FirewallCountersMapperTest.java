package dev.mayfly.controller.counters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.catalog.firewall.Action;
import dev.mayfly.catalog.firewall.FirewallCompiler;
import dev.mayfly.catalog.firewall.FirewallPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handler names the mapper reads exist in the graph the firewall compiler generates. */
class FirewallCountersMapperTest {

  @Test
  void elementNamesMatchTheCompiledFirewall() {
    String stateful = FirewallCompiler.compile(FirewallPolicy.defaultPolicy(), "10.0.0.1").clickConfig();
    assertThat(stateful).contains(FirewallCountersMapper.CORE_OUT + " :: ToDevice(")
        .contains(FirewallCountersMapper.ACCESS_OUT + " :: ToDevice(")
        .contains(FirewallCompiler.OUT_FILTER + " :: IPFilter(")
        .contains(FirewallCompiler.IN_FILTER + " :: IPFilter(")
        .contains(FirewallCompiler.FLOW_FIREWALL + " :: FlowFirewall(");
    String stateless = FirewallCompiler.compile(new FirewallPolicy(List.of(), Action.ALLOW, Action.DENY, false),
        "10.0.0.1").clickConfig();
    assertThat(stateless).contains(FirewallCountersMapper.CORE_OUT + " :: ToDevice(")
        .doesNotContain("FlowFirewall");
  }

  @Test
  void parsesOnlyIntegers() {
    assertThat(FirewallCountersMapper.parse("42")).isEqualTo(42L);
    assertThat(FirewallCountersMapper.parse(" 7\n")).isEqualTo(7L);
    assertThat(FirewallCountersMapper.parse("-1")).isEqualTo(-1L);
    assertThat(FirewallCountersMapper.parse("")).isNull();
    assertThat(FirewallCountersMapper.parse("-")).isNull();
    assertThat(FirewallCountersMapper.parse("1.5")).isNull();
    assertThat(FirewallCountersMapper.parse("99999999999999999999")).isNull();
    assertThat(FirewallCountersMapper.parse(null)).isNull();
  }
}
