package dev.mayfly.catalog.click;

import dev.mayfly.catalog.click.ElementSpec.Checked;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a flattened configuration against an {@link ElementTable}, the way the clickos
 * runtime's router build does (and reporting in the same words): unknown element classes,
 * duplicate names, bad arguments (IPFilter / IPClassifier / Classifier patterns, mandatory
 * arguments), ports out of range, push/pull mismatches, push outputs and pull inputs
 * connected more than once, and unused ports. Agnostic ports take the processing of what
 * they are connected to (all agnostic ports of one element resolve together, Click's default
 * flow code); unresolved ones are push.
 */
public final class ClickValidator {

  private static final ClickValidator STANDARD = new ClickValidator(ElementTable.standard());

  private final ElementTable table;

  public ClickValidator(ElementTable table) {
    this.table = table;
  }

  /** A validator for the clickos runtime's element set. */
  public static ClickValidator standard() {
    return STANDARD;
  }

  public ElementTable table() {
    return table;
  }

  /** Parses, flattens and (when it parsed cleanly) validates {@code text}. */
  public ClickResult check(String text) {
    ClickResult parsed = ClickParser.parse(text);
    if (!parsed.ok()) {
      return parsed;
    }
    return new ClickResult(parsed.config(), validate(parsed.config()));
  }

  private static final class Node {
    final ClickElement e;
    final ElementSpec spec;
    final int index;
    int nin;
    int nout;
    char[] inProc;
    char[] outProc;
    int[] inUse;
    int[] outUse;

    Node(ClickElement e, ElementSpec spec, int index) {
      this.e = e;
      this.spec = spec;
      this.index = index;
    }
  }

