package dev.mayfly.catalog.click;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A syntax checker for Click's IP filter language, the argument language of
 * {@code IPFilter(ACTION PATTERN, ...)} and {@code IPClassifier(PATTERN, ...)}.
 *
 * <p>Primitives: {@code [src|dst|src or dst|src and dst] host IP}, {@code ... net IP/LEN}
 * (or {@code IP mask MASK}), {@code [SRCORDST] [tcp|udp] port [OP] PORT}, {@code ip proto P}
 * (or just {@code tcp}), {@code tcp opt syn|fin|ack|rst|psh|urg}, {@code tcp win N},
 * {@code icmp type T}, {@code icmp code N}, {@code ip vers|hl|id|tos|dscp|ttl|len [& MASK] [OP]
 * N}, {@code ip frag|unfrag|ect|ce}, {@code ip[POS:LEN]} / {@code transp[POS:LEN]} /
 * {@code tcp[...]} fields, {@code true}, {@code false}; an expression consisting only of
 * {@code -}, {@code any} or {@code all} matches everything. Connectives {@code and} / {@code &&}
 * (or juxtaposition), {@code or} / {@code ||}, {@code not} / {@code !}, parentheses and
 * {@code ?:}. OP is {@code ==}, {@code !=}, {@code <}, {@code >}, {@code <=}, {@code >=}.
 * Omitted keywords repeat the previous primitive's ({@code tcp port 80 or 443}).
 *
 * <p>It follows the tokenisation of the clickos runtime's filter parser; messages name the
 * offending word.
 */
public final class IPFilterSyntax {

  /** Result of checking an IPFilter / IPClassifier configuration. */
  public record Result(List<String> errors, int requiredOutputs) {

    public boolean ok() {
      return errors.isEmpty();
    }
  }

  static final Map<String, Integer> PROTOCOLS = Map.ofEntries(Map.entry("icmp", 1),
      Map.entry("igmp", 2), Map.entry("ipip", 4), Map.entry("tcp", 6), Map.entry("udp", 17),
      Map.entry("gre", 47), Map.entry("esp", 50), Map.entry("ah", 51), Map.entry("icmp6", 58),
      Map.entry("sctp", 132));
  static final Set<String> PORT_NAMES = Set.of("echo", "discard", "daytime", "ftp-data", "ftp",
      "ssh", "telnet", "smtp", "time", "domain", "dns", "bootps", "bootpc", "tftp", "finger", "www",
      "http", "pop3", "sunrpc", "auth", "nntp", "ntp", "netbios-ns", "imap", "snmp", "snmp-trap",
      "bgp", "ldap", "https", "syslog", "imaps", "pop3s", "openvpn", "mysql");
  static final Set<String> ICMP_TYPES = Set.of("echo-reply", "unreachable", "sourcequench",
      "redirect", "echo", "routeradvert", "routersolicit", "timeexceeded", "parameterproblem",
      "timestamp", "timestamp-reply", "inforeq", "inforeq-reply", "maskreq", "maskreq-reply");
  static final Set<String> TCP_OPTS = Set.of("fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr");
  private static final Set<String> CONNECTIVES = Set.of("and", "or", "not", "&&", "||", "!", "(",
      ")", "?", ":");
  private static final Set<String> RELOPS = Set.of("==", "=", "!=", "<", ">", "<=", ">=");
  /** ip field name -> max value. */
  private static final Map<String, Long> IP_FIELDS = Map.of("vers", 15L, "hl", 15L, "id", 65535L,
      "tos", 255L, "dscp", 63L, "ttl", 255L, "len", 65535L);
  private static final Set<String> IP_FLAGS = Set.of("frag", "unfrag", "ect", "ce");
  private static final Set<String> TYPE_WORDS = Set.of("host", "net", "port", "proto", "opt", "win",
      "type", "code", "vers", "hl", "id", "tos", "dscp", "ttl", "len", "frag", "unfrag", "ect", "ce");
  private static final Pattern FIELD = Pattern.compile("([a-z0-9]+)\\[(\\d{1,5})(?::(\\d{1,2}))?]");
  private static final int MAX_DEPTH = 200;

  private IPFilterSyntax() {}

