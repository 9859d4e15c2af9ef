package dev.mayfly.catalog.click;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link ElementTable#standard()} in step with the element classes the clickos runtime
 * declares in clickos-images/src/el_*.c ({@code .name = "...", .port_count = "...",
 * .processing = "..."}). Skipped when the runtime sources are not in the checkout.
 */
class ClickosElementTableTest {

  private static final Pattern CLASS = Pattern.compile(
      "\\.name\\s*=\\s*\"([^\"]+)\"\\s*,\\s*\\.port_count\\s*=\\s*\"([^\"]*)\"\\s*,\\s*\\.processing\\s*=\\s*\"([^\"]*)\"");

  static Map<String, String[]> runtimeClasses() throws IOException {
    String base = System.getProperty("basedir", System.getProperty("user.dir"));
    Path src = Path.of(base).resolve("../clickos-images/src").normalize();
    Map<String, String[]> out = new TreeMap<>();
    if (!Files.isDirectory(src)) {
      return out;
    }
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : files.filter(p -> p.getFileName().toString().matches("el_.*\\.c")).sorted().toList()) {
        Matcher m = CLASS.matcher(Files.readString(f));
        while (m.find()) {
          out.put(m.group(1), new String[] {m.group(2), m.group(3), f.getFileName().toString()});
        }
      }
    }
    return out;
  }

  @Test
  void portCountsAndProcessingMatchTheRuntime() throws IOException {
    Map<String, String[]> rt = runtimeClasses();
    assumeTrue(!rt.isEmpty(), "clickos-images/src/el_*.c not found");
    List<String> mismatches = new ArrayList<>();
    for (Map.Entry<String, String[]> e : rt.entrySet()) {
      ElementSpec spec = ElementTable.standard().lookup(e.getKey()).orElse(null);
      String[] v = e.getValue();
      if (spec == null) {
        mismatches.add(e.getKey() + " (" + v[2] + ") is not in the element table");
        continue;
      }
      if (!PortCount.parse(v[0]).equals(spec.portCount())) {
        mismatches.add(e.getKey() + ": port count " + spec.portCount() + ", runtime " + v[0] + " (" + v[2] + ")");
      }
      if (!v[1].equals(spec.processing())) {
        mismatches.add(e.getKey() + ": processing " + spec.processing() + ", runtime " + v[1] + " (" + v[2] + ")");
      }
    }
    assertThat(mismatches).isEmpty();
  }

  private static final Pattern CONFIGURE = Pattern.compile(
      "\\.name\\s*=\\s*\"([^\"]+)\"[^}]*?\\.configure\\s*=\\s*([a-z_0-9]+)", Pattern.DOTALL);

  /** Each class's configure function body, from the runtime sources. */
  static Map<String, String> configureBodies() throws IOException {
    String base = System.getProperty("basedir", System.getProperty("user.dir"));
    Path src = Path.of(base).resolve("../clickos-images/src").normalize();
    Map<String, String> out = new TreeMap<>();
    if (!Files.isDirectory(src)) {
      return out;
    }
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : files.filter(p -> p.getFileName().toString().matches("el_.*\\.c")).toList()) {
        String text = Files.readString(f);
        Matcher m = CONFIGURE.matcher(text);
        while (m.find()) {
          Matcher fn = Pattern.compile("static int " + m.group(2) + "\\(Element[^)]*\\)\\s*\\{").matcher(text);
          if (fn.find()) {
            int end = text.indexOf("\n}\n", fn.end());
            out.put(m.group(1), text.substring(fn.end(), end < 0 ? text.length() : end));
          }
        }
      }
    }
    return out;
  }

  /**
   * Every argument the table reads is declared the same way by the runtime's configure
   * function ({@code {"KEYWORD", A_TYPE, FLAGS}}). Arguments the runtime added later are
   * fine: the validator leaves unknown keywords to the runtime.
   */
  @Test
  void argumentSpecsMatchTheRuntime() throws Exception {
    Map<String, String> bodies = configureBodies();
    assumeTrue(!bodies.isEmpty(), "clickos-images/src/el_*.c not found");
    List<String> mismatches = new ArrayList<>();
    int checked = 0;
    for (ElementSpec spec : ElementTable.standard().all().values()) {
      for (ArgSpec a : argSpecsOf(spec)) {
        String body = bodies.get(spec.name());
        String flags = a.positional() ? (a.mandatory() ? "A_POSITIONAL | A_MANDATORY" : "A_POSITIONAL") : "0";
        String type = "A_" + a.type().name();
        Matcher m = Pattern.compile("\\{\"" + a.keyword() + "\",\\s*([^,]+),\\s*([^,]+),").matcher(body == null ? "" : body);
        boolean found = false;
        List<String> seen = new ArrayList<>();
        while (m.find()) {
          String t = m.group(1).strip();
          boolean typeOk = t.equals(type) || t.contains("? " + type + " :") || t.endsWith(": " + type);
          seen.add(t + " " + m.group(2).strip());
          if (typeOk && m.group(2).strip().equals(flags)) {
            found = true;
          }
        }
        checked++;
        if (!found) {
          mismatches.add(spec.name() + " " + a + ": runtime has " + (seen.isEmpty() ? "no such argument" : seen));
        }
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(checked).isGreaterThan(50);
  }

  /** The ArgSpecs behind an element's argument check (probing its reader). */
  static List<ArgSpec> argSpecsOf(ElementSpec spec) {
    return ARGS.getOrDefault(spec.name(), List.of());
  }

  static final Map<String, List<ArgSpec>> ARGS = ElementTable.argSpecs();

  @Test
  void everyTableClassExistsInTheRuntime() throws IOException {
    Map<String, String[]> rt = runtimeClasses();
    assumeTrue(!rt.isEmpty(), "clickos-images/src/el_*.c not found");
    assertThat(rt.keySet()).containsAll(ElementTable.standard().all().keySet());
  }
}
