package dev.mayfly.catalog.click;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mayfly.catalog.firewall.FirewallCompiler;
import dev.mayfly.catalog.firewall.FirewallPolicy;
import dev.mayfly.catalog.firewall.Rule;
import dev.mayfly.catalog.firewall.Action;
import dev.mayfly.catalog.firewall.Direction;
import dev.mayfly.catalog.firewall.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks against the clickos runtime (clickos-images/target/bin/clickos, built by
 * {@code ./mayfly build} or the clickos-images module): compiled firewall configurations
 * initialise in it ({@code clickos -q}), and it accepts and refuses what the validator does.
 * Skipped, with the reason, when the binary is absent.
 */
class ClickosRuntimeTest {

  private static Path clickos;

  @TempDir
  Path tmp;

  @BeforeAll
  static void findBinary() {
    String base = System.getProperty("basedir", System.getProperty("user.dir"));
    Path p = Path.of(System.getProperty("mayfly.clickos",
        Path.of(base).resolve("../clickos-images/target/bin/clickos").toString())).normalize();
    clickos = Files.isExecutable(p) ? p : null;
  }

  private static void assumeRuntime() {
    assumeTrue(clickos != null, "clickos binary not built (clickos-images/target/bin/clickos); "
        + "build it with: mvn -pl clickos-images package");
  }

  private record Run(int exit, String output) {}

