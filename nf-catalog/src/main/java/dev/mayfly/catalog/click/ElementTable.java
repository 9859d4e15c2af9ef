package dev.mayfly.catalog.click;

import static dev.mayfly.catalog.click.ArgSpec.Type.ANY;
import static dev.mayfly.catalog.click.ArgSpec.Type.BANDWIDTH;
import static dev.mayfly.catalog.click.ArgSpec.Type.BOOL;
import static dev.mayfly.catalog.click.ArgSpec.Type.DOUBLE;
import static dev.mayfly.catalog.click.ArgSpec.Type.ETH;
import static dev.mayfly.catalog.click.ArgSpec.Type.INT;
import static dev.mayfly.catalog.click.ArgSpec.Type.IP;
import static dev.mayfly.catalog.click.ArgSpec.Type.STR;
import static dev.mayfly.catalog.click.ArgSpec.Type.TIME;
import static dev.mayfly.catalog.click.ArgSpec.Type.UINT;
import static dev.mayfly.catalog.click.ArgSpec.Type.WORD;
import static dev.mayfly.catalog.click.ArgSpec.keyword;
import static dev.mayfly.catalog.click.ArgSpec.mandatory;
import static dev.mayfly.catalog.click.ArgSpec.positional;
import static dev.mayfly.catalog.click.ArgSpec.reader;

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
      ElementSpec.of("FromDevice", "0/1", "h/h", reader(mandatory("DEVNAME", WORD), positional("SNIFFER", BOOL),
          positional("PROMISC", BOOL), keyword("BURST", UINT), keyword("SNAPLEN", UINT), keyword("METHOD", WORD),
          keyword("OUTBOUND", ANY), keyword("HEADROOM", ANY), keyword("BPF_FILTER", ANY),
          keyword("FORCE_IP", BOOL), keyword("TIMESTAMP", BOOL))),
      ElementSpec.of("ToDevice", "1/0", "a/a", reader(mandatory("DEVNAME", WORD), keyword("BURST", UINT),
          keyword("QUEUE", ANY), keyword("METHOD", WORD), keyword("DEBUG", BOOL))),
      ElementSpec.of("DriverManager", "0/0", "a/a"),
      ElementSpec.of("Script", "0/0", "a/a"),
      // queues, sources, sinks
      ElementSpec.of("Queue", "1/1", "h/l", reader(positional("CAPACITY", UINT))),
      ElementSpec.of("SimpleQueue", "1/1", "h/l", reader(positional("CAPACITY", UINT))),
      ElementSpec.of("Unqueue", "1/1", "l/h", reader(positional("BURST", UINT), keyword("LIMIT", INT),
          keyword("ACTIVE", BOOL))),
      ElementSpec.of("RatedUnqueue", "1/1", "l/h", reader(mandatory("RATE", DOUBLE))),
      ElementSpec.of("Discard", "1/0", "a/a"),
      ElementSpec.of("Idle", "-/-", "a/a"),
      ElementSpec.of("InfiniteSource", "0/1", "a/a", reader(positional("DATA", ANY), positional("LIMIT", INT),
          positional("BURST", UINT), positional("ACTIVE", BOOL), keyword("STOP", BOOL), keyword("LENGTH", INT),
          keyword("DATASIZE", INT))),
      ElementSpec.of("RatedSource", "0/1", "a/a", reader(positional("DATA", ANY), positional("RATE", DOUBLE),
          positional("LIMIT", INT), positional("ACTIVE", BOOL), keyword("STOP", BOOL), keyword("LENGTH", INT),
          keyword("DATASIZE", INT))),
      ElementSpec.of("TimedSource", "0/1", "h/h", reader(positional("INTERVAL", TIME), positional("DATA", ANY),
          keyword("LIMIT", INT), keyword("ACTIVE", BOOL), keyword("STOP", BOOL), keyword("LENGTH", INT))),
      // file I/O
      ElementSpec.of("FromDump", "0/1", "a/a", reader(mandatory("FILENAME", STR), keyword("STOP", BOOL),
          keyword("ACTIVE", BOOL), keyword("FORCE_IP", BOOL), keyword("TIMING", BOOL), keyword("END", ANY),
          keyword("START", ANY), keyword("SAMPLE", ANY))),
      ElementSpec.of("ToDump", "1/0-1", "a/a", reader(mandatory("FILENAME", STR), positional("SNAPLEN", UINT),
          positional("ENCAP", WORD), keyword("USE_ENCAP_FROM", ANY), keyword("EXTRA_LENGTH", BOOL))),
      ElementSpec.of("FromIPSummaryDump", "0/1", "a/a", reader(mandatory("FILENAME", STR), keyword("STOP", BOOL),
          keyword("ACTIVE", BOOL), keyword("CONTENTS", STR), keyword("ZERO", BOOL), keyword("CHECKSUM", BOOL))),
      ElementSpec.of("ToIPSummaryDump", "1/0", "a/a", reader(mandatory("FILENAME", STR), keyword("CONTENTS", STR),
          keyword("FIELDS", STR), keyword("BANNER", STR), keyword("VERBOSE", BOOL))),
      // printing and basic packet elements
      ElementSpec.of("Print", "1/1", "a/a", reader(positional("LABEL", STR), positional("MAXLENGTH", INT),
          keyword("LENGTH", INT), keyword("CONTENTS", WORD), keyword("TIMESTAMP", BOOL), keyword("ACTIVE", BOOL))),
      ElementSpec.of("IPPrint", "1/1", "a/a", reader(positional("LABEL", STR), keyword("CONTENTS", WORD),
          keyword("PAYLOAD", BOOL), keyword("MAXLENGTH", INT), keyword("ID", BOOL), keyword("TTL", BOOL),
          keyword("TOS", BOOL), keyword("LENGTH", BOOL), keyword("TIMESTAMP", BOOL), keyword("AGGREGATE", BOOL),
          keyword("PAINT", BOOL), keyword("SWAP", BOOL), keyword("OUTFILE", STR), keyword("ACTIVE", BOOL))),
      ElementSpec.of("Counter", "1/1", "a/a"),
      ElementSpec.of("Tee", "1/1-", "h/h", reader(positional("N", UINT))),
      ElementSpec.of("Paint", "1/1", "a/a", then(reader(mandatory("COLOR", UINT), keyword("ANNO", ANY)),
          atMost(0, "COLOR", 255))),
      ElementSpec.of("PaintSwitch", "1/-", "h/h"),
      ElementSpec.of("PaintTee", "1/2", "h/h", then(reader(mandatory("COLOR", UINT), keyword("ANNO", ANY)),
          atMost(0, "COLOR", 255))),
      ElementSpec.of("Strip", "1/1", "a/a", reader(mandatory("LENGTH", UINT))),
      ElementSpec.of("Unstrip", "1/1", "a/a", reader(mandatory("LENGTH", UINT))),
      ElementSpec.of("Truncate", "1/1", "a/a", reader(mandatory("LENGTH", UINT), keyword("EXTRA_LENGTH", ANY))),
      ElementSpec.of("EtherEncap", "1/1", "a/a", reader(mandatory("ETHERTYPE", UINT), mandatory("SRC", ETH),
          mandatory("DST", ETH))),
      ElementSpec.of("EtherMirror", "1/1", "a/a"),
      // IP header elements
      ElementSpec.of("CheckIPHeader", "1/1-2", "h/h", reader(positional("OFFSET", UINT), keyword("CHECKSUM", BOOL),
          keyword("VERBOSE", BOOL), keyword("BADSRC", ANY), keyword("INTERFACES", ANY), keyword("DETAILS", BOOL))),
      ElementSpec.of("MarkIPHeader", "1/1", "a/a", reader(positional("OFFSET", UINT))),
      ElementSpec.of("SetIPDSCP", "1/1", "a/a", then(reader(mandatory("DSCP", UINT)), atMost(0, "DSCP", 63))),
      ElementSpec.of("DecIPTTL", "1/1-2", "h/h", reader(keyword("ACTIVE", BOOL), keyword("MULTICAST", BOOL))),
      // classification
      ElementSpec.of("Classifier", "1/-", "h/h", ElementTable::checkClassifier),
      ElementSpec.of("IPClassifier", "1/-", "h/h", ElementTable::checkIPClassifier),
      ElementSpec.of("IPFilter", "1/-", "h/h", ElementTable::checkIPFilter),
      // splitting and rate control
      ElementSpec.of("RoundRobinSwitch", "1/1-", "h/h"),
      ElementSpec.of("HashSwitch", "1/1-", "h/h", reader(mandatory("OFFSET", UINT), mandatory("LENGTH", UINT))),
      ElementSpec.of("RatedSplitter", "1/2", "h/h", reader(mandatory("RATE", DOUBLE))),
      ElementSpec.of("BandwidthRatedSplitter", "1/2", "h/h", reader(mandatory("RATE", BANDWIDTH))),
      // ARP
      ElementSpec.of("ARPResponder", "1/1-2", "h/h", atLeast(1, "IP ETH")),
      ElementSpec.of("ARPQuerier", "2/1-2", "h/h", reader(mandatory("IP", IP), mandatory("ETH", ETH),
          keyword("TIMEOUT", TIME), keyword("CAPACITY", UINT))),
      // NAT
      ElementSpec.of("IPRewriter", "1-/1-", "h/h", atLeast(1, "INPUTSPEC")),
      ElementSpec.of("IPRewriterPatterns", "0/0", "a/a"),
      // Mayfly's stateful filter (clickos-images/src/el_firewall.c)
      ElementSpec.of("FlowFirewall", "2/2-3", "h/h", then(reader(keyword("TIMEOUT", TIME),
          keyword("UDP_TIMEOUT", TIME), keyword("ICMP_TIMEOUT", TIME), keyword("CAPACITY", UINT),
          keyword("OFFSET", UINT), keyword("NONIP", BOOL)), ElementTable::flowFirewallLimits))));

  /** The clickos runtime's element set. */
  public static ElementTable standard() {
    return STANDARD;
  }

  // ------------------------------------------------------------------ argument checks

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

  /** FlowFirewall's own limits after its arguments parsed (el_firewall.c fw_conf). */
  static Checked flowFirewallLimits(String conf) {
    List<String> errors = new ArrayList<>();
    for (String a : ClickArgs.split(conf)) {
      int kl = ArgSpec.keywordLength(a);
      String kw = a.substring(0, kl);
      String v = a.substring(kl).strip();
      if (kw.equals("CAPACITY")) {
        long c = IPFilterSyntax.parseUnsigned(v);
        if (c == 0) {
          errors.add("CAPACITY: must be > 0");
        } else if (c > (1 << 24)) {
          errors.add("CAPACITY: at most 16777216");
        }
      } else if (kw.equals("TIMEOUT") && v.matches("[+]?0*\\.?0*(e[+-]?\\d+)? *[a-z]*")) {
        errors.add("TIMEOUT: must be > 0");
      }
    }
    return Checked.errors(errors);
  }

  /** Runs {@code second} only when {@code first} found nothing, as a conf function does. */
  record Then(ArgumentCheck first, ArgumentCheck second) implements ArgumentCheck {

    @Override
    public Checked check(String conf) {
      Checked c = first.check(conf);
      return c.errors().isEmpty() ? second.check(conf) : c;
    }
  }

  static ArgumentCheck then(ArgumentCheck first, ArgumentCheck second) {
    return new Then(first, second);
  }

  /** The runtime-style argument specs of each class of the standard table that has them. */
  public static Map<String, List<ArgSpec>> argSpecs() {
    Map<String, List<ArgSpec>> out = new LinkedHashMap<>();
    for (ElementSpec e : STANDARD.all().values()) {
      ArgumentCheck c = e.arguments();
      while (c instanceof Then t) {
        c = t.first();
      }
      if (c instanceof ArgSpec.Reader r) {
        out.put(e.name(), r.specs());
      }
    }
    return out;
  }

  /** The unsigned argument at {@code position} is at most {@code max}. */
  static ArgumentCheck atMost(int position, String keyword, long max) {
    return conf -> {
      List<String> a = ClickArgs.split(conf);
      if (a.size() > position) {
        String v = a.get(position);
        int kl = ArgSpec.keywordLength(v);
        if (kl > 0 && v.startsWith(keyword)) {
          v = v.substring(kl).strip();
        }
        long x = IPFilterSyntax.parseUnsigned(v);
        if (x > max) {
          return Checked.error(keyword + ": must be between 0 and " + max);
        }
      }
      return Checked.OK;
    };
  }
}
