package dev.mayfly.catalog.firewall;

import dev.mayfly.catalog.click.ClickError;
import dev.mayfly.catalog.click.ClickResult;
import dev.mayfly.catalog.click.ClickValidator;
import dev.mayfly.catalog.click.IPFilterSyntax;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles a subscriber's {@link FirewallPolicy} to a Click configuration for a
 * personal-firewall guest with two ports: {@code access} (the subscriber's side) and
 * {@code core} (the network).
 *
 * <pre>
 *  access_in :: FromDevice(access) -> out_eth :: Classifier(12/0806, 12/0800, -)
 *    out_eth[0] (ARP)   -> core_out :: ToDevice(core)
 *    out_eth[1] (IPv4)  -> out_ip :: CheckIPHeader(14) -> out_filter :: IPFilter(...)
 *                       -> [0]fw :: FlowFirewall(...)[0] -> core_out          (stateful)
 *                       -> core_out                                           (stateless)
 *    out_eth[2] (other) -> out_other :: Discard
 *  core_in :: FromDevice(core) -> in_eth :: Classifier(12/0806, 12/0800, -)
 *    in_eth[0] (ARP)    -> access_out :: ToDevice(access)
 *    in_eth[1] (IPv4)   -> in_ip :: CheckIPHeader(14) -> [1]fw[1] -> access_out  (replies)
 *                                              fw[2] -> in_filter :: IPFilter(...) -> access_out
 *                       (stateless: in_ip -> in_filter -> access_out)
 *    in_eth[2] (other)  -> in_other :: Discard
 * </pre>
 *
 * <p>Each IPFilter starts with an anti-spoofing line (outbound: the source must be the UE's
 * address; inbound: the destination must be), then one line per rule of that direction in
 * policy order (first match wins), then the direction's default. Both filters only ever use
 * {@code allow} (output 0) and {@code deny}, so their port count never changes and a policy
 * update is a write of the {@code config} handler of {@code out_filter} and {@code in_filter}
 * (the clickos IPFilter replaces its rules atomically and leaves the FlowFirewall table alone).
 */
public final class FirewallCompiler {

  public static final String OUT_FILTER = "out_filter";
  public static final String IN_FILTER = "in_filter";
  public static final String FLOW_FIREWALL = "fw";
  public static final String ACCESS_PORT = "access";
  public static final String CORE_PORT = "core";
  /** Flow table size per subscriber (clickos default 65536 is sized for a whole site). */
  public static final int FLOW_CAPACITY = 4096;
  /**
   * Largest configuration produced, in UTF-8 bytes: the noxs page's configuration area
   * ({@code NOXS_CONFIG_SIZE} in clickos-images/include/noxs_page.h) less a terminating NUL.
   */
  public static final int MAX_CONFIG_BYTES = 44 * 1024 - 1;
  /**
   * Largest {@code "element.handler\nVALUE"} write request the noxs page's handler area takes
   * ({@code NOXS_HANDLER_SIZE}), less a terminating NUL.
   */
  public static final int MAX_HANDLER_REQUEST_BYTES = 4 * 1024 - 1;

  private static final Pattern UNSAFE_COMMENT_CHARS = Pattern.compile("[^A-Za-z0-9 _.:/+@#=-]");
  private static final Pattern PATTERN_ERROR = Pattern.compile("pattern (\\d+): (.*)", Pattern.DOTALL);

  private FirewallCompiler() {}

  /**
   * Validates and compiles. The result always passes {@link ClickValidator#standard()};
   * throws {@link PolicyException} naming the field ({@code rules[i].x}, {@code ueIp}) when the
   * policy or the address is invalid.
   */
  public static CompiledFirewall compile(FirewallPolicy policy, String ueIp) {
    List<PolicyError> errors = new ArrayList<>(PolicyValidator.validate(policy));
    errors.addAll(PolicyValidator.validateUeIp(ueIp));
    if (!errors.isEmpty()) {
      throw new PolicyException(errors);
    }
    String ue = ueIp.strip();
    Filter out = filter(policy, Direction.OUTBOUND, ue);
    Filter in = filter(policy, Direction.INBOUND, ue);
    // the guest's configuration area is bounded: drop the descriptions, then every comment,
    // when a large policy would not fit
    String config = graph(policy, ue, out.commented(true), in.commented(true));
    if (utf8Length(config) > MAX_CONFIG_BYTES) {
      config = graph(policy, ue, out.commented(false), in.commented(false));
    }
    if (utf8Length(config) > MAX_CONFIG_BYTES) {
      config = graph(policy, ue, out.text(), in.text());
    }
    ClickResult r = ClickValidator.standard().check(config);
    if (!r.ok()) {
      // name the rule whose line the IPFilter checker refuses, if that is the cause
      errors.addAll(out.check());
      errors.addAll(in.check());
      if (!errors.isEmpty()) {
        throw new PolicyException(errors);
      }
      // a compiler bug, not a user error: say so with the Click messages
      List<PolicyError> internal = new ArrayList<>();
      for (ClickError e : r.errors()) {
        internal.add(new PolicyError("policy", "compiled configuration rejected: " + e.render()));
      }
      throw new PolicyException(internal);
    }
    return new CompiledFirewall(config, out.text(), in.text(), policy.stateful());
  }

  /** The {@code out_filter} IPFilter arguments for {@code policy} (validates the policy). */
  public static String outboundFilter(FirewallPolicy policy, String ueIp) {
    return compile(policy, ueIp).outboundFilter();
  }

  /** The {@code in_filter} IPFilter arguments for {@code policy} (validates the policy). */
  public static String inboundFilter(FirewallPolicy policy, String ueIp) {
    return compile(policy, ueIp).inboundFilter();
  }

  /**
   * Whether a guest running {@code running} can take {@code next} through
   * {@link CompiledFirewall#liveUpdate()} handler writes: the graph only differs in the
   * filters' arguments when the {@code stateful} flag is the same. Otherwise the guest must be
   * replaced with the new configuration.
   */
  public static boolean canUpdateLive(FirewallPolicy running, FirewallPolicy next) {
    return running != null && next != null && running.stateful() == next.stateful();
  }

  static int utf8Length(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  // ------------------------------------------------------------------ filters

  /**
   * One IPFilter: its lines, a comment per line, and per line the rule index it came from
   * (-1 = generated).
   */
  record Filter(Direction direction, List<String> lines, List<String> comments,
      List<Integer> ruleOf) {

    /** Compact form, one line without comments: the value of a live {@code config} write. */
    String text() {
      return String.join(", ", lines);
    }

    /** Commented form, one line per rule, for the configuration. */
    String commented(boolean descriptions) {
      StringBuilder sb = new StringBuilder("\n");
      for (int i = 0; i < lines.size(); i++) {
        sb.append("    ").append(lines.get(i)).append(i + 1 < lines.size() ? "," : "");
        String c = comments.get(i);
        if (!descriptions && c.startsWith("rules[")) {
          c = c.substring(0, c.indexOf(']') + 1);
        }
        if (!c.isEmpty()) {
          sb.append("  // ").append(c);
        }
        sb.append('\n');
      }
      return sb.append("  ").toString();
    }

    /** Re-checks the generated expressions; errors name the rule. */
    List<PolicyError> check() {
      List<PolicyError> errors = new ArrayList<>();
      IPFilterSyntax.Result r = IPFilterSyntax.checkIPFilter(text());
      for (String e : r.errors()) {
        Matcher m = PATTERN_ERROR.matcher(e);
        int rule = -1;
        String msg = e;
        if (m.matches()) {
          int p = Integer.parseInt(m.group(1));
          rule = p < ruleOf.size() ? ruleOf.get(p) : -1;
          msg = m.group(2);
        }
        errors.add(new PolicyError(rule >= 0 ? "rules[" + rule + "]"
            : direction == Direction.OUTBOUND ? "defaultOutbound" : "defaultInbound",
            "compiles to an invalid IPFilter pattern: " + msg));
      }
      return errors;
    }
  }

  private static Filter filter(FirewallPolicy policy, Direction dir, String ue) {
    List<String> lines = new ArrayList<>();
    List<String> comments = new ArrayList<>();
    List<Integer> ruleOf = new ArrayList<>();
    // anti-spoofing: only the subscriber's own address leaves, only it is reached
    lines.add(dir == Direction.OUTBOUND ? "deny not src host " + ue : "deny not dst host " + ue);
    comments.add("anti-spoofing");
    ruleOf.add(-1);
    List<Rule> rules = policy.rules();
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      if (r.direction() != dir) {
        continue;
      }
      lines.add(clause(r));
      comments.add("rules[" + i + "]" + comment(r.description()));
      ruleOf.add(i);
    }
    Action def = dir == Direction.OUTBOUND ? policy.defaultOutbound() : policy.defaultInbound();
    lines.add(def.clickWord() + " all");
    comments.add("default " + dir.name().toLowerCase());
    ruleOf.add(-1);
    return new Filter(dir, lines, comments, ruleOf);
  }

  /** The IPFilter line for one rule, e.g. {@code allow dst net 10.0.0.0/8 and dst tcp port 80}. */
  static String clause(Rule r) {
    List<String> terms = new ArrayList<>();
    String side = r.direction() == Direction.OUTBOUND ? "dst" : "src";
    if (r.remoteCidr() != null && !r.remoteCidr().isBlank()) {
      Ipv4.Prefix p = Ipv4.parsePrefix(r.remoteCidr().strip());
      if (p.len() == 32) {
        terms.add(side + " host " + p.addressText());
      } else if (p.len() > 0) {
        terms.add(side + " net " + p);
      }
    }
    String proto = r.protocol().name().toLowerCase();
    Integer from = r.portFrom();
    Integer to = r.portTo() == null ? from : r.portTo();
    if (r.protocol().hasPorts() && from != null && !(from == 1 && to == 65535)) {
      // the service port: the remote's for outbound, the subscriber's for inbound
      if (from.equals(to)) {
        terms.add("dst " + proto + " port " + from);
      } else {
        terms.add("dst " + proto + " port >= " + from + " and dst " + proto + " port <= " + to);
      }
    } else if (r.protocol() != Protocol.ANY) {
      terms.add(0, "ip proto " + proto);
    }
    return r.action().clickWord() + " " + (terms.isEmpty() ? "all" : String.join(" and ", terms));
  }

  /** A description as a safe one-line comment suffix. */
  private static String comment(String d) {
    if (d == null || d.isBlank()) {
      return "";
    }
    String s = UNSAFE_COMMENT_CHARS.matcher(d).replaceAll("_").strip();
    if (s.length() > 60) {
      s = s.substring(0, 57) + "...";
    }
    return " " + s;
  }

  // ------------------------------------------------------------------ graph

  private static String graph(FirewallPolicy policy, String ue, String outFilter, String inFilter) {
    long outRules = policy.rules().stream().filter(r -> r.direction() == Direction.OUTBOUND).count();
    StringBuilder sb = new StringBuilder();
    sb.append("// Mayfly personal firewall for UE ").append(ue).append(" (generated by FirewallCompiler)\n");
    sb.append("// ").append(outRules).append(" outbound and ").append(policy.rules().size() - outRules)
        .append(" inbound rules; default outbound ").append(policy.defaultOutbound().clickWord())
        .append(", inbound ").append(policy.defaultInbound().clickWord())
        .append(policy.stateful() ? "; stateful" : "; stateless").append('\n');
    sb.append("// live update: write ").append(OUT_FILTER).append(".config and ").append(IN_FILTER)
        .append(".config\n\n");
    sb.append("access_in :: FromDevice(").append(ACCESS_PORT).append(");\n");
    sb.append("access_out :: ToDevice(").append(ACCESS_PORT).append(");\n");
    sb.append("core_in :: FromDevice(").append(CORE_PORT).append(");\n");
    sb.append("core_out :: ToDevice(").append(CORE_PORT).append(");\n\n");
    sb.append("out_eth :: Classifier(12/0806, 12/0800, -);  // ARP, IPv4, other\n");
    sb.append("in_eth :: Classifier(12/0806, 12/0800, -);\n");
    sb.append("out_ip :: CheckIPHeader(14);\n");
    sb.append("in_ip :: CheckIPHeader(14);\n");
    sb.append(OUT_FILTER).append(" :: IPFilter(").append(outFilter).append(");\n");
    sb.append(IN_FILTER).append(" :: IPFilter(").append(inFilter).append(");\n");
    if (policy.stateful()) {
      sb.append(flowFirewall()).append('\n');
    }
    sb.append("\n// outbound: access -> core\n");
    sb.append("access_in -> out_eth;\n");
    sb.append("out_eth[0] -> core_out;\n");
    sb.append("out_eth[1] -> out_ip -> ").append(OUT_FILTER);
    sb.append(policy.stateful() ? " -> [0]" + FLOW_FIREWALL + "[0] -> core_out;\n" : " -> core_out;\n");
    sb.append("out_eth[2] -> out_other :: Discard;\n");
    sb.append("\n// inbound: core -> access\n");
    sb.append("core_in -> in_eth;\n");
    sb.append("in_eth[0] -> access_out;\n");
    if (policy.stateful()) {
      sb.append("in_eth[1] -> in_ip -> [1]").append(FLOW_FIREWALL).append("[1] -> access_out;\n");
      sb.append(FLOW_FIREWALL).append("[2] -> ").append(IN_FILTER).append(" -> access_out;\n");
    } else {
      sb.append("in_eth[1] -> in_ip -> ").append(IN_FILTER).append(" -> access_out;\n");
    }
    sb.append("in_eth[2] -> in_other :: Discard;\n");
    return sb.toString();
  }

  /**
   * The FlowFirewall declaration (clickos-images/src/el_firewall.c): input 0 is the inside
   * (access) side, input 1 the outside; output 0 carries inside packets on, output 1 replies
   * to remembered flows, output 2 the outside packets that are not replies.
   */
  static String flowFirewall() {
    return FLOW_FIREWALL + " :: FlowFirewall(CAPACITY " + FLOW_CAPACITY + ");";
  }
}
