package dev.mayfly.catalog.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.catalog.click.ClickValidator;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Fuzz harness for the policy validator and compiler: seeded arbitrary policies (nulls,
 * out-of-range ports, garbage CIDRs and descriptions, too many rules). Each one either
 * validates and compiles to a configuration the Click validator accepts, or is refused with
 * structured errors naming a field; nothing else is thrown.
 */
class PolicyFuzzTest {

  private static final long SEED = Long.getLong("mayfly.fuzz.seed", 0x5EEDC11CL);
  private static final int CASES = Integer.getInteger("mayfly.fuzz.cases", 20_000);
  private static final long BUDGET_NANOS = Long.getLong("mayfly.fuzz.millis", 6_000L) * 1_000_000L;
  private static final Pattern FIELD = Pattern.compile(
      "policy|ueIp|rules|defaultOutbound|defaultInbound|rules\\[\\d+](\\.(action|direction|protocol|remoteCidr|portFrom|portTo|description))?");

  @Test
  void validatorAndCompilerGiveStructuredErrorsOnly() {
    Random r = new Random(SEED);
    long deadline = System.nanoTime() + BUDGET_NANOS;
    int done = 0;
    int compiled = 0;
    for (; done < CASES && System.nanoTime() < deadline; done++) {
      FirewallPolicy p = RandomPolicies.arbitraryPolicy(r);
      String ue = r.nextInt(10) == 0 ? RandomPolicies.randomText(r, 12) : RandomPolicies.validUe(r);
      try {
        List<PolicyError> errors = PolicyValidator.validate(p);
        errors.forEach(e -> assertThat(e.field()).matches(FIELD));
        errors.forEach(e -> assertThat(e.message()).isNotBlank());
        boolean ueOk = PolicyValidator.validateUeIp(ue).isEmpty();
        try {
          CompiledFirewall fw = FirewallCompiler.compile(p, ue);
          assertThat(errors).isEmpty();
          assertThat(ueOk).isTrue();
          // a full validation every few cases keeps the budget for more policies
          if (compiled++ % 8 == 0) {
            assertThat(ClickValidator.standard().check(fw.clickConfig()).errors()).isEmpty();
          }
        } catch (PolicyException e) {
          assertThat(e.errors()).isNotEmpty();
          assertThat(errors.isEmpty() && ueOk).as("refused a valid policy: %s", e.getMessage()).isFalse();
          e.errors().forEach(x -> assertThat(x.field()).matches(FIELD));
        }
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError("case " + done + " (seed " + SEED + ") threw on policy " + p, e);
      }
    }
    System.out.printf("PolicyFuzzTest: %d policies, %d compiled (seed %d)%n", done, compiled, SEED);
    assertThat(done).isGreaterThan(500);
    assertThat(compiled).isPositive();
  }
}
