package dev.mayfly.catalog.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.catalog.click.ClickArgs;
import dev.mayfly.catalog.click.ClickConfig;
import dev.mayfly.catalog.click.ClickResult;
import dev.mayfly.catalog.click.ClickValidator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random valid policies: every one compiles, and its configuration validates. */
class FirewallPropertyTest {

  private static final long SEED = Long.getLong("mayfly.property.seed", 20171028L);
  private static final int POLICIES = Integer.getInteger("mayfly.property.policies", 300);

  @Test
  void everyValidPolicyCompilesToAValidConfiguration() {
    Random r = new Random(SEED);
    for (int i = 0; i < POLICIES; i++) {
      FirewallPolicy p = RandomPolicies.validPolicy(r);
      String ue = RandomPolicies.validUe(r);
      assertThat(PolicyValidator.validate(p)).as("policy %d (seed %d)", i, SEED).isEmpty();
      CompiledFirewall fw = FirewallCompiler.compile(p, ue);
      ClickResult res = ClickValidator.standard().check(fw.clickConfig());
      assertThat(res.errors()).as("policy %d (seed %d):\n%s", i, SEED, fw.clickConfig()).isEmpty();
      ClickConfig c = res.config();

      // one filter line per rule of the direction, plus anti-spoofing and the default
      long out = p.rules().stream().filter(x -> x.direction() == Direction.OUTBOUND).count();
      List<String> outLines = ClickArgs.split(c.element("out_filter").orElseThrow().config());
      List<String> inLines = ClickArgs.split(c.element("in_filter").orElseThrow().config());
      assertThat(outLines).hasSize((int) out + 2);
      assertThat(inLines).hasSize(p.rules().size() - (int) out + 2);
      assertThat(outLines.get(0)).isEqualTo("deny not src host " + ue);
      assertThat(inLines.get(0)).isEqualTo("deny not dst host " + ue);
      assertThat(outLines.get(outLines.size() - 1))
          .isEqualTo((p.defaultOutbound() == Action.ALLOW ? "allow" : "deny") + " all");
      assertThat(inLines.get(inLines.size() - 1))
          .isEqualTo((p.defaultInbound() == Action.ALLOW ? "allow" : "deny") + " all");
      // rule order is kept: line k+1 of a direction is that direction's k-th rule
      int o = 1;
      int in = 1;
      for (Rule rule : p.rules()) {
        String line = rule.direction() == Direction.OUTBOUND ? outLines.get(o++) : inLines.get(in++);
        assertThat(line).isEqualTo(FirewallCompiler.clause(rule));
      }
      assertThat(c.element("fw").isPresent()).isEqualTo(p.stateful());
      // the live values are exactly the filters' arguments
      assertThat(ClickArgs.split(fw.outboundFilter())).isEqualTo(outLines);
      assertThat(ClickArgs.split(fw.inboundFilter())).isEqualTo(inLines);
    }
  }
}
