package dev.mayfly.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacerTest {

  private static final long MIB = 1L << 20;

  @Test
  void spreadAlternatesBetweenEqualNodes() {
    PlacementHarness h = new PlacementHarness(Strategy.SPREAD)
        .node("a", 10, 1024 * MIB, Map.of()).node("b", 10, 1024 * MIB, Map.of());
    for (int i = 0; i < 4; i++) {
      h.place(PlacementRequest.of(8 * MIB));
    }
    assertThat(h.chosenNodes()).containsExactly("a", "b", "a", "b");
  }

  @Test
  void binpackFillsOneNodeFirstThenMovesOn() {
    PlacementHarness h = new PlacementHarness(Strategy.BINPACK)
        .node("a", 2, 1024 * MIB, Map.of()).node("b", 2, 1024 * MIB, Map.of());
    for (int i = 0; i < 5; i++) {
      h.place(PlacementRequest.of(8 * MIB));
    }
    assertThat(h.chosenNodes()).containsExactly("a", "a", "b", "b", "-");
    Plan last = h.plans.get(4);
    assertThat(last.feasible()).isFalse();
    assertThat(last.rejections()).containsOnlyKeys("a", "b");
    assertThat(last.rejections().get("a")).contains("no free guest slot (2/2)");
  }

  @Test
  void requestStrategyOverridesDefault() {
    PlacementHarness h = new PlacementHarness(Strategy.SPREAD)
        .node("a", 10, 0, Map.of()).node("b", 10, 0, Map.of());
    PlacementRequest binpack = new PlacementRequest(MIB, Map.of(), Strategy.BINPACK, null, Set.of());
    h.place(binpack);
    h.place(binpack);
    assertThat(h.chosenNodes()).containsExactly("a", "a");
  }

  @Test
  void everyFilterGivesItsReason() {
    PlacementHarness h = new PlacementHarness(Strategy.SPREAD)
        .replace(new NodeView("down", false, false, 4, 1024 * MIB, 10, 0, 0, Map.of("zone", "x")))
        .replace(new NodeView("cord", true, true, 4, 1024 * MIB, 10, 0, 0, Map.of("zone", "x")))
        .replace(new NodeView("full", true, false, 4, 1024 * MIB, 1, 1, 0, Map.of("zone", "x")))
        .replace(new NodeView("small", true, false, 4, 4 * MIB, 10, 0, 0, Map.of("zone", "x")))
        .replace(new NodeView("other", true, false, 4, 1024 * MIB, 10, 0, 0, Map.of("zone", "y")))
        .replace(new NodeView("drained", true, false, 4, 1024 * MIB, 10, 0, 0, Map.of("zone", "x")))
        .replace(new NodeView("ok", true, false, 4, 1024 * MIB, 10, 0, 0, Map.of("zone", "x")));
    Plan p = h.place(new PlacementRequest(8 * MIB, Map.of("zone", "x"), null, null, Set.of("drained")));
    assertThat(p.chosen()).contains("ok");
    assertThat(p.rejections()).containsOnlyKeys("down", "cord", "full", "small", "other", "drained");
    assertThat(p.rejections().get("down")).isEqualTo("unreachable");
    assertThat(p.rejections().get("cord")).isEqualTo("cordoned");
    assertThat(p.rejections().get("full")).startsWith("no free guest slot");
    assertThat(p.rejections().get("small")).startsWith("not enough memory");
    assertThat(p.rejections().get("other")).isEqualTo("label zone=x not matched (has y)");
    assertThat(p.rejections().get("drained")).startsWith("excluded");
    assertThat(p.scores()).containsOnlyKeys("ok");
  }

  @Test
  void pinnedNodeIsTheOnlyCandidateAndFiltersStillApply() {
    PlacementHarness h = new PlacementHarness(Strategy.SPREAD)
        .node("a", 10, 0, Map.of()).node("b", 10, 0, Map.of())
        .replace(new NodeView("c", true, true, 4, 0, 10, 0, 0, Map.of()));
    assertThat(h.place(new PlacementRequest(MIB, Map.of(), null, "b", Set.of())).chosen()).contains("b");
    assertThat(h.place(new PlacementRequest(MIB, Map.of(), null, "b", Set.of())).chosen()).contains("b");
    Plan cordoned = h.place(new PlacementRequest(MIB, Map.of(), null, "c", Set.of()));
    assertThat(cordoned.feasible()).isFalse();
    assertThat(cordoned.rejections()).containsExactly(Map.entry("c", "cordoned"));
    Plan unknown = h.place(new PlacementRequest(MIB, Map.of(), null, "zz", Set.of()));
    assertThat(unknown.rejections()).containsExactly(Map.entry("zz", "unknown node"));
  }

  @Test
  void emptyClusterIsInfeasibleWithNoReasons() {
    Plan p = new PlacementHarness(Strategy.SPREAD).place(PlacementRequest.of(MIB));
    assertThat(p.feasible()).isFalse();
    assertThat(p.rejections()).isEmpty();
  }

  @Test
  void memoryIsAccountedAcrossPlacements() {
    PlacementHarness h = new PlacementHarness(Strategy.SPREAD).node("a", 100, 20 * MIB, Map.of());
    h.place(PlacementRequest.of(8 * MIB));
    h.place(PlacementRequest.of(8 * MIB));
    Plan third = h.place(PlacementRequest.of(8 * MIB));
    assertThat(third.feasible()).isFalse();
    assertThat(h.get("a").memoryAllocatedBytes()).isEqualTo(16 * MIB);
  }
}
