package dev.mayfly.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Host facts from /proc: CPUs, memory (/proc/meminfo), load (/proc/loadavg). */
final class NodeProbe {
  private final Path proc;

  NodeProbe(Path proc) {
    this.proc = proc;
  }

  NodeProbe() {
    this(Path.of("/proc"));
  }

  int cpus() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** {total, available} bytes; zeros if /proc/meminfo cannot be read. */
  long[] memory() {
    long total = 0;
    long avail = 0;
    try {
      List<String> lines = Files.readAllLines(proc.resolve("meminfo"));
      for (String l : lines) {
        if (l.startsWith("MemTotal:")) {
          total = kib(l);
        } else if (l.startsWith("MemAvailable:")) {
          avail = kib(l);
        }
      }
    } catch (IOException | RuntimeException e) {
      // leave zeros
    }
    return new long[] {total, avail};
  }

  double load1() {
    try {
      String s = Files.readString(proc.resolve("loadavg")).trim();
      return Double.parseDouble(s.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long kib(String line) {
    String[] f = line.split("\\s+");
    return Long.parseLong(f[1]) * 1024L;
  }
}
