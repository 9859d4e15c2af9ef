package dev.mayfly.catalog.click;

import dev.mayfly.catalog.click.ElementSpec.ArgumentCheck;
import dev.mayfly.catalog.click.ElementSpec.Checked;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Element classes known to the validator. {@link #standard()} is the element set of the
 * clickos runtime (clickos-images/src), with the port counts and processing its element
 * classes declare; keep the two in step (ClickosElementTableTest compares them when the
 * sources are present).
 */
public final class ElementTable {

  private final Map<String, ElementSpec> specs;

  public ElementTable(Collection<ElementSpec> specs) {
    Map<String, ElementSpec> m = new LinkedHashMap<>();
    for (ElementSpec s : specs) {
      m.put(s.name(), s);
    }
    this.specs = Collections.unmodifiableMap(m);
  }

  public Optional<ElementSpec> lookup(String className) {
    return Optional.ofNullable(specs.get(className));
  }

  public Map<String, ElementSpec> all() {
    return specs;
  }

  /** A copy of this table with {@code extra} added (replacing same-named classes). */
  public ElementTable with(Collection<ElementSpec> extra) {
    List<ElementSpec> l = new ArrayList<>(specs.values());
    l.addAll(extra);
    return new ElementTable(l);
  }

  private static final ElementTable STANDARD = new ElementTable(List.of(
      // devices and control
      ElementSpec.of("FromDevice", "0/1", "h/h", mandatory("DEVNAME")),
      ElementSpec.of("ToDevice", "1/0", "a/a", mandatory("DEVNAME")),
      ElementSpec.of("DriverManager", "0/0", "a/a"),
      ElementSpec.of("Script", "0/0", "a/a"),
      // queues, sources, sinks
      ElementSpec.of("Queue", "1/1", "h/l", optionalUnsigned("CAPACITY", Long.MAX_VALUE)),
      ElementSpec.of("SimpleQueue", "1/1", "h/l", optionalUnsigned("CAPACITY", Long.MAX_VALUE)),
      ElementSpec.of("Unqueue", "1/1", "l/h"),
      ElementSpec.of("RatedUnqueue", "1/1", "l/h", mandatory("RATE")),
      ElementSpec.of("Discard", "1/0", "a/a"),
      ElementSpec.of("Idle", "-/-", "a/a"),
      ElementSpec.of("InfiniteSource", "0/1", "a/a"),
      ElementSpec.of("RatedSource", "0/1", "a/a"),
      ElementSpec.of("TimedSource", "0/1", "h/h"),
      // file I/O
      ElementSpec.of("FromDump", "0/1", "a/a", mandatory("FILENAME")),
      ElementSpec.of("ToDump", "1/0-1", "a/a", mandatory("FILENAME")),
      ElementSpec.of("FromIPSummaryDump", "0/1", "a/a", mandatory("FILENAME")),
      ElementSpec.of("ToIPSummaryDump", "1/0", "a/a", mandatory("FILENAME")),
      // printing and basic packet elements
      ElementSpec.of("Print", "1/1", "a/a"),
      ElementSpec.of("IPPrint", "1/1", "a/a"),
      ElementSpec.of("Counter", "1/1", "a/a"),
      ElementSpec.of("Tee", "1/1-", "h/h"),
      ElementSpec.of("Paint", "1/1", "a/a", mandatoryUnsigned("COLOR", 255)),
      ElementSpec.of("PaintSwitch", "1/-", "h/h"),
      ElementSpec.of("PaintTee", "1/2", "h/h", mandatoryUnsigned("COLOR", 255)),
      ElementSpec.of("Strip", "1/1", "a/a", mandatoryUnsigned("LENGTH", 65535)),
      ElementSpec.of("Unstrip", "1/1", "a/a", mandatoryUnsigned("LENGTH", 65535)),
      ElementSpec.of("Truncate", "1/1", "a/a", mandatoryUnsigned("LENGTH", Long.MAX_VALUE)),
      ElementSpec.of("EtherEncap", "1/1", "a/a", atLeast(3, "ETHERTYPE, SRC, DST")),
      ElementSpec.of("EtherMirror", "1/1", "a/a"),
      // IP header elements
      ElementSpec.of("CheckIPHeader", "1/1-2", "h/h"),
      ElementSpec.of("MarkIPHeader", "1/1", "a/a"),
      ElementSpec.of("SetIPDSCP", "1/1", "a/a", mandatoryUnsigned("DSCP", 63)),
      ElementSpec.of("DecIPTTL", "1/1-2", "h/h"),
      // classification
      ElementSpec.of("Classifier", "1/-", "h/h", ElementTable::checkClassifier),
      ElementSpec.of("IPClassifier", "1/-", "h/h", ElementTable::checkIPClassifier),
      ElementSpec.of("IPFilter", "1/-", "h/h", ElementTable::checkIPFilter),
      // splitting and rate control
      ElementSpec.of("RoundRobinSwitch", "1/1-", "h/h"),
      ElementSpec.of("HashSwitch", "1/1-", "h/h", atLeast(2, "OFFSET, LENGTH")),
      ElementSpec.of("RatedSplitter", "1/2", "h/h", mandatory("RATE")),
      ElementSpec.of("BandwidthRatedSplitter", "1/2", "h/h", mandatory("RATE")),
      // ARP
      ElementSpec.of("ARPResponder", "1/1-2", "h/h", atLeast(1, "IP ETH")),
      ElementSpec.of("ARPQuerier", "2/1-2", "h/h", atLeast(1, "IP, ETH")),
      // NAT
      ElementSpec.of("IPRewriter", "1-/1-", "h/h", atLeast(1, "INPUTSPEC")),
      ElementSpec.of("IPRewriterPatterns", "0/0", "a/a"),
      // Mayfly's stateful filter (clickos-images/src/el_firewall.c)
      ElementSpec.of("FlowFirewall", "2/2-3", "h/h", ElementTable::checkFlowFirewall)));

  /** The clickos runtime's element set. */
  public static ElementTable standard() {
    return STANDARD;
  }

  // ------------------------------------------------------------------ argument checks

  private static final Pattern KEYWORD = Pattern.compile("[A-Z][A-Z0-9_]*\\s+(.*)", Pattern.DOTALL);

  /** The positional value of an argument written {@code VALUE} or {@code KEYWORD VALUE}. */
  private static String value(String arg, String keyword) {
    var m = KEYWORD.matcher(arg);
    if (m.matches() && arg.startsWith(keyword)) {
      return m.group(1).strip();
    }
    return arg;
  }

  static ArgumentCheck mandatory(String what) {
    return conf -> {
      List<String> a = ClickArgs.split(conf);
      if (a.isEmpty() || a.get(0).isEmpty()) {
        return Checked.error("missing mandatory " + what + " argument");
      }
      return Checked.OK;
    };
  }

  static ArgumentCheck atLeast(int n, String what) {
    return conf -> {
      List<String> a = ClickArgs.split(conf);
      if (a.size() < n || a.subList(0, n).stream().anyMatch(String::isEmpty)) {
        return Checked.error("expected " + what + " (" + n + " argument" + (n == 1 ? "" : "s")
            + "), got " + a.size());
      }
      return Checked.OK;
    };
  }

  static ArgumentCheck mandatoryUnsigned(String what, long max) {
    return conf -> {
      List<String> a = ClickArgs.split(conf);
      if (a.isEmpty() || a.get(0).isEmpty()) {
        return Checked.error("missing mandatory " + what + " argument");
      }
      return unsigned(what, value(a.get(0), what), max);
    };
  }

  static ArgumentCheck optionalUnsigned(String what, long max) {
    return conf -> {
      List<String> a = ClickArgs.split(conf);
      if (a.isEmpty() || a.get(0).isEmpty()) {
        return Checked.OK;
      }
      return unsigned(what, value(a.get(0), what), max);
    };
  }

  private static Checked unsigned(String what, String v, long max) {
    long x = IPFilterSyntax.parseUnsigned(v);
    if (x < 0 || x > max) {
      return Checked.error(what + ": expected an unsigned integer"
          + (max < Long.MAX_VALUE ? " (0-" + max + ")" : "") + ", got '" + ClickParser.abbreviate(v) + "'");
    }
    return Checked.OK;
  }

  static Checked checkIPFilter(String conf) {
    IPFilterSyntax.Result r = IPFilterSyntax.checkIPFilter(conf);
    return new Checked(r.errors(), r.requiredOutputs(), -1);
  }

  static Checked checkIPClassifier(String conf) {
    IPFilterSyntax.Result r = IPFilterSyntax.checkIPClassifier(conf);
    return new Checked(r.errors(), r.requiredOutputs(), r.requiredOutputs());
  }

  private static final Pattern CLAUSE =
      Pattern.compile("!?\\d+/([0-9a-fA-F?]{2})+(%([0-9a-fA-F]{2})+)?");

  static Checked checkClassifier(String conf) {
    List<String> args = ClickArgs.split(conf);
    if (args.size() > 1 && args.get(args.size() - 1).isEmpty()) {
      args = args.subList(0, args.size() - 1);
    }
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String p = args.get(i);
      if (p.equals("-")) {
        continue;
      }
      if (p.isEmpty()) {
        errors.add("pattern " + i + ": empty pattern");
        continue;
      }
      for (String clause : ClickArgs.words(p)) {
        var m = CLAUSE.matcher(clause);
        if (!m.matches()) {
          errors.add("pattern " + i + ": bad clause '" + ClickParser.abbreviate(clause)
              + "' (expected OFFSET/HEXVALUE[%HEXMASK])");
          break;
        }
        int pct = clause.indexOf('%');
        if (pct >= 0) {
          String val = clause.substring(clause.indexOf('/') + 1, pct);
          if (clause.length() - pct - 1 != val.length()) {
            errors.add("pattern " + i + ": mask in '" + clause + "' must be as long as the value");
            break;
          }
        }
      }
    }
    return new Checked(List.copyOf(errors), args.size(), args.size());
  }

  private static final Pattern TIME = Pattern.compile("\\d+(\\.\\d+)?\\s*(s|sec|ms|msec|us|usec|ns|nsec|m|min|h|hr)?");
  private static final Pattern BOOL = Pattern.compile("true|false|yes|no|1|0");

  /**
   * FlowFirewall's keyword arguments (clickos-images/src/el_firewall.c): TIMEOUT, UDP_TIMEOUT,
   * ICMP_TIMEOUT (times, TIMEOUT &gt; 0), CAPACITY (1..16777216), OFFSET, NONIP (boolean).
   */
  static Checked checkFlowFirewall(String conf) {
    List<String> errors = new ArrayList<>();
    for (String a : ClickArgs.split(conf)) {
      if (a.isEmpty()) {
        continue;
      }
      var m = KEYWORD.matcher(a);
      if (!m.matches()) {
        errors.add("'" + ClickParser.abbreviate(a) + "': expected KEYWORD VALUE (TIMEOUT, UDP_TIMEOUT, "
            + "ICMP_TIMEOUT, CAPACITY, OFFSET, NONIP)");
        continue;
      }
      String kw = a.substring(0, a.length() - m.group(1).length()).strip();
      String v = m.group(1).strip();
      switch (kw) {
        case "TIMEOUT", "UDP_TIMEOUT", "ICMP_TIMEOUT" -> {
          if (!TIME.matcher(v).matches()) {
            errors.add(kw + ": expected a time, got '" + ClickParser.abbreviate(v) + "'");
          } else if (kw.equals("TIMEOUT") && v.matches("0+(\\.0+)?\\s*[a-z]*")) {
            errors.add("TIMEOUT: must be > 0");
          }
        }
        case "CAPACITY" -> {
          long c = IPFilterSyntax.parseUnsigned(v);
          if (c < 1 || c > (1 << 24)) {
            errors.add("CAPACITY: expected 1-16777216, got '" + ClickParser.abbreviate(v) + "'");
          }
        }
        case "OFFSET" -> {
          if (IPFilterSyntax.parseUnsigned(v) < 0) {
            errors.add("OFFSET: expected an unsigned integer, got '" + ClickParser.abbreviate(v) + "'");
          }
        }
        case "NONIP" -> {
          if (!BOOL.matcher(v).matches()) {
            errors.add("NONIP: expected true or false, got '" + ClickParser.abbreviate(v) + "'");
          }
        }
        default -> errors.add("unknown keyword '" + ClickParser.abbreviate(kw) + "'");
      }
    }
    return Checked.errors(errors);
  }
}
