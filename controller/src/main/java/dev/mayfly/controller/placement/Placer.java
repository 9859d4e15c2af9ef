package dev.mayfly.controller.placement;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the pipeline: every node through the filters (the first rejection is its reason),
 * then the feasible nodes through the ranker of the request's strategy. The chain is
 * assembled here, in {@link #standard(Strategy)}, and nowhere else.
 */
public final class Placer {

  private final List<NodeFilter> filters;
  private final Strategy defaultStrategy;

  public Placer(List<NodeFilter> filters, Strategy defaultStrategy) {
    this.filters = List.copyOf(filters);
    this.defaultStrategy = defaultStrategy;
  }

  /** The production chain: excluded, pinned, health, cordon, labels, capacity. */
  public static Placer standard(Strategy defaultStrategy) {
    return new Placer(List.of(
        new Filters.Excluded(),
        new Filters.Pinned(),
        new Filters.Health(),
        new Filters.Cordon(),
        new Filters.Labels(),
        new Filters.Capacity()), defaultStrategy);
  }

  public Strategy defaultStrategy() {
    return defaultStrategy;
  }

  public Plan place(ClusterView cluster, PlacementRequest request) {
    Map<String, String> rejections = new LinkedHashMap<>();
    Map<String, Double> scores = new LinkedHashMap<>();
    if (request.pinnedNode() != null && cluster.node(request.pinnedNode()).isEmpty()) {
      rejections.put(request.pinnedNode(), "unknown node");
      return new Plan(null, rejections, scores);
    }
    Strategy strategy = request.strategy() != null ? request.strategy() : defaultStrategy;
    NodeRanker ranker = Rankers.of(strategy);
    String best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (NodeView n : cluster.nodes()) {
      Optional<String> reason = Optional.empty();
      for (NodeFilter f : filters) {
        reason = f.reject(n, request);
        if (reason.isPresent()) {
          break;
        }
      }
      if (reason.isPresent()) {
        if (request.pinnedNode() == null || request.pinnedNode().equals(n.name())) {
          rejections.put(n.name(), reason.get());
        }
        continue;
      }
      double s = ranker.score(n, request);
      scores.put(n.name(), s);
      if (s > bestScore) { // strict: ties keep the earlier (name-ordered) node
        bestScore = s;
        best = n.name();
      }
    }
    return new Plan(best, rejections, scores);
  }
}
