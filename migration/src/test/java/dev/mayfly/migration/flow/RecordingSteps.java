package dev.mayfly.migration.flow;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test double of {@link MigrationSteps}: records every call in order, advances a manual clock by
 * a fixed cost per step (so timings are deterministic), and throws where told to.
 */
class RecordingSteps implements MigrationSteps {
  final List<String> calls = new ArrayList<>();
  final Map<String, Exception> failures = new HashMap<>();
  final Map<String, Runnable> hooks = new HashMap<>();
  final ManualClock clock = new ManualClock();
  /** Cost of each call in milliseconds. */
  final Map<String, Long> costMillis = new HashMap<>(Map.ofEntries(
      Map.entry("prepareTarget", 1L), Map.entry("pauseSource", 2L), Map.entry("checkpoint", 3L),
      Map.entry("transfer", 4L), Map.entry("restoreTarget", 5L), Map.entry("moveTraffic", 6L),
      Map.entry("resumeTarget", 7L), Map.entry("destroySource", 8L), Map.entry("discardTarget", 10L),
      Map.entry("resumeSource", 20L), Map.entry("restoreTrafficToSource", 30L)));

  RecordingSteps failOn(String step, Exception e) {
    failures.put(step, e);
    return this;
  }

  private void call(String name) throws Exception {
    calls.add(name);
    clock.advance(Duration.ofMillis(costMillis.getOrDefault(name, 0L)));
    Runnable hook = hooks.get(name);
    if (hook != null) hook.run();
    Exception e = failures.get(name);
    if (e != null) throw e;
  }

  @Override public void prepareTarget(MigrationContext ctx) throws Exception { call("prepareTarget"); }
  @Override public void pauseSource(MigrationContext ctx) throws Exception { call("pauseSource"); }
  @Override public void checkpoint(MigrationContext ctx) throws Exception {
    call("checkpoint");
    ctx.attributes().put("checkpointBytes", "4096");
  }
  @Override public void transfer(MigrationContext ctx) throws Exception { call("transfer"); }
  @Override public void restoreTarget(MigrationContext ctx) throws Exception { call("restoreTarget"); }
  @Override public void moveTraffic(MigrationContext ctx) throws Exception { call("moveTraffic"); }
  @Override public void resumeTarget(MigrationContext ctx) throws Exception { call("resumeTarget"); }
  @Override public void destroySource(MigrationContext ctx) throws Exception { call("destroySource"); }
  @Override public void discardTarget(MigrationContext ctx) throws Exception { call("discardTarget"); }
  @Override public void resumeSource(MigrationContext ctx) throws Exception { call("resumeSource"); }
  @Override public void restoreTrafficToSource(MigrationContext ctx) throws Exception { call("restoreTrafficToSource"); }

  /** A clock that only moves when told to. */
  static final class ManualClock implements MigrationClock {
    private Instant now = Instant.parse("2026-11-26T12:00:00Z");

    @Override
    public synchronized Instant now() {
      return now;
    }

    synchronized void advance(Duration d) {
      now = now.plus(d);
    }
  }
}
