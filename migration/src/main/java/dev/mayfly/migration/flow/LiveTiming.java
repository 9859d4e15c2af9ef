package dev.mayfly.migration.flow;

import java.util.Objects;

/**
 * The duration of one phase run by the agents themselves during a live migration
 * ({@link MigrationSteps#live}), as they measured it.
 *
 * @param phase the phase (one of {@code PAUSE_SOURCE .. RESUME})
 * @param micros its duration in microseconds, {@code >= 0}
 */
public record LiveTiming(Phase phase, long micros) {
  public LiveTiming {
    Objects.requireNonNull(phase, "phase");
    if (micros < 0) throw new IllegalArgumentException("micros must be >= 0, got " + micros);
    if (!Phase.LIVE.contains(phase)) {
      throw new IllegalArgumentException(phase + " is not run by the agents (live phases: " + Phase.LIVE + ")");
    }
  }

  /** From fractional milliseconds, as agents report them. */
  public static LiveTiming ofMillis(Phase phase, double millis) {
    return new LiveTiming(phase, Math.max(0, Math.round(millis * 1000.0)));
  }
}
