package dev.mayfly.migration.flow;

/**
 * The state of a whole migration.
 *
 * <ul>
 *   <li>{@code PENDING}: created, no phase started;</li>
 *   <li>{@code RUNNING}: forward phases in progress;</li>
 *   <li>{@code SUCCEEDED}: the guest runs on the target (possibly with a {@code cleanupError} if
 *       the source could not be destroyed);</li>
 *   <li>{@code ROLLING_BACK}: a phase failed or an abort came; compensations in progress;</li>
 *   <li>{@code ROLLED_BACK}: the migration did not happen and every compensation succeeded: the
 *       guest runs on the source as before (an API operation reports this as failed, with the
 *       reason in {@code error});</li>
 *   <li>{@code FAILED}: a compensation failed too; the {@code error} says which, and an operator
 *       or the reconciler must look.</li>
 * </ul>
 */
public enum MigrationState {
  PENDING, RUNNING, SUCCEEDED, FAILED, ROLLING_BACK, ROLLED_BACK;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == FAILED || this == ROLLED_BACK;
  }
}
