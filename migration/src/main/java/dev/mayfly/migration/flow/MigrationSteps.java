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
