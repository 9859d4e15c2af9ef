package dev.mayfly.migration.flow;

import java.util.List;
import java.util.Objects;

/**
 * A live migration ({@link MigrationSteps#live}) failed at {@link #phase()} after the phases in
 * {@link #completed()} succeeded. The machine records both and rolls back with the plan for the
 * failed phase (the source agent has normally resumed its guest already; the compensations are
 * idempotent).
 */
public class LiveMigrationException extends Exception {
  private final Phase phase;
  private final List<LiveTiming> completed;

  public LiveMigrationException(Phase phase, List<LiveTiming> completed, String message, Throwable cause) {
    super(message, cause);
    this.phase = Objects.requireNonNull(phase, "phase");
    this.completed = List.copyOf(completed);
  }

  public LiveMigrationException(Phase phase, List<LiveTiming> completed, String message) {
    this(phase, completed, message, null);
  }

  /** The phase that failed (one of {@link Phase#LIVE}). */
  public Phase phase() {
    return phase;
  }

  /** The phases that succeeded before it, in order, with their durations. */
  public List<LiveTiming> completed() {
    return completed;
  }
}
