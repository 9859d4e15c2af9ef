package dev.mayfly.controller.placement;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** An immutable snapshot of the cluster, nodes ordered by name. */
public record ClusterView(List<NodeView> nodes) {

  public ClusterView {
    nodes = nodes.stream().sorted(Comparator.comparing(NodeView::name)).toList();
  }

  /** The same view with one more guest of {@code memoryBytes} on {@code name} (for placing several in a row). */
  public ClusterView withPlacement(String name, long memoryBytes) {
    return new ClusterView(nodes.stream()
        .map(n -> n.name().equals(name) ? n.withOneMore(memoryBytes) : n).toList());
  }

  public Optional<NodeView> node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
  }
}
