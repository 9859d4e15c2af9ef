package dev.mayfly.controller.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeDiffTest {

  record Item(String id, String state) {}

  private final ChangeDiff<Item> diff = new ChangeDiff<>("thing", "thing-removed", Item::id);

  @Test
  void firstSnapshotOnlyPrimes() {
    assertThat(diff.next(List.of(new Item("a", "UP")), true)).isEmpty();
  }

  @Test
  void reportsNewChangedAndRemovedItems() {
    diff.next(List.of(new Item("a", "UP"), new Item("b", "UP")), true);
    List<MayflyEvent> events = diff.next(List.of(new Item("a", "DOWN"), new Item("c", "UP")), true);
    assertThat(events).containsExactly(
        new MayflyEvent("thing", new Item("a", "DOWN")),
        new MayflyEvent("thing", new Item("c", "UP")),
        new MayflyEvent("thing-removed", Map.of("id", "b")));
    assertThat(diff.next(List.of(new Item("a", "DOWN"), new Item("c", "UP")), true)).isEmpty();
  }

  @Test
  void noRemovalsFromAPartialSnapshot() {
    diff.next(List.of(new Item("a", "UP"), new Item("b", "UP")), true);
    assertThat(diff.next(List.of(new Item("a", "UP")), false)).isEmpty();
  }

  @Test
  void resetStartsOver() {
    diff.next(List.of(new Item("a", "UP")), true);
    diff.reset();
    assertThat(diff.next(List.of(new Item("a", "DOWN")), true)).isEmpty();
  }
}
