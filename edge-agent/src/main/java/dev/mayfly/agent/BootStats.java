package dev.mayfly.agent;

import java.util.Arrays;

/** Recent boot latencies (last 256 creates) for the heartbeat's p50 / p99. */
final class BootStats {
  private final double[] ring = new double[256];
  private int count;
  private int next;

  synchronized void record(double millis) {
    ring[next] = millis;
    next = (next + 1) % ring.length;
    count = Math.min(count + 1, ring.length);
  }

  /** {p50, p99}, zeros when nothing was recorded. */
  synchronized double[] percentiles() {
    if (count == 0) {
      return new double[] {0, 0};
    }
    double[] s = Arrays.copyOf(ring, count);
    Arrays.sort(s);
    return new double[] {s[(int) Math.ceil(0.50 * count) - 1], s[(int) Math.ceil(0.99 * count) - 1]};
  }
}
