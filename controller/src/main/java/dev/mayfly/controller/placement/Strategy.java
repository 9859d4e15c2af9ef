package dev.mayfly.controller.placement;

/** How feasible nodes are ranked. */
public enum Strategy {
  /** least utilised node first: spreads load and failure impact */
  SPREAD,
  /** most utilised node that still fits first: keeps other nodes empty */
  BINPACK
}
