package dev.mayfly.migration.flow;

import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a controller needs to persist about one migration, as an immutable record of plain
 * values (strings, enums, instants, longs, lists and a string map), so it maps to JSON (Jackson
 * handles records) or to columns. A restarted controller passes the last stored snapshot to
 * {@link MigrationMachine#resume(MigrationSnapshot, MigrationSteps)}.
 *
 * @param migrationId the migration's id
 * @param guestId the migrating guest
 * @param sourceNode the node the guest runs on before the migration
 * @param targetNode the node it moves to
 * @param state overall state
 * @param phase the phase running or last attempted (null before the first)
 * @param failedPhase the phase that failed or before which the abort came (null if none)
 * @param error why the migration did not succeed (null on success)
 * @param cleanupError set when the migration succeeded but {@link Phase#DESTROY_SOURCE} failed:
 *     the source guest is left paused for the reconciler to remove
 * @param phases the eight phases in order, with timings
 * @param compensations the compensations planned or run, in order (empty on the happy path)
 * @param attributes small string values the steps share (e.g. checkpoint size); never secrets
 * @param createdAt when the machine was created
 * @param updatedAt last change
 * @param finishedAt when it reached a terminal state, else null
 * @param downtimeMicros pause of the source to the end of {@code RESUME} (or of the
 *     {@code RESUME_SOURCE} compensation after a rollback); -1 if unknown or not yet known
 * @param totalMicros start of the first phase to {@code finishedAt}; -1 while running
 * @param recoveries how many times a restarted controller resumed this migration
 */
public record MigrationSnapshot(
    String migrationId,
    String guestId,
    String sourceNode,
    String targetNode,
    MigrationState state,
    Phase phase,
    Phase failedPhase,
    String error,
    String cleanupError,
    List<StepRecord> phases,
    List<StepRecord> compensations,
    Map<String, String> attributes,
    Instant createdAt,
    Instant updatedAt,
    Instant finishedAt,
    long downtimeMicros,
    long totalMicros,
    int recoveries) implements Serializable {

  public MigrationSnapshot {
    phases = List.copyOf(phases);
    compensations = List.copyOf(compensations);
    attributes = Map.copyOf(attributes);
    if (phases.size() != Phase.values().length) {
      throw new IllegalArgumentException("snapshot of migration " + migrationId + " has " + phases.size()
          + " phase records, expected " + Phase.values().length);
    }
    for (int i = 0; i < phases.size(); i++) {
      if (!phases.get(i).step().equals(Phase.values()[i].name())) {
        throw new IllegalArgumentException("snapshot of migration " + migrationId + ": phase record " + i
            + " is " + phases.get(i).step() + ", expected " + Phase.values()[i]);
      }
    }
    for (StepRecord c : compensations) Compensation.valueOf(c.step());
  }

  /** The record of one phase. */
  public StepRecord phase(Phase p) {
    return phases.get(p.ordinal());
  }

  /** The record of one compensation, if it was planned. */
  public Optional<StepRecord> compensation(Compensation c) {
    return compensations.stream().filter(r -> r.step().equals(c.name())).findFirst();
  }

  /** Downtime in milliseconds (fractional), or -1. */
  public double downtimeMillis() {
    return downtimeMicros < 0 ? -1 : downtimeMicros / 1000.0;
  }

  /** Total time in milliseconds (fractional), or -1. */
  public double totalMillis() {
    return totalMicros < 0 ? -1 : totalMicros / 1000.0;
  }
}
