package dev.mayfly.controller.reconcile;

/** Asks for a reconcile pass soon (after a change was committed). Cheap, coalescing, never blocks. */
public interface ReconcileTrigger {

  void kick();
}
