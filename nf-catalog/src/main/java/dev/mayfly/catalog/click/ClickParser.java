package dev.mayfly.catalog.click;

import dev.mayfly.catalog.click.ClickLexer.T;
import dev.mayfly.catalog.click.ClickLexer.Tok;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parser for the Click configuration language, flattening as it goes.
 *
 * <p>Understands declarations {@code a, b :: Class(args)}, connections with ports
 * {@code a[1] -> [0]b}, chains of anonymous elements {@code A -> B(args) -> C}, inline
 * declarations inside chains, {@code //} and {@code /* *&#47;} comments, {@code elementclass
 * Name { [$formals |] body }} compounds (and {@code elementclass A B} synonyms, anonymous
 * {@code { ... }} compounds), {@code define($V value, ...)} with {@code $V} / {@code ${V}}
 * substitution in argument text, and {@code require(...)} / {@code provide(...)}.
 *
 * <p>A bare word that is not a declared element is an anonymous element of the class of that
 * name (so a typo shows up as an unknown element class in the validator), as in clickos.
 * Compound members are named {@code outer/inner}; compound ports are tunnels removed at the
 * end. The parser never throws on bad input: it returns what it could build plus errors.
 * It stops after {@value #MAX_ERRORS} errors, {@value #MAX_ELEMENTS} elements,
 * {@value #MAX_INSTANTIATIONS} instantiations, {@value #MAX_COMPOUND_BYTES} bytes of compound
 * bodies, or a configuration string longer than {@value #MAX_CONF_STRING} bytes after
 * substitution: the same budgets as the clickos runtime, so exponential compounds and
 * defines cannot exhaust memory.
 */
public final class ClickParser {

  public static final int MAX_ELEMENTS = 200_000;
  /** Element instantiations (primitive or compound), against exponential compounds. */
  public static final int MAX_INSTANTIATIONS = 50_000;
  /** Longest configuration string after {@code $variable} substitution. */
  public static final int MAX_CONF_STRING = 256 * 1024;
  /** Compound body bytes lexed in all, against exponential compounds. */
  public static final long MAX_COMPOUND_BYTES = 16L << 20;
  public static final int MAX_CONNECTIONS = 400_000;
  public static final int MAX_DEPTH = 32;
  public static final int MAX_ERRORS = 50;
  /** Class name of compound port tunnels inside the parser; never in a result. */
  static final String TUNNEL = "<tunnel>";

  private static final class Abort extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Abort() {
      super(null, null, false, false);
    }
  }

  private static final class Decl {
    final String name;
    final String cls;
    final String config;
    final int line;
    final boolean anon;
    final int tunnel; // 0 = element, 1 = compound input tunnel, 2 = compound output tunnel
    final String compound; // compound instance name, for tunnels

    Decl(String name, String cls, String config, int line, boolean anon, int tunnel, String compound) {
      this.name = name;
      this.cls = cls;
      this.config = config;
      this.line = line;
      this.anon = anon;
      this.tunnel = tunnel;
      this.compound = compound;
    }
  }

  private record Conn(int from, int fport, int to, int tport, int line) {}

  private record Compound(String name, String body, int line, int col, Scope scope, String alias) {}

  private record Ref(int in, int out) {}

  private static final class Scope {
    final Scope parent;
    final String prefix;
    final int depth;
    final Map<String, String> vars = new HashMap<>();
    final Map<String, Compound> compounds = new HashMap<>();
    final Map<String, Ref> names = new HashMap<>();

    Scope(Scope parent, String prefix, int depth) {
      this.parent = parent;
      this.prefix = prefix;
      this.depth = depth;
    }

    String var(String n) {
      for (Scope s = this; s != null; s = s.parent) {
        String v = s.vars.get(n);
        if (v != null) {
          return v;
        }
      }
      return null;
    }

    Compound compound(String n) {
      for (Scope s = this; s != null; s = s.parent) {
        Compound c = s.compounds.get(n);
        if (c != null) {
          return c;
        }
      }
      return null;
    }
  }

  private final List<ClickError> errors = new ArrayList<>();
  private final List<Decl> decls = new ArrayList<>();
  private final List<Conn> conns = new ArrayList<>();
  private final List<String> requirements = new ArrayList<>();
  private ClickLexer lx;
  private Scope sc;
  private int anonCompounds;
  private int instantiations;
  private long compoundBytes;
  private boolean substOverflow;

  private ClickParser() {}

  /** Parses and flattens {@code text}. */
  public static ClickResult parse(String text) {
    return parse(text, Map.of());
  }

  /**
   * Parses with command-line style definitions ({@code click NAME=value}), which win over
   * {@code define} in the text.
   */
  public static ClickResult parse(String text, Map<String, String> defines) {
    ClickParser p = new ClickParser();
    return p.run(text == null ? "" : text, defines == null ? Map.of() : defines);
  }

  private ClickResult run(String text, Map<String, String> defines) {
    sc = new Scope(null, "", 0);
    sc.vars.putAll(defines);
    lx = new ClickLexer(text, 1, 1, errors);
    try {
      parseStatements();
      eliminateTunnels();
    } catch (Abort a) {
      // stopped: too many errors or elements; the errors say why
    }
    List<ClickElement> els = new ArrayList<>();
    for (Decl d : decls) {
      if (d.tunnel == 0) {
        els.add(new ClickElement(d.name, d.cls, d.config, d.line, d.anon));
      }
    }
    List<ClickConnection> cs = new ArrayList<>();
    for (Conn c : conns) {
      Decl a = decls.get(c.from);
      Decl b = decls.get(c.to);
      if (a.tunnel == 0 && b.tunnel == 0) {
        cs.add(new ClickConnection(a.name, c.fport, b.name, c.tport, c.line));
      }
    }
    return new ClickResult(new ClickConfig(els, cs, requirements), errors);
  }

  // ------------------------------------------------------------------ errors

  private void error(int line, Integer col, String msg) {
    errors.add(new ClickError(line, col, msg));
    if (errors.size() >= MAX_ERRORS) {
      errors.add(new ClickError(line, null, "too many errors, giving up"));
      throw new Abort();
    }
  }

  private void error(Tok t, String msg) {
    error(t.line(), t.col(), msg);
  }

  // ------------------------------------------------------------------ statements

  private void parseStatements() {
    while (true) {
      Tok t = lx.next();
      if (t.t() == T.EOF) {
        return;
      }
      if (t.t() == T.SEMI) {
        continue;
      }
      if (t.t() == T.IDENT && t.s().equals("elementclass")) {
        parseElementclass(t);
        continue;
      }
      if (t.t() == T.IDENT && (t.s().equals("require") || t.s().equals("define")
          || t.s().equals("provide")) && lx.peek().t() == T.LPAREN) {
        lx.next();
        String body = lx.balanced();
        if (body == null) {
          error(t, "unterminated " + t.s() + "(");
          return;
        }
        if (t.s().equals("define")) {
          define(t, body);
        } else if (t.s().equals("require")) {
          requirements.add(body.strip());
        }
        continue;
      }
      if (t.t() == T.IDENT || t.t() == T.LBRACE) {
        if (!parseConnection(t)) {
          resync();
        }
        continue;
      }
      switch (t.t()) {
        case VAR -> error(t, "syntax error: unexpected variable '$" + t.s() + "'");
        case ARROW -> error(t, "syntax error: '->' with no element before it");
        case LBRACK -> error(t, "syntax error: input port with no connection");
        default -> error(t, "syntax error near " + t.show());
      }
      resync();
    }
  }

  private void resync() {
    if (lx.last() == T.SEMI) {
      return;
    }
    while (true) {
      T k = lx.peek().t();
      if (k == T.EOF || k == T.SEMI) {
        return;
      }
      if (k == T.LPAREN) {
        lx.next();
        if (lx.balanced() == null) {
          return;
        }
        continue;
      }
      lx.next();
    }
  }

  private void parseElementclass(Tok kw) {
    Tok n = lx.next();
    if (n.t() != T.IDENT) {
      error(n, "syntax error: expected element class name after 'elementclass'");
      return;
    }
    Tok b = lx.next();
    if (b.t() == T.LBRACE) {
      defineCompound(n.s(), n);
    } else if (b.t() == T.IDENT) {
      sc.compounds.put(n.s(), new Compound(n.s(), "", b.line(), b.col(), sc, b.s()));
    } else {
      error(b, "syntax error: expected '{' after 'elementclass " + n.s() + "'");
    }
  }

  /** After the '{': stores the raw body. */
  private Compound defineCompound(String name, Tok at) {
    int line = lx.line();
    int col = lx.column();
    String body = lx.balanced();
    if (body == null) {
      error(at, "unterminated elementclass '" + name + "'");
      return null;
    }
    Compound c = new Compound(name, body, line, col, sc, null);
    sc.compounds.put(name, c);
    return c;
  }

  private void define(Tok at, String body) {
    for (String a : ClickArgs.split(body)) {
      if (a.isEmpty()) {
        continue;
      }
      if (a.charAt(0) != '$') {
        error(at, "define: expected '$VARIABLE value', got '" + abbreviate(a) + "'");
        continue;
      }
      int e = 1;
      while (e < a.length() && (isWordChar(a.charAt(e)))) {
        e++;
      }
      String nm = a.substring(1, e);
      if (nm.isEmpty()) {
        error(at, "define: empty variable name");
        continue;
      }
      String val = substitute(a.substring(e).strip());
      if (substOverflow) {
        error(at, "define: value of $" + nm + " too long (limit " + MAX_CONF_STRING + " bytes)");
        throw new Abort();
      }
      sc.vars.putIfAbsent(nm, val);
    }
  }

  private static boolean isWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  static String abbreviate(String s) {
    String one = s.replaceAll("\\s+", " ");
    return one.length() > 40 ? one.substring(0, 37) + "..." : one;
  }

  /** {@code $VAR} and {@code ${VAR}}; unknown variables are left as they are. */
  private String substitute(String text) {
    if (text.indexOf('$') < 0) {
      return text;
    }
    StringBuilder o = new StringBuilder();
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      if (c == '$' && i + 1 < n && (text.charAt(i + 1) == '{' || Character.isLetter(text.charAt(i + 1))
          || text.charAt(i + 1) == '_')) {
        int st;
        int en;
        int after;
        if (text.charAt(i + 1) == '{') {
          st = i + 2;
          en = text.indexOf('}', st);
          if (en < 0) {
            o.append(c);
            i++;
            continue;
          }
          after = en + 1;
        } else {
          st = i + 1;
          en = st;
          while (en < n && isWordChar(text.charAt(en))) {
            en++;
          }
          after = en;
        }
        String v = sc.var(text.substring(st, en));
        if (v != null && o.length() + v.length() > MAX_CONF_STRING) {
          substOverflow = true; // a chain of defines or formals could grow exponentially
          i = after;
          continue;
        }
        o.append(v != null ? v : text.substring(i, after));
        i = after;
        continue;
      }
      o.append(c);
      i++;
    }
    return o.toString();
  }

  // ------------------------------------------------------------------ connections

  private boolean parseConnection(Tok first) {
    Ref prev = null;
    int prevPort = 0;
    Tok t = first;
    while (true) {
      int inPort = 0;
      if (t.t() == T.LBRACK) {
        if (prev == null) {
          error(t, "syntax error: input port with no connection");
          return false;
        }
        Integer p = parsePort();
        if (p == null) {
          return false;
        }
        inPort = p;
        t = lx.next();
      }
      int line = t.line();
      Ref r = parseElement(t);
      if (r == null) {
        return false;
      }
      if (prev != null && prev.out() >= 0 && r.in() >= 0) {
        addConn(prev.out(), prevPort, r.in(), inPort, line);
      }
      int outPort = 0;
      if (lx.peek().t() == T.LBRACK) {
        Tok lb = lx.next();
        Integer p = parsePort();
        if (p == null) {
          return false;
        }
        outPort = p;
        if (lx.peek().t() != T.ARROW) {
          error(lb, "syntax error: output port with no connection");
          return false;
        }
      }
      if (lx.peek().t() != T.ARROW) {
        return true;
      }
      Tok arrow = lx.next();
      prev = r;
      prevPort = outPort;
      t = lx.next();
      if (t.t() == T.EOF) {
        error(arrow, "syntax error: connection ends with '->'");
        return false;
      }
    }
  }

  /** After '[': a port number and ']'. */
  private Integer parsePort() {
    Tok t = lx.next();
    if (t.t() != T.IDENT) {
      error(t, "syntax error: expected port number, got " + t.show());
      return null;
    }
    int v;
    try {
      v = t.s().chars().allMatch(Character::isDigit) && t.s().length() <= 6 ? Integer.parseInt(t.s()) : -1;
    } catch (NumberFormatException e) {
      v = -1;
    }
    if (v < 0 || v > 65535) {
      error(t, "syntax error: bad port number '" + abbreviate(t.s()) + "'");
      return null;
    }
    Tok rb = lx.next();
    if (rb.t() != T.RBRACK) {
      error(rb, "syntax error: expected ']' after port number");
      return null;
    }
    return v;
  }

  private record ClassSpec(String cls, String config) {}

  /** A class at {@code t}: {@code Name}, {@code Name(config)} or {@code { body }}. */
  private ClassSpec parseClass(Tok t) {
    String cls;
    if (t.t() == T.LBRACE) {
      String nm = "@Compound@" + (++anonCompounds);
      if (defineCompound(nm, t) == null) {
        return null;
      }
      cls = nm;
    } else if (t.t() == T.IDENT) {
      cls = t.s();
    } else {
      error(t, "syntax error: expected element class, got " + t.show());
      return null;
    }
    String conf = "";
    if (lx.peek().t() == T.LPAREN) {
      Tok lp = lx.next();
      conf = lx.balanced();
      if (conf == null) {
        error(lp, "unterminated configuration string for '" + abbreviate(cls) + "'");
        return null;
      }
    }
    return new ClassSpec(cls, conf);
  }

  private Ref parseElement(Tok t) {
    if (t.t() == T.LBRACE) {
      ClassSpec cs = parseClass(t);
      if (cs == null) {
        return null;
      }
      return instantiate("@" + (decls.size() + 1), cs.cls(), cs.config(), t.line(), true);
    }
    if (t.t() != T.IDENT) {
      error(t, "syntax error: expected element, got " + t.show());
      return null;
    }
    Tok pk = lx.peek();
    if (pk.t() == T.DCOLON || pk.t() == T.COMMA) {
      List<Tok> names = new ArrayList<>();
      names.add(t);
      while (lx.peek().t() == T.COMMA) {
        lx.next();
        Tok n = lx.next();
        if (n.t() != T.IDENT) {
          error(n, "syntax error: expected element name, got " + n.show());
          return null;
        }
        names.add(n);
      }
      Tok dc = lx.next();
      if (dc.t() != T.DCOLON) {
        error(dc, "syntax error: expected '::', got " + dc.show());
        return null;
      }
      Tok ct = lx.next();
      ClassSpec cs = parseClass(ct);
      if (cs == null) {
        return null;
      }
      Ref last = null;
      for (Tok n : names) {
        last = declare(n, cs.cls(), cs.config());
      }
      if (names.size() > 1 && (lx.peek().t() == T.ARROW || lx.peek().t() == T.LBRACK)) {
        error(t, "syntax error: multiple declarations in a connection");
        return null;
      }
      return last == null ? new Ref(-1, -1) : last;
    }
    Ref named = sc.names.get(t.s());
    if (named != null && pk.t() != T.LPAREN) {
      return named;
    }
    ClassSpec cs = parseClass(t);
    if (cs == null) {
      return null;
    }
    Compound comp = sc.compound(cs.cls());
    String base = comp != null && cs.cls().startsWith("@") ? "Compound" : cs.cls();
    return instantiate(base + "@" + (decls.size() + 1), cs.cls(), cs.config(), t.line(), true);
  }

  private Ref declare(Tok n, String cls, String conf) {
    String name = n.s();
    if (sc.names.containsKey(name)) {
      error(n, "redeclaration of element '" + name + "'");
      return null;
    }
    if (name.equals("input") || name.equals("output")) {
      error(n, "'" + name + "' is reserved");
      return null;
    }
    if (name.startsWith("/") || name.endsWith("/") || name.contains("//")) {
      error(n, "bad element name '" + abbreviate(name) + "'");
      return null;
    }
    Ref r = instantiate(name, cls, conf, n.line(), false);
    sc.names.put(name, r);
    return r;
  }

  private int addDecl(String name, String cls, String config, int line, boolean anon, int tunnel,
      String compound) {
    if (decls.size() >= MAX_ELEMENTS) {
      error(line, null, "too many elements (limit " + MAX_ELEMENTS + ")");
      throw new Abort();
    }
    decls.add(new Decl(name, cls, config, line, anon, tunnel, compound));
    return decls.size() - 1;
  }

  private void addConn(int from, int fport, int to, int tport, int line) {
    if (conns.size() >= MAX_CONNECTIONS) {
      error(line, null, "too many connections (limit " + MAX_CONNECTIONS + ")");
      throw new Abort();
    }
    conns.add(new Conn(from, fport, to, tport, line));
  }

  /** Instantiates a primitive or compound class as element {@code name} of this scope. */
  private Ref instantiate(String name, String cls, String rawConf, int line, boolean anon) {
    if (++instantiations > MAX_INSTANTIATIONS) {
      error(line, null, "configuration too large (more than " + MAX_INSTANTIATIONS + " element instantiations)");
      throw new Abort();
    }
    String conf = substitute(rawConf == null ? "" : rawConf);
    if (substOverflow) {
      error(line, null, "configuration string too long after $variable substitution (limit "
          + MAX_CONF_STRING + " bytes)");
      throw new Abort();
    }
    Compound comp = sc.compound(cls);
    int depth = 0;
    while (comp != null && comp.alias() != null && depth++ < 16) {
      cls = comp.alias();
      comp = comp.scope().compound(cls);
    }
    String full = sc.prefix + name;
    if (comp == null) {
      int i = addDecl(full, cls, conf, line, anon, 0, null);
      return new Ref(i, i);
    }
    compoundBytes += comp.body().length() + 16;
    if (compoundBytes > MAX_COMPOUND_BYTES) {
      error(line, null, "configuration too large (compound expansion exceeds " + MAX_COMPOUND_BYTES + " bytes)");
      throw new Abort();
    }
    if (sc.depth + 1 > MAX_DEPTH) {
      error(line, null, "compound element nesting too deep (recursive elementclass '" + cls + "'?)");
      return new Ref(-1, -1);
    }
    int ii = addDecl(full + "/input", TUNNEL, "", line, false, 1, full);
    int oi = addDecl(full + "/output", TUNNEL, "", line, false, 2, full);
    Scope ns = new Scope(comp.scope(), full + "/", sc.depth + 1);
    ns.names.put("input", new Ref(ii, ii));
    ns.names.put("output", new Ref(oi, oi));
    ClickLexer blx = new ClickLexer(comp.body(), comp.line(), comp.col(), errors);
    // formals: $a, $b |
    boolean ok = true;
    if (blx.peek().t() == T.VAR) {
      List<String> args = ClickArgs.split(conf);
      int fi = 0;
      while (true) {
        Tok v = blx.next();
        if (v.t() != T.VAR) {
          error(v, "syntax error in the formal parameters of '" + cls + "'");
          ok = false;
          break;
        }
        ns.vars.put(v.s(), fi < args.size() ? args.get(fi) : "");
        fi++;
        Tok sep = blx.next();
        if (sep.t() == T.COMMA) {
          continue;
        }
        if (sep.t() == T.BAR) {
          break;
        }
        error(sep, "syntax error in the formal parameters of '" + cls + "': expected ',' or '|'");
        ok = false;
        break;
      }
      if (ok && fi < args.size()) {
        error(line, null, "too many arguments to compound element '" + cls + "' (" + args.size()
            + " given, " + fi + " expected)");
        ok = false;
      }
    } else if (!conf.isBlank()) {
      error(line, null, "compound element '" + cls + "' takes no arguments");
      ok = false;
    }
    if (ok) {
      ClickLexer olx = lx;
      Scope osc = sc;
      lx = blx;
      sc = ns;
      try {
        parseStatements();
      } finally {
        lx = olx;
        sc = osc;
      }
    }
    return new Ref(ii, oi);
  }

  // ------------------------------------------------------------------ tunnels

  /**
   * Removes compound port tunnels: every connection into port k of a tunnel is joined with
   * every connection out of port k of the same tunnel.
   */
  private void eliminateTunnels() {
    for (int t = 0; t < decls.size(); t++) {
      Decl d = decls.get(t);
      if (d.tunnel == 0) {
        continue;
      }
      List<Conn> ins = new ArrayList<>();
      List<Conn> outs = new ArrayList<>();
      List<Conn> rest = new ArrayList<>(conns.size());
      for (Conn c : conns) {
        boolean in = c.to == t;
        boolean out = c.from == t;
        if (in && !out) {
          ins.add(c);
        } else if (out && !in) {
          outs.add(c);
        } else if (!in) {
          rest.add(c);
        }
      }
      Map<Integer, Boolean> outUsed = new LinkedHashMap<>();
      for (Conn o : outs) {
        outUsed.putIfAbsent(o.fport, false);
      }
      conns.clear();
      conns.addAll(rest);
      for (Conn i : ins) {
        boolean matched = false;
        for (Conn o : outs) {
          if (o.fport == i.tport) {
            matched = true;
            outUsed.put(o.fport, true);
            addConn(i.from, i.fport, o.to, o.tport, i.line);
          }
        }
        if (!matched) {
          if (d.tunnel == 1) {
            error(i.line, null, "compound element '" + d.compound + "' has no input " + i.tport);
          } else {
            error(d.line, null, "compound element '" + d.compound + "' output " + i.tport + " unused");
          }
        }
      }
      for (Map.Entry<Integer, Boolean> e : outUsed.entrySet()) {
        if (!e.getValue()) {
          int line = outs.stream().filter(o -> o.fport == e.getKey()).findFirst().map(Conn::line)
              .orElse(d.line);
          if (d.tunnel == 1) {
            error(d.line, null, "compound element '" + d.compound + "' input " + e.getKey() + " unused");
          } else {
            error(line, null, "compound element '" + d.compound + "' has no output " + e.getKey());
          }
        }
      }
    }
  }
}
