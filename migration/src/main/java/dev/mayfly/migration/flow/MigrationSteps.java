package dev.mayfly.migration.flow;

/**
 * What a migration does, implemented by the controller (which sends commands to the agents) or
 * by an agent (for the phases it runs locally). Each method blocks until its action is done (or
 * throws); it should enforce its own timeout and answer {@link InterruptedException} promptly,
 * since {@link MigrationMachine#abort(String)} interrupts the running forward phase.
 *
 * <p>Forward methods are called at most once per migration in one process, but a restarted
 * controller may call the interrupted one again (roll forward, see docs/migration.md): make them
 * idempotent on (migration id, guest id). Compensations must be idempotent and tolerate a forward
 * action that never happened or only half happened.
 */
public interface MigrationSteps {
  void prepareTarget(MigrationContext ctx) throws Exception;

  /**
   * Whether this migration runs its downtime live: {@link #live} instead of the six calls
   * {@code pauseSource .. resumeTarget}. Asked once, after {@code PREPARE_TARGET} succeeded.
   * Default false.
   */
  default boolean runsLive(MigrationContext ctx) {
    return false;
  }

  /**
   * Runs {@code PAUSE_SOURCE .. RESUME} ({@link Phase#LIVE}) as one sequence driven agent to
   * agent (the source pauses and checkpoints, streams to the target, which imports the state into
   * the guest it booted during {@code PREPARE_TARGET} and takes the traffic over), so no round trip
   * to the caller happens inside the downtime. Returns the agents' timing of each of the six
   * phases, in order; the machine records them as the phases' durations and the downtime as
   * their sum. On failure throw a {@link LiveMigrationException} naming the failed phase and the
   * phases completed before it (any other exception counts as a failure at {@code PAUSE_SOURCE}).
   * Called only if {@link #runsLive} said so.
   */
  default java.util.List<LiveTiming> live(MigrationContext ctx) throws Exception {
    throw new UnsupportedOperationException("live migration is not implemented by " + getClass().getName());
  }


  void pauseSource(MigrationContext ctx) throws Exception;

  void checkpoint(MigrationContext ctx) throws Exception;

  void transfer(MigrationContext ctx) throws Exception;

  void restoreTarget(MigrationContext ctx) throws Exception;

  void moveTraffic(MigrationContext ctx) throws Exception;

  /** Phase {@link Phase#RESUME}: unpause the restored guest on the target. */
  void resumeTarget(MigrationContext ctx) throws Exception;

  void destroySource(MigrationContext ctx) throws Exception;

  /** Compensation: destroy whatever exists of the guest on the target. */
  void discardTarget(MigrationContext ctx) throws Exception;

  /** Compensation: unpause the source guest (a no-op if it runs). */
  void resumeSource(MigrationContext ctx) throws Exception;

  /** Compensation: point the subscriber's traffic back at the source guest. */
  void restoreTrafficToSource(MigrationContext ctx) throws Exception;
}
