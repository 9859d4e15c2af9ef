package dev.mayfly.catalog.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.catalog.click.ClickArgs;
import dev.mayfly.catalog.click.ClickConfig;
import dev.mayfly.catalog.click.ClickConnection;
import dev.mayfly.catalog.click.ClickElement;
import dev.mayfly.catalog.click.ClickParser;
import dev.mayfly.catalog.click.ClickResult;
import dev.mayfly.catalog.click.ClickValidator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FirewallCompilerTest {

  static final String UE = "10.45.0.2";

  /** Golden policies: name -> policy. Outputs live in src/test/resources/firewall/NAME.click. */
  static final Map<String, FirewallPolicy> GOLDEN = Map.of(
      "default-stateful", FirewallPolicy.defaultPolicy(),
      "web-only-stateful", new FirewallPolicy(List.of(
          new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.UDP, "10.0.0.53", 53, null, "DNS resolver"),
          new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.TCP, null, 80, null, "http"),
          new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.TCP, null, 443, null, "https"),
          new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.ICMP, "10.0.0.0/8", null, null, "ping core"),
          new Rule(Action.ALLOW, Direction.INBOUND, Protocol.ICMP, "10.0.0.0/8", null, null, "pinged by core")),
          Action.DENY, Action.DENY, true),
      "blocklist-stateless", new FirewallPolicy(List.of(
          new Rule(Action.DENY, Direction.OUTBOUND, Protocol.TCP, "203.0.113.0/24", 1000, 2000, "p2p range"),
          new Rule(Action.DENY, Direction.OUTBOUND, Protocol.ANY, "198.51.100.7", null, null, null),
          new Rule(Action.ALLOW, Direction.INBOUND, Protocol.TCP, "0.0.0.0/0", 22, null, "ssh to the UE"),
          new Rule(Action.DENY, Direction.INBOUND, Protocol.UDP, null, 1, 65535, "no udp in")),
          Action.ALLOW, Action.ALLOW, false));

  static Stream<Arguments> golden() {
    return GOLDEN.keySet().stream().sorted().map(Arguments::of);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = FirewallCompilerTest.class.getResourceAsStream("/firewall/" + name)) {
      assertThat(in).as("resource firewall/%s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Elements with their configurations split into arguments (comments and layout dropped). */
  private static Set<String> elements(ClickConfig c) {
    return c.elements().stream()
        .map(e -> e.name() + " :: " + e.className() + ClickArgs.split(e.config())).collect(Collectors.toSet());
  }

  private static Set<String> connections(ClickConfig c) {
    return c.connections().stream().map(ClickConnection::toString).collect(Collectors.toSet());
  }

  @ParameterizedTest
  @MethodSource("golden")
  void matchesGoldenOutput(String name) throws IOException {
    String compiled = FirewallCompiler.compile(GOLDEN.get(name), UE).clickConfig();
    if (Boolean.getBoolean("mayfly.updateGolden")) {
      Files.writeString(Path.of("src/test/resources/firewall", name + ".click"), compiled);
    }
    String golden = resource(name + ".click");
    // structurally: the same elements, arguments and connections
    ClickResult g = ClickParser.parse(golden);
    ClickResult c = ClickParser.parse(compiled);
    assertThat(g.errors()).isEmpty();
    assertThat(c.errors()).isEmpty();
    assertThat(elements(c.config())).isEqualTo(elements(g.config()));
    assertThat(connections(c.config())).isEqualTo(connections(g.config()));
    // and textually
    assertThat(compiled).isEqualTo(golden);
  }

  @ParameterizedTest
  @MethodSource("golden")
  void goldenOutputsPassTheValidator(String name) throws IOException {
    assertThat(ClickValidator.standard().check(resource(name + ".click")).errors()).isEmpty();
  }

  @Test
  void shapeOfAStatefulFirewall() {
    CompiledFirewall fw = FirewallCompiler.compile(GOLDEN.get("web-only-stateful"), UE);
    ClickConfig c = ClickParser.parse(fw.clickConfig()).config();
    Map<String, ClickElement> e = c.elementsByName();
    assertThat(e.get("access_in").className()).isEqualTo("FromDevice");
    assertThat(e.get("access_in").config()).isEqualTo("access");
    assertThat(e.get("core_out").config()).isEqualTo("core");
    assertThat(e.get("fw").className()).isEqualTo("FlowFirewall");
    assertThat(connections(c)).contains("out_filter [0] -> [0] fw", "fw [0] -> [0] core_out",
        "in_ip [0] -> [1] fw", "fw [1] -> [0] access_out", "fw [2] -> [0] in_filter",
        "in_filter [0] -> [0] access_out", "out_eth [0] -> [0] core_out", "in_eth [0] -> [0] access_out");
    assertThat(ClickArgs.split(e.get("out_filter").config())).containsExactly(
        "deny not src host 10.45.0.2",
        "allow dst host 10.0.0.53 and dst udp port 53",
        "allow dst tcp port 80",
        "allow dst tcp port 443",
        "allow ip proto icmp and dst net 10.0.0.0/8",
        "deny all");
    assertThat(ClickArgs.split(e.get("in_filter").config())).containsExactly(
        "deny not dst host 10.45.0.2", "allow ip proto icmp and src net 10.0.0.0/8", "deny all");
    assertThat(fw.outboundFilter()).isEqualTo(String.join(", ", ClickArgs.split(e.get("out_filter").config())));
  }

  @Test
  void statelessHasNoFlowFirewall() {
    CompiledFirewall fw = FirewallCompiler.compile(GOLDEN.get("blocklist-stateless"), UE);
    ClickConfig c = ClickParser.parse(fw.clickConfig()).config();
    assertThat(c.elements()).noneMatch(x -> x.className().equals("FlowFirewall"));
    assertThat(connections(c)).contains("in_ip [0] -> [0] in_filter", "out_filter [0] -> [0] core_out");
    assertThat(fw.stateful()).isFalse();
    assertThat(ClickArgs.split(fw.inboundFilter())).containsExactly("deny not dst host 10.45.0.2",
        "allow dst tcp port 22", "deny ip proto udp", "allow all");
    assertThat(ClickArgs.split(fw.outboundFilter())).containsExactly("deny not src host 10.45.0.2",
        "deny dst net 203.0.113.0/24 and dst tcp port >= 1000 and dst tcp port <= 2000",
        "deny dst host 198.51.100.7", "allow all");
  }

  @Test
  void liveUpdateWritesTheFilterConfigHandlers() {
    CompiledFirewall a = FirewallCompiler.compile(FirewallPolicy.defaultPolicy(), UE);
    CompiledFirewall b = FirewallCompiler.compile(GOLDEN.get("web-only-stateful"), UE);
    assertThat(FirewallCompiler.canUpdateLive(FirewallPolicy.defaultPolicy(), GOLDEN.get("web-only-stateful"))).isTrue();
    assertThat(FirewallCompiler.canUpdateLive(GOLDEN.get("web-only-stateful"), GOLDEN.get("blocklist-stateless"))).isFalse();
    assertThat(b.liveUpdate()).containsExactly(
        new CompiledFirewall.HandlerWrite("out_filter.config", b.outboundFilter()),
        new CompiledFirewall.HandlerWrite("in_filter.config", b.inboundFilter()));
    // the two configurations differ only in the filters' arguments
    ClickConfig ca = ClickParser.parse(a.clickConfig()).config();
    ClickConfig cb = ClickParser.parse(b.clickConfig()).config();
    assertThat(connections(ca)).isEqualTo(connections(cb));
    assertThat(elements(ca).stream().filter(e -> !e.contains("_filter ::")).toList())
        .containsExactlyInAnyOrderElementsOf(elements(cb).stream().filter(e -> !e.contains("_filter ::")).toList());
    // the live value is a single line, valid as IPFilter arguments
    assertThat(b.outboundFilter()).doesNotContain("\n", "//");
    assertThat(dev.mayfly.catalog.click.IPFilterSyntax.checkIPFilter(b.outboundFilter()).errors()).isEmpty();
  }

  @Test
  void compilerErrorsNameTheRuleIndex() {
    FirewallPolicy bad = new FirewallPolicy(List.of(
        Rule.allowOutbound(Protocol.TCP, "10.0.0.0/8", 80),
        Rule.allowOutbound(Protocol.TCP, "10.0.0.300/8", 80),
        Rule.denyInbound(Protocol.ICMP, null, 7)), Action.ALLOW, Action.DENY, true);
    assertThatThrownBy(() -> FirewallCompiler.compile(bad, UE))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errors())
            .extracting(PolicyError::toString).containsExactly(
                "rules[1].remoteCidr: '10.0.0.300/8' is not an IPv4 CIDR",
                "rules[2].portFrom: ports need protocol TCP or UDP, not ICMP"))
        .hasMessageContaining("rules[1].remoteCidr");
    assertThatThrownBy(() -> FirewallCompiler.compile(FirewallPolicy.defaultPolicy(), "10.45.0"))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errors())
            .extracting(PolicyError::field).containsExactly("ueIp"));
  }

  @Test
  void filterLinesTheClickCheckerRefusesAreTracedToTheirRule() {
    FirewallCompiler.Filter f = new FirewallCompiler.Filter(Direction.OUTBOUND,
        List.of("deny not src host 10.45.0.2", "allow dst tcp port 99999", "deny all"),
        List.of("", "", ""), List.of(-1, 7, -1));
    assertThat(f.check()).extracting(PolicyError::toString)
        .containsExactly("rules[7]: compiles to an invalid IPFilter pattern: bad port '99999'");
    FirewallCompiler.Filter d = new FirewallCompiler.Filter(Direction.INBOUND,
        List.of("deny not dst host 10.45.0.2", "maybe all"), List.of("", ""), List.of(-1, -1));
    assertThat(d.check()).extracting(PolicyError::field).containsExactly("defaultInbound");
  }

  @Test
  void descriptionsCannotBreakOutOfTheirComment() {
    FirewallPolicy p = new FirewallPolicy(List.of(new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.TCP, null,
        80, null, "x\n), evil :: Discard; /* \u0000 */ // ) -> ")), Action.DENY, Action.DENY, false);
    CompiledFirewall fw = FirewallCompiler.compile(p, UE);
    ClickConfig c = ClickParser.parse(fw.clickConfig()).config();
    assertThat(c.element("evil")).isEmpty();
    assertThat(ClickArgs.split(c.element("out_filter").orElseThrow().config()))
        .containsExactly("deny not src host 10.45.0.2", "allow dst tcp port 80", "deny all");
  }

  /** The largest policy: every rule as long as it can be, with the longest description. */
  static FirewallPolicy worstCase() {
    List<Rule> rules = new java.util.ArrayList<>();
    for (int i = 0; i < PolicyValidator.MAX_RULES; i++) {
      rules.add(new Rule(Action.DENY, i % 2 == 0 ? Direction.OUTBOUND : Direction.INBOUND, Protocol.UDP,
          "255.255.255.0/24", 65534, 65535, "d".repeat(PolicyValidator.MAX_DESCRIPTION)));
    }
    return new FirewallPolicy(rules, Action.DENY, Action.DENY, true);
  }

  @Test
  void theLargestPolicyFitsTheGuestConfigurationArea() {
    CompiledFirewall fw = FirewallCompiler.compile(worstCase(), "223.255.255.254");
    assertThat(FirewallCompiler.utf8Length(fw.clickConfig())).isLessThanOrEqualTo(FirewallCompiler.MAX_CONFIG_BYTES);
    assertThat(ClickValidator.standard().check(fw.clickConfig()).errors()).isEmpty();
    // too large for a live write: the controller replaces the guest instead
    assertThat(fw.liveUpdateFits()).isFalse();
    assertThat(FirewallCompiler.compile(GOLDEN.get("web-only-stateful"), UE).liveUpdateFits()).isTrue();
    // 40 long rules per direction still fit a live write
    List<Rule> forty = worstCase().rules().subList(0, 80);
    assertThat(FirewallCompiler.compile(new FirewallPolicy(forty, Action.DENY, Action.DENY, true), UE)
        .liveUpdateFits()).isTrue();
  }

  @Test
  void mediumPoliciesKeepRuleIndexComments() {
    List<Rule> rules = worstCase().rules().subList(0, 200);
    String cfg = FirewallCompiler.compile(new FirewallPolicy(rules, Action.DENY, Action.DENY, true), UE).clickConfig();
    assertThat(FirewallCompiler.utf8Length(cfg)).isLessThanOrEqualTo(FirewallCompiler.MAX_CONFIG_BYTES);
    assertThat(cfg).contains("// rules[199]");
  }

  @Test
  void everyProtocolAndPortShape() {
    assertThat(FirewallCompiler.clause(Rule.allowOutbound(Protocol.ANY, null, null))).isEqualTo("allow all");
    assertThat(FirewallCompiler.clause(Rule.allowOutbound(Protocol.ANY, "0.0.0.0/0", null))).isEqualTo("allow all");
    assertThat(FirewallCompiler.clause(Rule.denyOutbound(Protocol.UDP, null, null))).isEqualTo("deny ip proto udp");
    assertThat(FirewallCompiler.clause(Rule.denyInbound(Protocol.TCP, "192.0.2.0/24", null)))
        .isEqualTo("deny ip proto tcp and src net 192.0.2.0/24");
    assertThat(FirewallCompiler.clause(new Rule(Action.ALLOW, Direction.INBOUND, Protocol.UDP, "192.0.2.1/32",
        5000, 5010, null))).isEqualTo("allow src host 192.0.2.1 and dst udp port >= 5000 and dst udp port <= 5010");
    assertThat(FirewallCompiler.clause(new Rule(Action.ALLOW, Direction.OUTBOUND, Protocol.TCP, null, 1, 65535, null)))
        .isEqualTo("allow ip proto tcp");
  }
}
