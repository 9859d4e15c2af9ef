package dev.mayfly.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report of {@code ./mayfly bench migrate}: reads the raw samples the edge agent's
 * {@code dev.mayfly.agent.migration.MigrateBench} wrote (one line per migration:
 * {@code flows downtime_ms total_ms checkpoint_bytes}) and writes {@code migrate.json} /
 * {@code migrate.md} with {@code downtime_N} and {@code total_N} per flow count (BENCH.md).
 *
 * <p>Usage: {@code MigrateBench SAMPLES OUT_DIR [key=value params...]}
 */
public final class MigrateBench {
  private MigrateBench() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: MigrateBench SAMPLES OUT_DIR [key=value ...]");
      System.exit(2);
    }
    Map<Integer, List<double[]>> by = new TreeMap<>();
    Map<String, List<Double>> phases = new java.util.LinkedHashMap<>();
    String note = null;
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      if (line.startsWith("#")) {
        note = line.substring(1).trim();
        continue;
      }
      String[] f = line.trim().split("\\s+");
      if (f.length < 4) {
        continue;
      }
      for (int i = 4; i < f.length; i++) {
        int eq = f[i].indexOf('=');
        if (eq > 0) {
          phases.computeIfAbsent("phase_" + f[i].substring(0, eq).toLowerCase() + "_" + f[0],
              k -> new ArrayList<>()).add(Double.parseDouble(f[i].substring(eq + 1)));
        }
      }
      by.computeIfAbsent(Integer.parseInt(f[0]), k -> new ArrayList<>())
          .add(new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])});
    }
    BenchReport r = new BenchReport("migrate");
    for (int i = 2; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq > 0) {
        r.param(args[i].substring(0, eq), args[i].substring(eq + 1));
      }
    }
    if (note != null) {
      r.param("check", note);
    }
    for (var e : by.entrySet()) {
      r.latency("downtime_" + e.getKey(), "ms", column(e.getValue(), 0));
    }
    for (var e : by.entrySet()) {
      r.latency("total_" + e.getKey(), "ms", column(e.getValue(), 1));
    }
    for (var e : by.entrySet()) {
      double[] b = column(e.getValue(), 2);
      r.value("checkpoint_bytes_" + e.getKey(), "bytes", b.length == 0 ? 0 : b[0]);
    }
    for (var e : phases.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      r.latency(e.getKey(), "ms", v);
    }
    r.write(Path.of(args[1]));
  }

  private static double[] column(List<double[]> rows, int k) {
    double[] out = new double[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = rows.get(i)[k];
    }
    java.util.Arrays.sort(out);
    return out;
  }
}
