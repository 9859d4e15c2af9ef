package dev.mayfly.controller.placement;

import java.util.Map;
import java.util.Set;

/**
 * What is being placed.
 *
 * @param memoryBytes memory the guest needs
 * @param labels labels the node must carry (key = value)
 * @param strategy ranking; null means the placer's default
 * @param pinnedNode only this node is considered (filters still apply); null for any
 * @param excludedNodes never these nodes (e.g. the node being drained)
 */
public record PlacementRequest(
    long memoryBytes,
    Map<String, String> labels,
    Strategy strategy,
    String pinnedNode,
    Set<String> excludedNodes) {

  public PlacementRequest {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    excludedNodes = excludedNodes == null ? Set.of() : Set.copyOf(excludedNodes);
  }

  public static PlacementRequest of(long memoryBytes) {
    return new PlacementRequest(memoryBytes, Map.of(), null, null, Set.of());
  }
}
