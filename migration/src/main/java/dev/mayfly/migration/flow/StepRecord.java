package dev.mayfly.migration.flow;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;

/**
 * Timing and outcome of one phase or compensation.
 *
 * @param step the {@link Phase} or {@link Compensation} name
 * @param status where it stands
 * @param startedAt when it started, or null
 * @param endedAt when it ended, or null
 * @param micros duration in microseconds once ended, else -1
 * @param error why it failed, or null
 */
public record StepRecord(String step, StepStatus status, Instant startedAt, Instant endedAt, long micros, String error)
    implements Serializable {

  static StepRecord pending(String step) {
    return new StepRecord(step, StepStatus.PENDING, null, null, -1, null);
  }

  StepRecord started(Instant at) {
    return new StepRecord(step, StepStatus.RUNNING, at, null, -1, null);
  }

  StepRecord ended(Instant at, String failure) {
    Instant from = startedAt == null ? at : startedAt;
    return new StepRecord(step, failure == null ? StepStatus.SUCCEEDED : StepStatus.FAILED, from, at,
        micros(from, at), failure);
  }

  StepRecord skipped() {
    return new StepRecord(step, StepStatus.SKIPPED, null, null, -1, null);
  }

  /** Duration in milliseconds (fractional), or -1 if not ended. */
  public double millis() {
    return micros < 0 ? -1 : micros / 1000.0;
  }

  static long micros(Instant from, Instant to) {
    Duration d = Duration.between(from, to);
    return Math.max(0, d.getSeconds() * 1_000_000L + d.getNano() / 1000);
  }
}
