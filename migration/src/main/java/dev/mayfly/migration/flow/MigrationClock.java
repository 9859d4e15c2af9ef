package dev.mayfly.migration.flow;

import java.time.Instant;

/** Time source of a migration's timings. */
@FunctionalInterface
public interface MigrationClock {
  Instant now();

  /**
   * Wall-clock anchored once, advanced by {@link System#nanoTime()}: monotonic and with
   * nanosecond resolution within a process, so phase durations are exact and never negative.
   */
  static MigrationClock monotonic() {
    Instant base = Instant.now();
    long baseNanos = System.nanoTime();
    return () -> base.plusNanos(System.nanoTime() - baseNanos);
  }
}
