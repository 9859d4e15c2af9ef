package dev.mayfly.catalog.click;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzz harness for the Click parser, the validator and the IPFilter expression checker: seeded
 * random and mutated inputs, asserting that every input gives a result with structured errors
 * and never an exception. The case count is bounded by a time budget so the suite stays fast
 * on a loaded machine (the budget bounds the work, it is not an assertion).
 */
class ClickFuzzTest {

  private static final long SEED = Long.getLong("mayfly.fuzz.seed", 0x5EEDC11CL);
  private static final int CASES = Integer.getInteger("mayfly.fuzz.cases", 20_000);
  private static final long BUDGET_NANOS = Long.getLong("mayfly.fuzz.millis", 6_000L) * 1_000_000L;

  static final List<String> SEEDS = List.of(
      "FromDevice(eth0) -> Queue -> ToDevice(eth1);",
      "src :: InfiniteSource(LIMIT 5);\nt :: Tee(2);\nsrc -> t;\nt[1] -> [0]d :: Discard;\nt[0] -> Discard;",
      "elementclass Limiter { $rate, $n |\n input -> q :: Queue($n) -> RatedUnqueue($rate) -> output;\n}\n"
          + "InfiniteSource -> Limiter(100, 5) -> Discard;",
      "define($DEV eth0, $N 10);\nFromDevice($DEV) -> Queue(${N}) -> ToDevice($DEV); require(clickos);",
      "/* c */ a :: Counter; // x\nInfiniteSource -> a -> { input -> Paint(2) -> output } -> Discard;",
      "f :: IPFilter(allow src host 10.0.0.1 && tcp dst port 80,\n deny icmp type echo,\n 1 udp port 53,\n deny all);"
          + "\nInfiniteSource -> f; f[0] -> Discard; f[1] -> Discard;",
      "c :: IPClassifier(10.0.0.0/24 and syn, dst tcp port 8000 or 8080, (tcp or udp) and not ip frag, -);"
          + "\nInfiniteSource -> c; c[0] -> Discard; c[1] -> Discard; c[2] -> Discard; c[3] -> Discard;",
      "fw :: FlowFirewall(TIMEOUT 120, CAPACITY 10000);\nFromDevice(a) -> CheckIPHeader(14) -> [0]fw[0] -> ToDevice(b);"
          + "\nFromDevice(b) -> CheckIPHeader(14) -> [1]fw[1] -> ToDevice(a); fw[2] -> Discard;");

  private static final String[] TOKENS = {"::", "->", "[", "]", "(", ")", "{", "}", ",", ";", "|", "$",
      "${", "//", "/*", "*/", "\n", " ", "elementclass", "define", "require", "input", "output", "\"",
      "'", "a", "Queue", "IPFilter", "0", "65536", "@", "/", "\\", "#", "\u00e9", "\uD83D\uDE00", "\0",
      "allow", "tcp", "and", "not", "?", ":", "&&", "||", "!", "=="};

  static String mutate(Random r, String s) {
    StringBuilder b = new StringBuilder(s);
    int n = 1 + r.nextInt(6);
    for (int i = 0; i < n; i++) {
      int pos = b.length() == 0 ? 0 : r.nextInt(b.length() + 1);
      switch (r.nextInt(7)) {
        case 0 -> {
          if (b.length() > 0) {
            int end = Math.min(b.length(), pos + 1 + r.nextInt(8));
            b.delete(Math.min(pos, b.length()), end);
          }
        }
        case 1 -> b.insert(pos, TOKENS[r.nextInt(TOKENS.length)]);
        case 2 -> b.insert(pos, (char) r.nextInt(128));
        case 3 -> {
          if (b.length() > 2) {
            int a = r.nextInt(b.length());
            int e = Math.min(b.length(), a + r.nextInt(40));
            b.insert(pos, b.substring(a, e));
          }
        }
        case 4 -> {
          if (pos < b.length()) {
            b.setCharAt(pos, (char) (32 + r.nextInt(95)));
          }
        }
        case 5 -> b.insert(pos, SEEDS.get(r.nextInt(SEEDS.size())));
        default -> {
          if (b.length() > 0) {
            b.setLength(r.nextInt(b.length()));
          }
        }
      }
    }
    return b.toString();
  }

  static String randomText(Random r) {
    StringBuilder b = new StringBuilder();
    int n = r.nextInt(40);
    for (int i = 0; i < n; i++) {
      b.append(r.nextBoolean() ? TOKENS[r.nextInt(TOKENS.length)] : String.valueOf((char) r.nextInt(0x3000)));
    }
    return b.toString();
  }

  private static void assertStructured(String input, ClickResult res) {
    assertThat(res).isNotNull();
    assertThat(res.config()).isNotNull();
    long lines = input.chars().filter(c -> c == '\n').count() + 1;
    for (ClickError e : res.errors()) {
      if (e.line() < 0 || e.line() > lines || e.message().isEmpty()
          || (e.column() != null && e.column() < 1)) {
        fail("unstructured error %s for input:\n%s", e, input);
      }
      assertThat(e.render()).startsWith("config:");
    }
  }

  @Test
  void parserAndValidatorNeverThrow() {
    Random r = new Random(SEED);
    long deadline = System.nanoTime() + BUDGET_NANOS;
    int done = 0;
    for (; done < CASES && System.nanoTime() < deadline; done++) {
      String input = r.nextInt(5) == 0 ? randomText(r) : mutate(r, SEEDS.get(r.nextInt(SEEDS.size())));
      try {
        assertStructured(input, ClickParser.parse(input));
        assertStructured(input, ClickValidator.standard().check(input));
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError("case " + done + " (seed " + SEED + ") threw on input:\n" + input, e);
      }
    }
    System.out.printf("ClickFuzzTest: %d parser cases (seed %d)%n", done, SEED);
    assertThat(done).isGreaterThan(500);
  }

  @Test
  void filterExpressionCheckerNeverThrows() {
    Random r = new Random(SEED + 1);
    List<String> seeds = List.of("src host 10.0.0.1 && tcp dst port 80", "icmp type echo",
        "(dst port www or dst port ssh) and tcp opt syn", "ip[12:4] & 0xFFFF0000 == 167772160",
        "tcp ? dst port 80 : not icmp", "src or dst net 10.0.0.0 mask 255.0.0.0", "udp port 53 or 123");
    long deadline = System.nanoTime() + BUDGET_NANOS / 2;
    int done = 0;
    for (; done < CASES && System.nanoTime() < deadline; done++) {
      String input = r.nextInt(5) == 0 ? randomText(r) : mutate(r, seeds.get(r.nextInt(seeds.size())));
      try {
        String m = IPFilterSyntax.checkExpression(input);
        assertThat(m == null || !m.isEmpty()).isTrue();
        IPFilterSyntax.Result res = IPFilterSyntax.checkIPFilter("allow " + input + ", deny all");
        assertThat(res.errors()).allMatch(e -> e.startsWith("pattern "));
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError("case " + done + " threw on input: " + input, e);
      }
    }
    System.out.printf("ClickFuzzTest: %d filter expression cases%n", done);
    assertThat(done).isGreaterThan(500);
  }
}
