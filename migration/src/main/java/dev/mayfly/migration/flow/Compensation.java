package dev.mayfly.migration.flow;

import java.util.ArrayList;
import java.util.List;

/**
 * Compensating actions. Every one must be idempotent and safe to call when the forward action it
 * undoes did not happen or only half happened (they are re-run after a controller restart).
 */
public enum Compensation {
  /** Point the subscriber's traffic back at the source guest. */
  RESTORE_TRAFFIC_TO_SOURCE,
  /** Unpause the source guest. */
  RESUME_SOURCE,
  /** Destroy whatever exists of the guest on the target (shell, restored guest). */
  DISCARD_TARGET;

  /**
   * The compensations, in order, for a migration whose furthest started phase is {@code reached}
   * ({@code null}: nothing started, nothing to undo). {@link Phase#DESTROY_SOURCE} is past the
   * point of no return and has none.
   */
  public static List<Compensation> plan(Phase reached) {
    List<Compensation> out = new ArrayList<>(3);
    if (reached == null || reached == Phase.DESTROY_SOURCE) return out;
    if (reached.movesTraffic()) out.add(RESTORE_TRAFFIC_TO_SOURCE);
    if (reached.pausesSource()) out.add(RESUME_SOURCE);
    out.add(DISCARD_TARGET);
    return out;
  }
}
