package dev.mayfly.controller.placement;

/** Scores a feasible node; the highest score wins, ties go to the first name. */
public interface NodeRanker {

  double score(NodeView node, PlacementRequest request);
}
