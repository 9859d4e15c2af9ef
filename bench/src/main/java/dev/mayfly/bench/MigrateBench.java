package dev.mayfly.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report of {@code ./mayfly bench migrate}: reads the raw samples the edge agent's
 * {@code dev.mayfly.agent.migration.MigrateBench} wrote (one line per migration:
 * {@code MODE flows downtime_ms total_ms checkpoint_bytes PHASE=ms ...}, MODE {@code live} or
 * {@code stopcopy}) and writes {@code migrate.json} / {@code migrate.md} (BENCH.md): for the live
 * path {@code downtime_N}, {@code total_N}, {@code checkpoint_bytes_N} and {@code phase_<phase>_N};
 * the stop-and-copy path measured in the same run as peers {@code stopcopy_downtime_N},
 * {@code stopcopy_total_N}, and the ratios {@code stopcopy_downtime_N/downtime_N},
 * {@code stopcopy_total_N/total_N}.
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
    Map<String, Map<Integer, List<double[]>>> byMode = new LinkedHashMap<>();
    Map<String, List<Double>> phases = new LinkedHashMap<>();
    String note = null;
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      if (line.startsWith("#")) {
        note = line.substring(1).trim();
        continue;
      }
      String[] f = line.trim().split("\\s+");
      if (f.length < 5) {
        continue;
      }
      String mode = f[0];
      if (mode.equals("live")) {
        for (int i = 5; i < f.length; i++) {
          int eq = f[i].indexOf('=');
          if (eq > 0) {
            phases.computeIfAbsent("phase_" + f[i].substring(0, eq).toLowerCase() + "_" + f[1],
                k -> new ArrayList<>()).add(Double.parseDouble(f[i].substring(eq + 1)));
          }
        }
      }
      byMode.computeIfAbsent(mode, k -> new TreeMap<>()).computeIfAbsent(Integer.parseInt(f[1]),
          k -> new ArrayList<>()).add(new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3]),
              Double.parseDouble(f[4])});
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
    Map<Integer, List<double[]>> live = byMode.getOrDefault("live", Map.of());
    Map<Integer, List<double[]>> peer = byMode.getOrDefault("stopcopy", Map.of());
    Map<String, BenchReport.Metric> m = new LinkedHashMap<>();
    for (var e : live.entrySet()) {
      m.put("downtime_" + e.getKey(), r.latency("downtime_" + e.getKey(), "ms", column(e.getValue(), 0)));
    }
    for (var e : live.entrySet()) {
      m.put("total_" + e.getKey(), r.latency("total_" + e.getKey(), "ms", column(e.getValue(), 1)));
    }
    for (var e : live.entrySet()) {
      double[] b = column(e.getValue(), 2);
      r.value("checkpoint_bytes_" + e.getKey(), "bytes", b.length == 0 ? 0 : b[0]);
    }
    for (var e : phases.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      r.latency(e.getKey(), "ms", v);
    }
    for (var e : peer.entrySet()) {
      int n = e.getKey();
      BenchReport.Metric d = r.peerLatency("stopcopy_downtime_" + n, "ms", column(e.getValue(), 0));
      BenchReport.Metric t = r.peerLatency("stopcopy_total_" + n, "ms", column(e.getValue(), 1));
      if (m.containsKey("downtime_" + n)) {
        r.ratio("stopcopy_downtime_" + n + "/downtime_" + n, d, m.get("downtime_" + n));
        r.ratio("stopcopy_total_" + n + "/total_" + n, t, m.get("total_" + n));
      }
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