  private static Run run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + cmd);
      }
      return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }

  private Run clickosCheck(String config) throws IOException, InterruptedException {
    Path f = Files.createTempFile(tmp, "cfg", ".click");
    Files.writeString(f, config);
    return run(List.of(clickos.toString(), "-q", "-f", f.toString()));
  }

  private static boolean canMakeNetns() {
    try {
      return "root".equals(System.getProperty("user.name"))
          && run(List.of("unshare", "--net", "true")).exit() == 0
          && run(List.of("sh", "-c", "command -v ip")).exit() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Device elements replaced by stand-ins with the same ports, for runs without interfaces. */
  static String withoutDevices(String config) {
    return config.replaceAll("FromDevice\\([^)]*\\)", "InfiniteSource(LIMIT 0)")
        .replaceAll("ToDevice\\([^)]*\\)", "Discard");
  }

  static List<FirewallPolicy> samplePolicies() {
    List<FirewallPolicy> l = new ArrayList<>();
    l.add(FirewallPolicy.defaultPolicy());
    l.add(new FirewallPolicy(List.of(), Action.DENY, Action.ALLOW, false));
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Protocol pr = Protocol.values()[i % 4];
      boolean ports = pr == Protocol.TCP || pr == Protocol.UDP;
      rules.add(new Rule(i % 3 == 0 ? Action.DENY : Action.ALLOW, i % 2 == 0 ? Direction.OUTBOUND : Direction.INBOUND,
          pr, i % 5 == 0 ? null : "10." + i + ".0.0/16", ports ? 1000 + i : null, ports && i % 4 == 0 ? 2000 : null,
          "rule " + i));
    }
    l.add(new FirewallPolicy(rules, Action.ALLOW, Action.DENY, true));
    l.add(new FirewallPolicy(rules, Action.DENY, Action.DENY, false));
    List<Rule> most = new ArrayList<>();
    for (int i = 0; i < dev.mayfly.catalog.firewall.PolicyValidator.MAX_RULES; i++) {
      most.add(new Rule(Action.DENY, i % 2 == 0 ? Direction.OUTBOUND : Direction.INBOUND, Protocol.UDP,
          "255.255.255.0/24", 65534, 65535, "d".repeat(dev.mayfly.catalog.firewall.PolicyValidator.MAX_DESCRIPTION)));
    }
    l.add(new FirewallPolicy(most, Action.ALLOW, Action.DENY, true));
    return l;
  }

  @Test
  void compiledFirewallsInitialiseInTheRuntime() throws Exception {
    assumeRuntime();
    for (FirewallPolicy p : samplePolicies()) {
      String config = FirewallCompiler.compile(p, "10.45.0.2").clickConfig();
      Run r = clickosCheck(withoutDevices(config));
      assertThat(r.exit()).as("clickos -q on:\n%s\noutput:\n%s", config, r.output()).isZero();
    }
  }

  @Test
  void compiledFirewallsInitialiseWithRealPortsInANetworkNamespace() throws Exception {
    assumeRuntime();
    assumeTrue(canMakeNetns(), "needs root, unshare and ip to create the access/core ports");
    for (FirewallPolicy p : samplePolicies()) {
      String config = FirewallCompiler.compile(p, "10.45.0.2").clickConfig();
      Path f = Files.createTempFile(tmp, "fw", ".click");
      Files.writeString(f, config);
      // the namespace (and its veths) disappears with the process
      Run r = run(List.of("unshare", "--net", "sh", "-c",
          "ip link add access type veth peer name access-p && ip link add core type veth peer name core-p"
              + " && ip link set access up && ip link set core up && exec \"$0\" -q -f \"$1\"",
          clickos.toString(), f.toString()));
      assertThat(r.exit()).as("clickos -q in a netns on:\n%s\noutput:\n%s", config, r.output()).isZero();
    }
  }

  private static final Pattern LANDMARK = Pattern.compile("^[^:\\n]*:(\\d+): (.*)$", Pattern.MULTILINE);

  @Test
  void runtimeRefusesWhatTheValidatorRefusesOnTheSameLine() throws Exception {
    assumeRuntime();
    List<String> bad = List.of(
        "InfiniteSource -> Foo -> Discard;",
        "src :: InfiniteSource;\n\nsrc -> dicard;",
        "InfiniteSource -> c :: Counter;\nc[1] -> Discard; c -> Discard;",
        "InfiniteSource -> [1]d :: Discard;",
        "c :: Counter;\n\nInfiniteSource -> c;",
        "q :: Queue;\nInfiniteSource -> q;\nq -> t :: Tee -> Discard;",
        "s :: InfiniteSource; s -> Discard;\ns -> Discard;",
        "a :: Counter;\na :: Counter;",
        "x :: Counter;\nx ->",
        "InfiniteSource\n -> f :: IPFilter(permit all) -> Discard;",
        "InfiniteSource -> f :: IPFilter(allow tcp,\n allow src host 10.0.0.300, deny all) -> Discard;",
        "fw :: FlowFirewall; InfiniteSource -> fw -> Discard;",
        "InfiniteSource -> fw :: FlowFirewall(CAPACITY 0) -> Discard; InfiniteSource -> [1]fw[1] -> Discard;");
    StringBuilder defines = new StringBuilder("define($A0 xx");
    StringBuilder compounds = new StringBuilder("elementclass C0 { $x | input -> Print($x) -> output }\n");
    for (int i = 1; i < 30; i++) {
      defines.append(", $A").append(i).append(" $A").append(i - 1).append("$A").append(i - 1);
      compounds.append("elementclass C").append(i).append(" { $x | input -> C").append(i - 1)
          .append("($x$x) -> output }\n");
    }
    bad = new ArrayList<>(bad);
    bad.add(defines + ");\nPrint($A29) -> Discard;");
    bad.add(compounds + "InfiniteSource -> C29(ab) -> Discard;");
    List<String> disagreements = new ArrayList<>();
    for (String cfg : bad) {
      ClickResult mine = ClickValidator.standard().check(cfg);
      Run theirs = clickosCheck(cfg);
      assertThat(mine.ok()).as("validator accepts:\n%s", cfg).isFalse();
      assertThat(theirs.exit()).as("clickos accepts:\n%s", cfg).isNotZero();
      Matcher m = LANDMARK.matcher(theirs.output());
      if (m.find() && Integer.parseInt(m.group(1)) != mine.errors().get(0).line()) {
        disagreements.add(cfg + "\n  clickos: " + m.group() + "\n  validator: " + mine.errors().get(0));
      }
    }
    assertThat(disagreements).as("first error lines differ").isEmpty();
  }

  @Test
  void resourceConfigurationsGetTheSameVerdictFromTheRuntime() throws Exception {
    assumeRuntime();
    for (Path f : ClickResourceTest.valid().toList()) {
      Run r = clickosCheck(withoutDevices(Files.readString(f)));
      assertThat(r.exit()).as("clickos -q %s:\n%s", f.getFileName(), r.output()).isZero();
    }
    for (Path f : ClickResourceTest.invalid().toList()) {
      String text = Files.readString(f);
      Run r = clickosCheck(text);
      assertThat(r.exit()).as("clickos accepts %s", f.getFileName()).isNotZero();
      Matcher m = LANDMARK.matcher(r.output());
      assertThat(m.find()).as(r.output()).isTrue();
      assertThat(Integer.parseInt(m.group(1))).as("first error line of %s: %s", f.getFileName(), r.output())
          .isEqualTo(ClickValidator.standard().check(text).errors().get(0).line());
    }
  }

  @Test
  void runtimeAndValidatorAgreeOnFilterExpressions() throws Exception {
    assumeRuntime();
    // expressions of the documented Click language on which both implementations agree,
    // including every form the firewall compiler emits
    List<String> valid = List.of("all", "tcp", "ip proto tcp", "ip proto icmp and src net 10.0.0.0/8",
        "not src host 10.45.0.2", "dst host 10.0.0.53 and dst udp port 53",
        "dst net 10.0.0.0/8 and dst tcp port >= 1000 and dst tcp port <= 2000", "src or dst host 10.0.0.1",
        "net 192.168.0.0 mask 255.255.0.0", "tcp dst port 80", "src port www or ssh", "tcp port 80 or 443",
        "(dst port www or dst port ssh) and tcp opt syn", "icmp type echo", "icmp type != 8", "ip ttl < 2",
        "ip frag", "ip[9] 6", "transp[0:2] & 0xFF00 == 0x1100", "!(tcp or udp)", "tcp ? dst port 80 : icmp",
        "src 10.0.0.1", "dst 10.0.0.0/8");
    List<String> invalid = List.of("src host 10.0.0.300", "dst net 10.0.0.0/33", "tcp port 70000",
        "udp opt syn", "type 8", "ip proto bogus", "tcp opt bogus", "tcp and", "tcp ? udp", "frobnicate",
        "src", "ip[1:5] 0", "foo[1] 0", "src ttl 4", "80");
    List<String> disagreements = new ArrayList<>();
    for (String e : valid) {
      assertThat(IPFilterSyntax.checkExpression(e)).as(e).isNull();
      Run r = clickosCheck("InfiniteSource(LIMIT 0) -> IPFilter(allow " + e + ") -> Discard;");
      if (r.exit() != 0) {
        disagreements.add("clickos refuses '" + e + "': " + r.output().strip());
      }
    }
    for (String e : invalid) {
      assertThat(IPFilterSyntax.checkExpression(e)).as(e).isNotNull();
      Run r = clickosCheck("InfiniteSource(LIMIT 0) -> IPFilter(allow " + e + ") -> Discard;");
      if (r.exit() == 0) {
        disagreements.add("clickos accepts '" + e + "'");
      }
    }
    assertThat(disagreements).isEmpty();
  }
}