  /** Checks {@code IPFilter} arguments; requiredOutputs is 1 + the highest output an action uses. */
  public static Result checkIPFilter(String config) {
    List<String> args = ClickArgs.split(config);
    List<String> errors = new ArrayList<>();
    int outputs = 0;
    for (int i = 0; i < args.size(); i++) {
      String s = args.get(i);
      if (s.isEmpty() && i == args.size() - 1 && i > 0) {
        break;
      }
      int sp = 0;
      while (sp < s.length() && !Character.isWhitespace(s.charAt(sp))) {
        sp++;
      }
      String action = s.substring(0, sp);
      String expr = s.substring(sp).strip();
      if (action.equals("allow")) {
        outputs = Math.max(outputs, 1);
      } else if (!action.equals("deny") && !action.equals("drop")) {
        long out = parseUnsigned(action);
        if (out < 0 || out > 65535) {
          errors.add("pattern " + i + ": unknown action '" + ClickParser.abbreviate(action)
              + "' (expected allow, deny, drop or an output number)");
          continue;
        }
        outputs = (int) Math.max(outputs, out + 1);
      }
      if (expr.isEmpty()) {
        continue;
      }
      String e = checkExpression(expr);
      if (e != null) {
        errors.add("pattern " + i + ": " + e);
      }
    }
    return new Result(List.copyOf(errors), outputs);
  }

