package dev.mayfly.controller.placement;

import java.util.Map;

/**
 * What placement knows about one node. {@code guests} and {@code memoryAllocatedBytes}
 * are the controller's own bookkeeping (instances assigned to the node), not the agent's
 * report, so two placements in a row see each other.
 */
public record NodeView(
    String name,
    boolean reachable,
    boolean cordoned,
    int cpus,
    long memoryBytes,
    int guestSlots,
    int guests,
    long memoryAllocatedBytes,
    Map<String, String> labels) {

  public NodeView {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** Fraction of the node in use after adding {@code extraGuests} and {@code extraMemory}: max of slots and memory. */
  public double utilisationWith(int extraGuests, long extraMemory) {
    double slots = guestSlots > 0 ? (double) (guests + extraGuests) / guestSlots : 0;
    double mem = memoryBytes > 0 ? (double) (memoryAllocatedBytes + extraMemory) / memoryBytes : 0;
    return Math.max(slots, mem);
  }

  public NodeView withOneMore(long memory) {
    return new NodeView(name, reachable, cordoned, cpus, memoryBytes, guestSlots, guests + 1,
        memoryAllocatedBytes + memory, labels);
  }
}
