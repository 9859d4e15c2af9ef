package dev.mayfly.controller.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Diffs successive snapshots of one kind of resource by id. Plain Java, no Spring: the
 * first snapshot only primes it (no events); later ones yield an update for every new
 * or changed item (by {@code equals} of the API model) and a removal for every id that
 * disappeared.
 */
final class ChangeDiff<T> {

  private final String updateType;
  private final String removeType;
  private final Function<T, String> id;
  private Map<String, T> last;

  ChangeDiff(String updateType, String removeType, Function<T, String> id) {
    this.updateType = updateType;
    this.removeType = removeType;
    this.id = id;
  }

  List<MayflyEvent> next(List<T> items, boolean removalsMeaningful) {
    Map<String, T> now = new LinkedHashMap<>();
    for (T t : items) {
      now.put(id.apply(t), t);
    }
    List<MayflyEvent> out = new ArrayList<>();
    if (last != null) {
      for (var e : now.entrySet()) {
        if (!Objects.equals(last.get(e.getKey()), e.getValue())) {
          out.add(new MayflyEvent(updateType, e.getValue()));
        }
      }
      if (removalsMeaningful && removeType != null) {
        for (String gone : last.keySet()) {
          if (!now.containsKey(gone)) {
            out.add(new MayflyEvent(removeType, Map.of("id", gone)));
          }
        }
      }
    }
    last = new HashMap<>(now);
    return out;
  }

  void reset() {
    last = null;
  }
}
