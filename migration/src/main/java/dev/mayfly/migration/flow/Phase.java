package dev.mayfly.migration.flow;

/** The forward phases of a migration, in execution order. */
public enum Phase {
  /** Take (or cold-create) a guest shell on the target node for the guest's NF type. */
  PREPARE_TARGET,
  /** Pause the guest on the source node. Downtime starts here. */
  PAUSE_SOURCE,
  /** Checkpoint the paused source guest into an {@code MFCK} checkpoint. */
  CHECKPOINT,
  /** Stream the checkpoint from the source agent to the target agent. */
  TRANSFER,
  /** Restore the checkpoint into the prepared shell on the target (left paused). */
  RESTORE_TARGET,
  /** Move the subscriber's traffic (attachment) from the source guest to the target guest. */
  MOVE_TRAFFIC,
  /** Resume the guest on the target. Downtime ends here; this is the point of no return. */
  RESUME,
  /** Destroy the (paused) guest on the source. Cleanup: a failure here does not roll back. */
  DESTROY_SOURCE;

  /**
   * The phases a live migration ({@link MigrationSteps#live}) runs agent to agent with one
   * command, in order: {@code PAUSE_SOURCE .. RESUME}, i.e. the whole downtime.
   */
  public static final java.util.List<Phase> LIVE = java.util.List.of(PAUSE_SOURCE, CHECKPOINT, TRANSFER,
      RESTORE_TARGET, MOVE_TRAFFIC, RESUME);

  /** True once the source guest may be paused, i.e. for this phase and all after it. */
  public boolean pausesSource() {
    return compareTo(PAUSE_SOURCE) >= 0;
  }

  /** True for the phases after which traffic may be pointing at the target. */
  public boolean movesTraffic() {
    return compareTo(MOVE_TRAFFIC) >= 0;
  }
}
