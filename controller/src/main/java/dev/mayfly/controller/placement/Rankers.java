package dev.mayfly.controller.placement;

/** The rankers, one per {@link Strategy}. */
public final class Rankers {

  private Rankers() {}

  /** Prefers the node that is least utilised after placement. */
  public static final class Spread implements NodeRanker {
    @Override
    public double score(NodeView n, PlacementRequest r) {
      return 1.0 - n.utilisationWith(1, r.memoryBytes());
    }
  }

  /** Prefers the node that is most utilised after placement (filters already ensured it fits). */
  public static final class BinPack implements NodeRanker {
    @Override
    public double score(NodeView n, PlacementRequest r) {
      return n.utilisationWith(1, r.memoryBytes());
    }
  }

  public static NodeRanker of(Strategy s) {
    return s == Strategy.BINPACK ? new BinPack() : new Spread();
  }
}
