package dev.mayfly.controller.placement;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of placement: the chosen node, if any, and for every node that was not
 * feasible the reason why (in node-name order). {@code scores} holds the ranker's score
 * of each feasible node.
 */
public record Plan(String node, Map<String, String> rejections, Map<String, Double> scores) {

  public Plan {
    rejections = Collections.unmodifiableMap(new LinkedHashMap<>(rejections));
    scores = Collections.unmodifiableMap(new LinkedHashMap<>(scores));
  }

  public Optional<String> chosen() {
    return Optional.ofNullable(node);
  }

  public boolean feasible() {
    return node != null;
  }
}
