/**
 * Reconciliation: the {@link dev.mayfly.controller.reconcile.SouthboundEventHandler}
 * records what agents report (node registration, load, command results, guest events,
 * disconnects) and the {@link dev.mayfly.controller.reconcile.Reconciler} compares desired
 * with observed state and (re)sends idempotent commands (guest id + generation) through
 * {@link dev.mayfly.controller.southbound.AgentGateway}; {@link dev.mayfly.controller.reconcile.NodeLiveness}
 * marks nodes whose heartbeats stopped UNREACHABLE.
 */
package dev.mayfly.controller.reconcile;
