package dev.mayfly.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a benchmark report in the format of bench/README.md: {@code NAME.json} for
 * scripts and {@code NAME.md} for people. Metric names are stable once published.
 */
public final class BenchReport {

  /** One latency distribution or single figure. */
  public record Metric(String name, String unit, long n, double p50, double p90, double p99,
      double max, Double value) {

    static Metric ofSamples(String name, String unit, double[] samples) {
      double[] s = samples.clone();
      Arrays.sort(s);
      return new Metric(name, unit, s.length, pct(s, 50), pct(s, 90), pct(s, 99),
          s.length == 0 ? 0 : s[s.length - 1], null);
    }

    static Metric ofValue(String name, String unit, double value) {
      return new Metric(name, unit, 0, 0, 0, 0, 0, value);
    }

    boolean single() {
      return value != null;
    }
  }

  private final String bench;
  private final Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private final Map<String, Object> params = new LinkedHashMap<>();
  private final List<Metric> metrics = new ArrayList<>();
  private final List<Metric> peers = new ArrayList<>();
  private final List<String[]> ratios = new ArrayList<>(); // name, p50, p99 (or value)

  public BenchReport(String bench) {
    this.bench = bench;
  }

  /** Nearest-rank percentile of a sorted array. */
  public static double pct(double[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public BenchReport param(String key, Object value) {
    params.put(key, value);
    return this;
  }

  public Metric latency(String name, String unit, double[] samples) {
    Metric m = Metric.ofSamples(name, unit, samples);
    metrics.add(m);
    return m;
  }

  public Metric value(String name, String unit, double value) {
    Metric m = Metric.ofValue(name, unit, value);
    metrics.add(m);
    return m;
  }

  public Metric peerLatency(String name, String unit, double[] samples) {
    Metric m = Metric.ofSamples(name, unit, samples);
    peers.add(m);
    return m;
  }

  public void ratio(String name, Metric numerator, Metric denominator) {
    if (numerator.single()) {
      ratios.add(new String[] {name, null, null, num(numerator.value() / denominator.value())});
    } else {
      ratios.add(new String[] {name, num(numerator.p50() / denominator.p50()),
          num(numerator.p99() / denominator.p99()), null});
    }
  }

  List<Metric> metrics() {
    return metrics;
  }

  static String num(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return "null";
    }
    return String.format(Locale.ROOT, "%.4g", d).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2")
        .replaceAll("\\.(e|$)", "$1");
  }

  private static String str(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static String json(Object v) {
    if (v instanceof Number n) {
      return num(n.doubleValue());
    }
    if (v instanceof Boolean) {
      return v.toString();
    }
    return str(String.valueOf(v));
  }

  private static String metricJson(Metric m) {
    if (m.single()) {
      return String.format("{\"name\": %s, \"unit\": %s, \"value\": %s}", str(m.name()),
          str(m.unit()), num(m.value()));
    }
    return String.format(
        "{\"name\": %s, \"unit\": %s, \"n\": %d, \"p50\": %s, \"p90\": %s, \"p99\": %s, \"max\": %s}",
        str(m.name()), str(m.unit()), m.n(), num(m.p50()), num(m.p90()), num(m.p99()),
        num(m.max()));
  }

  public String toJson() {
    StringBuilder b = new StringBuilder("{\n");
    b.append("  \"bench\": ").append(str(bench)).append(",\n");
    b.append("  \"started\": ").append(str(started.toString())).append(",\n");
    b.append("  \"host\": ").append(hostJson()).append(",\n");
    b.append("  \"params\": {");
    int i = 0;
    for (var e : params.entrySet()) {
      b.append(i++ == 0 ? "" : ", ").append(str(e.getKey())).append(": ").append(json(e.getValue()));
    }
    b.append("},\n");
    b.append("  \"metrics\": [\n");
    appendList(b, metrics);
    b.append("  ],\n  \"peers\": [\n");
    appendList(b, peers);
    b.append("  ],\n  \"ratios\": [\n");
    for (int r = 0; r < ratios.size(); r++) {
      String[] x = ratios.get(r);
      b.append("    {\"name\": ").append(str(x[0]));
      if (x[3] != null) {
        b.append(", \"value\": ").append(x[3]);
      } else {
        b.append(", \"p50\": ").append(x[1]).append(", \"p99\": ").append(x[2]);
      }
      b.append(r + 1 < ratios.size() ? "},\n" : "}\n");
    }
    b.append("  ]\n}\n");
    return b.toString();
  }

  private static void appendList(StringBuilder b, List<Metric> list) {
    for (int i = 0; i < list.size(); i++) {
      b.append("    ").append(metricJson(list.get(i))).append(i + 1 < list.size() ? ",\n" : "\n");
    }
  }

  private static String hostJson() {
    long memBytes = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          memBytes = Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      memBytes = 0;
    }
    String kernel = System.getProperty("os.version");
    return String.format("{\"cpus\": %d, \"mem_gib\": %d, \"kernel\": %s, \"java\": %s}",
        Runtime.getRuntime().availableProcessors(), Math.round(memBytes / (1024.0 * 1024 * 1024)),
        str(kernel), str(System.getProperty("java.version")));
  }

  public String toMarkdown() {
    StringBuilder b = new StringBuilder();
    b.append("# bench ").append(bench).append("\n\n");
    b.append("Started ").append(started).append(" on ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cpus, kernel ")
        .append(System.getProperty("os.version")).append(", Java ")
        .append(System.getProperty("java.version")).append(" (")
        .append(ManagementFactory.getRuntimeMXBean().getVmName()).append(").\n\n");
    if (!params.isEmpty()) {
      b.append("Parameters: ");
      params.forEach((k, v) -> b.append('`').append(k).append('=').append(v).append("` "));
      b.append("\n\n");
    }
    table(b, "Metrics", metrics);
    table(b, "Peers (same run)", peers);
    if (!ratios.isEmpty()) {
      b.append("## Ratios\n\n| ratio | p50 | p99 | value |\n|---|---|---|---|\n");
      for (String[] r : ratios) {
        b.append("| ").append(r[0]).append(" | ").append(r[1] == null ? "" : r[1]).append(" | ")
            .append(r[2] == null ? "" : r[2]).append(" | ").append(r[3] == null ? "" : r[3])
            .append(" |\n");
      }
    }
    return b.toString();
  }

  private static void table(StringBuilder b, String title, List<Metric> list) {
    if (list.isEmpty()) {
      return;
    }
    b.append("## ").append(title).append("\n\n| name | unit | n | p50 | p90 | p99 | max | value |\n")
        .append("|---|---|---|---|---|---|---|---|\n");
    for (Metric m : list) {
      if (m.single()) {
        b.append(String.format("| %s | %s | | | | | | %s |%n", m.name(), m.unit(), num(m.value())));
      } else {
        b.append(String.format("| %s | %s | %d | %s | %s | %s | %s | |%n", m.name(), m.unit(),
            m.n(), num(m.p50()), num(m.p90()), num(m.p99()), num(m.max())));
      }
    }
    b.append('\n');
  }

  /** Writes {@code dir/BENCH.json} and {@code dir/BENCH.md}. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(bench + ".json"), toJson(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(bench + ".md"), toMarkdown(), StandardCharsets.UTF_8);
  }
}