  /** Every problem in {@code cfg}, in the order found. */
  public List<ClickError> validate(ClickConfig cfg) {
    List<ClickError> errors = new ArrayList<>();
    Map<String, Node> nodes = new HashMap<>();
    List<Node> order = new ArrayList<>();
    Map<Node, Checked> checked = new HashMap<>();
    boolean unknown = false;
    int argumentErrors = 0;
    for (ClickElement e : cfg.elements()) {
      Node prev = nodes.get(e.name());
      if (prev != null) {
        errors.add(ClickError.at(e.line(), "duplicate element name '" + e.name()
            + "' (first declared on line " + prev.e.line() + ")"));
        unknown = true;
        continue;
      }
      ElementSpec spec = table.lookup(e.className()).orElse(null);
      Node n = new Node(e, spec, order.size());
      nodes.put(e.name(), n);
      order.add(n);
      if (spec == null) {
        errors.add(ClickError.at(e.line(), "unknown element class '" + e.className() + "'"));
        unknown = true;
        continue;
      }
      Checked c;
      try {
        c = spec.arguments().check(e.config());
      } catch (RuntimeException ex) {
        c = Checked.error("bad arguments: " + ex.getMessage());
      }
      checked.put(n, c.errors().isEmpty() ? c : Checked.errors(c.errors()));
      argumentErrors += c.errors().size();
      for (String m : c.errors()) {
        errors.add(ClickError.at(e.line(), "While configuring " + e.describe() + ": " + m));
      }
    }
    if (unknown) {
      return errors; // as clickos: no port checks on a graph with unknown or duplicate elements
    }
    // connections and port counts
    List<ClickConnection> conns = new ArrayList<>();
    int[] nin = new int[order.size()];
    int[] nout = new int[order.size()];
    for (ClickConnection c : cfg.connections()) {
      Node a = nodes.get(c.from());
      Node b = nodes.get(c.to());
      if (a == null || b == null) {
        errors.add(ClickError.at(c.line(), "connection to undeclared element '"
            + (a == null ? c.from() : c.to()) + "'"));
        continue;
      }
      if (c.fromPort() < 0 || c.toPort() < 0) {
        errors.add(ClickError.at(c.line(), "negative port number in " + c));
        continue;
      }
      if (a.spec == null || b.spec == null) {
        continue;
      }
      conns.add(c);
      nout[a.index] = Math.max(nout[a.index], c.fromPort() + 1);
      nin[b.index] = Math.max(nin[b.index], c.toPort() + 1);
    }
    int before = errors.size();
    for (Node n : order) {
      if (n.spec == null) {
        continue;
      }
      PortCount pc = n.spec.portCount();
      Checked ch = checked.getOrDefault(n, Checked.OK);
      int inLo = pc.inLow();
      int inHi = pc.inHigh();
      int outLo = Math.max(pc.outLow(), Math.max(ch.outputsLow(), 0));
      int outHi = ch.outputsHigh() >= 0 ? Math.min(pc.outHigh(), ch.outputsHigh()) : pc.outHigh();
      int ni = Math.max(nin[n.index], inLo);
      int no = Math.max(nout[n.index], outLo);
      if (pc.outputsEqualInputs()) {
        no = Math.max(ni, nout[n.index]);
      }
      if (ni > inHi) {
        for (ClickConnection c : conns) {
          if (c.to().equals(n.e.name()) && c.toPort() >= inHi) {
            errors.add(ClickError.at(c.line(), inHi == 0 ? n.e.describe() + " has no inputs"
                : n.e.describe() + " has no input " + c.toPort()));
            break;
          }
        }
        ni = inHi;
      }
      if (outLo > outHi) {
        errors.add(ClickError.at(n.e.line(), n.e.describe() + " needs " + outLo
            + " outputs but can have at most " + outHi));
      }
      if (no > outHi) {
        for (ClickConnection c : conns) {
          if (c.from().equals(n.e.name()) && c.fromPort() >= outHi) {
            errors.add(ClickError.at(c.line(), outHi == 0 ? n.e.describe() + " has no outputs"
                : n.e.describe() + " has no output " + c.fromPort()));
            break;
          }
        }
        no = outHi;
      }
      if (pc.outputsEqualInputs() && no != ni) {
        errors.add(ClickError.at(n.e.line(), n.e.describe() + " must have as many outputs as inputs"));
      }
      n.nin = ni;
      n.nout = no;
      n.inProc = new char[ni];
      n.outProc = new char[no];
      for (int k = 0; k < ni; k++) {
        n.inProc[k] = n.spec.input(k).code();
      }
      for (int k = 0; k < no; k++) {
        n.outProc[k] = n.spec.output(k).code();
      }
      n.inUse = new int[ni];
      n.outUse = new int[no];
    }
    if (errors.size() > before) {
      return errors;
    }
    // resolve agnostic ports
    boolean changed = true;
    while (changed) {
      changed = false;
      for (ClickConnection c : conns) {
        Node a = nodes.get(c.from());
        Node b = nodes.get(c.to());
        char pa = a.outProc[c.fromPort()];
        char pb = b.inProc[c.toPort()];
        if ((pa == 'a') == (pb == 'a')) {
          continue;
        }
        Node x = pa == 'a' ? a : b;
        char want = pa == 'a' ? pb : pa;
        resolve(x, want);
        changed = true;
      }
    }
    for (Node n : order) {
      if (n.spec != null) {
        resolve(n, 'h');
      }
    }
    for (ClickConnection c : conns) {
      Node a = nodes.get(c.from());
      Node b = nodes.get(c.to());
      int fp = c.fromPort();
      int tp = c.toPort();
      char pa = a.outProc[fp];
      char pb = b.inProc[tp];
      if (pa != pb) {
        errors.add(ClickError.at(c.line(), a.e.describe() + " " + word(pa) + " output " + fp
            + " connected to " + b.e.describe() + " " + word(pb) + " input " + tp));
        continue;
      }
      if (pa == 'h' && a.outUse[fp] > 0) {
        errors.add(ClickError.at(c.line(), a.e.describe() + " push output " + fp
            + " connected more than once"));
        continue;
      }
      if (pa == 'l' && b.inUse[tp] > 0) {
        errors.add(ClickError.at(c.line(), b.e.describe() + " pull input " + tp
            + " connected more than once"));
        continue;
      }
      a.outUse[fp]++;
      b.inUse[tp]++;
    }
    if (errors.size() > before || argumentErrors > 0) {
      return errors;
    }
    for (Node n : order) {
      for (int q = 0; q < n.nin; q++) {
        if (n.inUse[q] == 0) {
          errors.add(ClickError.at(n.e.line(), n.e.describe() + " input " + q + " unused"));
        }
      }
      for (int q = 0; q < n.nout; q++) {
        if (n.outUse[q] == 0) {
          errors.add(ClickError.at(n.e.line(), n.e.describe() + " output " + q + " unused"));
        }
      }
    }
    return errors;
  }

  private static void resolve(Node x, char want) {
    for (int q = 0; q < x.nin; q++) {
      if (x.inProc[q] == 'a') {
        x.inProc[q] = want;
      }
    }
    for (int q = 0; q < x.nout; q++) {
      if (x.outProc[q] == 'a') {
        x.outProc[q] = want;
      }
    }
  }

  private static String word(char p) {
    return p == 'h' ? "push" : "pull";
  }
}
