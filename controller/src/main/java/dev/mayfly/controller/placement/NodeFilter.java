package dev.mayfly.controller.placement;

import java.util.Optional;

/** A feasibility check: a reason when {@code node} cannot take the request, empty when it can. */
public interface NodeFilter {

  Optional<String> reject(NodeView node, PlacementRequest request);
}
