package dev.mayfly.controller.placement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * In-memory cluster for placement tests: holds node views, runs the placer, applies each
 * feasible plan to its bookkeeping (one more guest on the chosen node) and records every
 * plan, like Nomad's scheduler test harness.
 */
final class PlacementHarness {

  private final Map<String, NodeView> nodes = new LinkedHashMap<>();
  private final Placer placer;
  final List<Plan> plans = new ArrayList<>();

  PlacementHarness(Strategy defaultStrategy) {
    this.placer = Placer.standard(defaultStrategy);
  }

  PlacementHarness node(String name, int slots, long memory, Map<String, String> labels) {
    nodes.put(name, new NodeView(name, true, false, 4, memory, slots, 0, 0, labels));
    return this;
  }

  PlacementHarness replace(NodeView n) {
    nodes.put(n.name(), n);
    return this;
  }

  NodeView get(String name) {
    return nodes.get(name);
  }

  Plan place(PlacementRequest r) {
    Plan p = placer.place(new ClusterView(List.copyOf(nodes.values())), r);
    plans.add(p);
    p.chosen().ifPresent(n -> nodes.put(n, nodes.get(n).withOneMore(r.memoryBytes())));
    return p;
  }

  List<String> chosenNodes() {
    return plans.stream().map(p -> p.chosen().orElse("-")).toList();
  }
}