  /** Checks {@code IPClassifier} arguments; requiredOutputs is the number of patterns. */
  public static Result checkIPClassifier(String config) {
    List<String> args = ClickArgs.split(config);
    if (args.size() > 1 && args.get(args.size() - 1).isEmpty()) {
      args = args.subList(0, args.size() - 1);
    }
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).isEmpty()) {
        errors.add("pattern " + i + ": empty pattern");
        continue;
      }
      String e = checkExpression(args.get(i));
      if (e != null) {
        errors.add("pattern " + i + ": " + e);
      }
    }
    return new Result(List.copyOf(errors), args.size());
  }

  /** Checks one filter expression; returns {@code null} when valid, else the problem. */
  public static String checkExpression(String expr) {
    Checker c = new Checker(tokenize(expr));
    try {
      c.expr();
      if (c.pos < c.t.size()) {
        throw new Bad("unexpected '" + ClickParser.abbreviate(c.t.get(c.pos)) + "'");
      }
      return null;
    } catch (Bad b) {
      return b.getMessage();
    }
  }

  static List<String> tokenize(String s) {
    List<String> out = new ArrayList<>();
    int n = s.length();
    int p = 0;
    while (p < n) {
      char c = s.charAt(p);
      if (Character.isWhitespace(c)) {
        p++;
        continue;
      }
      int st = p;
      char c1 = p + 1 < n ? s.charAt(p + 1) : 0;
      if (c == '(' || c == ')' || c == '?' || c == ':') {
        p++;
      } else if ((c == '&' && c1 == '&') || (c == '|' && c1 == '|')) {
        p += 2;
      } else if (c == '&') {
        p++;
      } else if (c == '!') {
        p += c1 == '=' ? 2 : 1;
      } else if (c == '=') {
        p += c1 == '=' ? 2 : 1;
      } else if (c == '<' || c == '>') {
        p += c1 == '=' ? 2 : 1;
      } else {
        int br = 0;
        while (p < n) {
          char d = s.charAt(p);
          if (br == 0 && (Character.isWhitespace(d) || d == '(' || d == ')' || d == '!' || d == '='
              || d == '<' || d == '>' || d == '&' || d == '|' || d == '?' || d == ':')) {
            break;
          }
          if (d == '[') {
            br++;
          } else if (d == ']' && br > 0) {
            br--;
          }
          p++;
        }
        if (p == st) {
          p++;
        }
      }
      out.add(s.substring(st, p));
    }
    return out;
  }

  /** Decimal or 0x-hex unsigned integer of at most 10 digits; -1 when not one. */
  static long parseUnsigned(String w) {
    int n = w.length();
    if (n > 2 && (w.startsWith("0x") || w.startsWith("0X"))) {
      if (n > 10) {
        return -1;
      }
      long v = 0;
      for (int i = 2; i < n; i++) {
        int d = Character.digit(w.charAt(i), 16);
        if (d < 0) {
          return -1;
        }
        v = v * 16 + d;
      }
      return v;
    }
    if (n == 0 || n > 10) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < n; i++) {
      char c = w.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** Strict dotted quad: four decimal parts 0..255 without leading zeros. */
  static boolean isIPv4(String w) {
    int n = w.length();
    if (n < 7 || n > 15) {
      return false;
    }
    int parts = 0;
    int i = 0;
    while (true) {
      int st = i;
      int v = 0;
      while (i < n && w.charAt(i) >= '0' && w.charAt(i) <= '9' && i - st < 3) {
        v = v * 10 + (w.charAt(i) - '0');
        i++;
      }
      int len = i - st;
      if (len == 0 || v > 255 || (len > 1 && w.charAt(st) == '0')) {
        return false;
      }
      parts++;
      if (i == n) {
        return parts == 4;
      }
      if (w.charAt(i) != '.' || parts == 4) {
        return false;
      }
      i++;
    }
  }

  /** {@code a.b.c.d/len}, len 0..32. */
  static boolean isCidr(String w) {
    int slash = w.indexOf('/');
    if (slash < 0 || !isIPv4(w.substring(0, slash))) {
      return false;
    }
    String len = w.substring(slash + 1);
    if (isIPv4(len)) {
      return true; // a.b.c.d/255.255.0.0
    }
    long l = len.length() <= 2 ? parseUnsigned(len) : -1;
    return l >= 0 && l <= 32 && !len.startsWith("0x");
  }

  private static final class Bad extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Bad(String m) {
      super(m, null, false, false);
    }
  }

  /** A recursive-descent checker over the tokens. */
  private static final class Checker {
    final List<String> t;
    int pos;
    int depth;
    /** The previous primitive, for omitted keywords: type word, protocol, direction. */
    String lastType;
    String lastProto;

    Checker(List<String> t) {
      this.t = t;
    }

    String peek() {
      return pos < t.size() ? t.get(pos) : null;
    }

    String peek(int k) {
      return pos + k < t.size() ? t.get(pos + k) : null;
    }

    boolean is(String w) {
      return w.equals(peek());
    }

    String next(String what) {
      String w = peek();
      if (w == null) {
        throw new Bad("expected " + what + " at end of pattern");
      }
      pos++;
      return w;
    }

    static String q(String w) {
      return "'" + ClickParser.abbreviate(w) + "'";
    }

    void expr() {
      if (++depth > MAX_DEPTH) {
        throw new Bad("expression nested too deeply");
      }
      if (t.isEmpty()) {
        throw new Bad("empty pattern");
      }
      or();
      if (is("?")) {
        pos++;
        expr();
        if (!is(":")) {
          throw new Bad("missing ':' in '?:' expression");
        }
        pos++;
        expr();
      }
      depth--;
    }

    void or() {
      and();
      while (is("or") || is("||")) {
        pos++;
        and();
      }
    }

    void and() {
      factor();
      while (true) {
        String w = peek();
        if (w == null || w.equals("or") || w.equals("||") || w.equals(")") || w.equals("?")
            || w.equals(":")) {
          return;
        }
        if (w.equals("and") || w.equals("&&")) {
          pos++;
        }
        factor();
      }
    }

    void factor() {
      String w = peek();
      if (w == null) {
        throw new Bad("expected a pattern at end of expression");
      }
      if (w.equals("not") || w.equals("!")) {
        pos++;
        if (++depth > MAX_DEPTH) {
          throw new Bad("expression nested too deeply");
        }
        factor();
        depth--;
        return;
      }
      if (w.equals("(")) {
        pos++;
        expr();
        if (!is(")")) {
          throw new Bad(peek() == null ? "missing ')'" : "expected ')' before " + q(peek()));
        }
        pos++;
        return;
      }
      primitive();
    }

    void primitive() {
      String w = next("a pattern");
      if (CONNECTIVES.contains(w) && !w.equals("(")) {
        throw new Bad("unexpected " + q(w));
      }
      if (w.equals("true") || w.equals("false") || w.equals("none") || w.equals("-")
          || w.equals("any") || w.equals("all")) {
        return;
      }
      if (w.indexOf('[') >= 0) {
        field(w);
        return;
      }
      String dir = null;
      if (w.equals("src") || w.equals("dst")) {
        dir = w;
        if ((is("or") || is("and")) && (w.equals("src") ? "dst" : "src").equals(peek(1))) {
          pos += 2;
        }
        w = next("host, net or port after '" + dir + "'");
      }
      String proto = null;
      if (w.equals("ip") || PROTOCOLS.containsKey(w)) {
        String nx = peek();
        boolean qualifies = nx != null && (TYPE_WORDS.contains(nx) || nx.equals("src") || nx.equals("dst"));
        if (!qualifies) {
          if (dir != null) {
            throw new Bad("'" + dir + " " + w + "': expected host, net or port");
          }
          lastType = "proto";
          lastProto = null;
          return; // "tcp" alone = ip proto tcp; "ip" alone = every IP packet
        }
        proto = w;
        if (dir == null && (is("src") || is("dst"))) {
          dir = next("src or dst");
          if ((is("or") || is("and")) && (dir.equals("src") ? "dst" : "src").equals(peek(1))) {
            pos += 2;
          }
        }
        w = next("a keyword after '" + proto + "'");
      }
      if (TYPE_WORDS.contains(w)) {
        typed(w, dir, proto);
        return;
      }
      // keyword omitted: infer from the data or repeat the previous primitive
      pos--;
      implicit(w, dir, proto);
    }

    private void implicit(String w, String dir, String proto) {
      if (RELOPS.contains(w) && lastType != null) {
        typed(lastType, dir, proto != null ? proto : lastProto);
        return;
      }
      if (isIPv4(w)) {
        typed("host", dir, proto);
        return;
      }
      if (isCidr(w)) {
        typed("net", dir, proto);
        return;
      }
      if (lastType != null && !lastType.equals("proto") && dataFits(lastType, w)) {
        typed(lastType, dir, proto != null ? proto : lastProto);
        return;
      }
      if (TCP_OPTS.contains(w) && dir == null && (proto == null || proto.equals("tcp"))) {
        typed("opt", null, "tcp");
        return;
      }
      if (PORT_NAMES.contains(w) || (parseUnsigned(w) >= 0 && (dir != null || proto != null))) {
        typed("port", dir, proto);
        return;
      }
      if (IP_FLAGS.contains(w)) {
        typed(w, dir, proto);
        return;
      }
      throw new Bad("unknown word " + q(w));
    }

    private boolean dataFits(String type, String w) {
      return switch (type) {
        case "host" -> isIPv4(w);
        case "net" -> isCidr(w) || isIPv4(w);
        case "port" -> PORT_NAMES.contains(w) || inRange(w, 65535);
        case "opt" -> TCP_OPTS.contains(w);
        case "type" -> ICMP_TYPES.contains(w) || inRange(w, 255);
        case "frag", "unfrag", "ect", "ce" -> false;
        default -> inRange(w, IP_FIELDS.getOrDefault(type, 0xFFFFL));
      };
    }

    private static boolean inRange(String w, long max) {
      long v = parseUnsigned(w);
      return v >= 0 && v <= max;
    }

    private String relop(boolean integer, String type) {
      String w = peek();
      if (w != null && RELOPS.contains(w)) {
        if (!integer && !w.equals("==") && !w.equals("=") && !w.equals("!=")) {
          throw new Bad("'" + type + "' does not take '" + w + "' (only == and !=)");
        }
        pos++;
        return w;
      }
      return "==";
    }

    private void mask(String type) {
      if (is("&")) {
        pos++;
        String m = next("a mask after '&'");
        if (parseUnsigned(m) < 0) {
          throw new Bad("bad mask " + q(m) + " in '" + type + "'");
        }
      }
    }

    private void typed(String type, String dir, String proto) {
      if (dir != null && !(type.equals("host") || type.equals("net") || type.equals("port"))) {
        throw new Bad("'" + dir + "' cannot qualify '" + type + "'");
      }
      switch (type) {
        case "host" -> {
          noProto(type, proto);
          relop(false, type);
          String v = next("an IP address after 'host'");
          if (!isIPv4(v)) {
            throw new Bad("bad IP address " + q(v));
          }
        }
        case "net" -> {
          noProto(type, proto);
          relop(false, type);
          String v = next("a network after 'net'");
          if (isIPv4(v) && is("mask")) {
            pos++;
            String m = next("a mask after 'mask'");
            if (!isIPv4(m)) {
              throw new Bad("bad netmask " + q(m));
            }
          } else if (!isCidr(v)) {
            throw new Bad("bad network address " + q(v) + " (expected ADDR/LEN)");
          }
        }
        case "port" -> {
          if (proto != null && !proto.equals("tcp") && !proto.equals("udp")) {
            throw new Bad("'port' needs tcp or udp, not '" + proto + "'");
          }
          mask(type);
          relop(true, type);
          String v = next("a port after 'port'");
          if (!PORT_NAMES.contains(v) && !inRange(v, 65535)) {
            throw new Bad("bad port " + q(v));
          }
        }
        case "proto" -> {
          if (proto != null && !proto.equals("ip")) {
            throw new Bad("'proto' cannot follow '" + proto + "'");
          }
          relop(true, type);
          String v = next("a protocol after 'proto'");
          if (!PROTOCOLS.containsKey(v) && !inRange(v, 255)) {
            throw new Bad("bad protocol " + q(v));
          }
        }
        case "opt" -> {
          if (proto != null && !proto.equals("tcp")) {
            throw new Bad("'opt' needs tcp, not '" + proto + "'");
          }
          String v = next("a TCP option after 'opt'");
          if (!TCP_OPTS.contains(v)) {
            throw new Bad("unknown TCP option " + q(v));
          }
          proto = "tcp";
        }
        case "win" -> {
          if (!"tcp".equals(proto)) {
            throw new Bad("'win' needs tcp ('tcp win N')");
          }
          mask(type);
          relop(true, type);
          String v = next("a window after 'win'");
          if (!inRange(v, 65535)) {
            throw new Bad("bad TCP window " + q(v));
          }
        }
        case "type", "code" -> {
          if (!"icmp".equals(proto)) {
            throw new Bad("'" + type + "' needs icmp ('icmp " + type + " N')");
          }
          mask(type);
          relop(true, type);
          String v = next("a value after '" + type + "'");
          if (!(type.equals("type") && ICMP_TYPES.contains(v)) && !inRange(v, 255)) {
            throw new Bad("bad ICMP " + type + " " + q(v));
          }
        }
        case "frag", "unfrag", "ect", "ce" -> noProto(type, proto);
        default -> {
          noProto(type, proto);
          mask(type);
          relop(true, type);
          String v = next("a value after '" + type + "'");
          if (!inRange(v, IP_FIELDS.get(type))) {
            throw new Bad("bad value " + q(v) + " for 'ip " + type + "' (0-" + IP_FIELDS.get(type) + ")");
          }
        }
      }
      lastType = type;
      lastProto = proto;
    }

    private static void noProto(String type, String proto) {
      if (proto != null && !proto.equals("ip")) {
        throw new Bad("'" + proto + " " + type + "': '" + type + "' is an IP header field");
      }
    }

    private void field(String w) {
      var m = FIELD.matcher(w);
      if (!m.matches()) {
        throw new Bad("bad offset syntax in " + q(w));
      }
      String base = m.group(1);
      if (!base.equals("ip") && !base.equals("transp") && !PROTOCOLS.containsKey(base)) {
        throw new Bad("unknown offset base in " + q(w));
      }
      long off = Long.parseLong(m.group(2));
      long len = m.group(3) == null ? 1 : Long.parseLong(m.group(3));
      if (off > 65535 || len < 1 || len > 4) {
        throw new Bad("bad offset or length in " + q(w) + " (length must be 1-4)");
      }
      mask(w);
      String v = peek();
      boolean rel = v != null && RELOPS.contains(v);
      if (rel) {
        pos++;
        v = peek();
      }
      if (v != null && !CONNECTIVES.contains(v) && (parseUnsigned(v) >= 0 || isIPv4(v))) {
        pos++;
      } else if (rel) {
        throw new Bad("expected value after " + q(w));
      }
      lastType = null;
    }
  }
}
