package dev.mayfly.controller.placement;

import java.util.Map;
import java.util.Optional;

/** The feasibility filters, each one small rule. */
public final class Filters {

  private Filters() {}

  /** Nodes the request excludes (drain). */
  public static final class Excluded implements NodeFilter {
    @Override
    public Optional<String> reject(NodeView n, PlacementRequest r) {
      return r.excludedNodes().contains(n.name()) ? Optional.of("excluded (being drained)") : Optional.empty();
    }
  }

  /** When a node is requested by name, every other node is out. */
  public static final class Pinned implements NodeFilter {
    @Override
    public Optional<String> reject(NodeView n, PlacementRequest r) {
      return r.pinnedNode() != null && !r.pinnedNode().equals(n.name())
          ? Optional.of("not the requested node") : Optional.empty();
    }
  }

  /** Only nodes with a live agent (status READY, CORDONED or DRAINING count as reachable). */
  public static final class Health implements NodeFilter {
    @Override
    public Optional<String> reject(NodeView n, PlacementRequest r) {
      return n.reachable() ? Optional.empty() : Optional.of("unreachable");
    }
  }

  /** Cordoned (and draining) nodes take no new instances. */
  public static final class Cordon implements NodeFilter {
    @Override
    public Optional<String> reject(NodeView n, PlacementRequest r) {
      return n.cordoned() ? Optional.of("cordoned") : Optional.empty();
    }
  }

  /** Guest slots and memory, against what the controller already placed there. */
  public static final class Capacity implements NodeFilter {
    @Override
    public Optional<String> reject(NodeView n, PlacementRequest r) {
      if (n.guests() >= n.guestSlots()) {
        return Optional.of("no free guest slot (" + n.guests() + "/" + n.guestSlots() + ")");
      }
      if (n.memoryBytes() > 0 && n.memoryAllocatedBytes() + r.memoryBytes() > n.memoryBytes()) {
        return Optional.of("not enough memory (" + (n.memoryBytes() - n.memoryAllocatedBytes())
            + " bytes free, " + r.memoryBytes() + " needed)");
      }
      return Optional.empty();
    }
  }

  /** Every requested label must be present with the same value. */
  public static final class Labels implements NodeFilter {
    @Override
    public Optional<String> reject(NodeView n, PlacementRequest r) {
      for (Map.Entry<String, String> e : r.labels().entrySet()) {
        String have = n.labels().get(e.getKey());
        if (!e.getValue().equals(have)) {
          return Optional.of("label " + e.getKey() + "=" + e.getValue() + " not matched"
              + (have == null ? " (absent)" : " (has " + have + ")"));
        }
      }
      return Optional.empty();
    }
  }
}
