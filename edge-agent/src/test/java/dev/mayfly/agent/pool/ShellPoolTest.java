package dev.mayfly.agent.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.driver.sandbox.SandboxDriver;
import dev.mayfly.agent.driver.sandbox.SandboxFixture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShellPoolTest {
  @TempDir Path state;

  @Test
  void poolRefillsAfterABurstAndAnEmptyPoolMeansCold() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    SandboxDriver d = new SandboxDriver(state, SandboxFixture.options(rt));
    ShellClass cls = SandboxFixture.spec("x", SandboxFixture.FORWARD, 32).shellClass();
    ShellPool pool = new ShellPool(d, Map.of(cls, 4), 2).start();
    List<GuestInfo> booted = new ArrayList<>();
    try {
      assertThat(pool.awaitFull(30, TimeUnit.SECONDS)).isTrue();
      assertThat(pool.ready()).isEqualTo(4);
      assertThat(pool.target()).isEqualTo(4);
      // a burst larger than the pool: 4 pooled, then cold boots (not failures)
      for (int i = 0; i < 7; i++) {
        Optional<Shell> s = pool.take(cls);
        booted.add(d.boot(SandboxFixture.spec("burst-" + i, SandboxFixture.FORWARD, 32), s));
      }
      assertThat(booted).extracting(g -> g.timingsMs().get("pooled"))
          .filteredOn(v -> v == 1.0).hasSizeGreaterThanOrEqualTo(4);
      assertThat(pool.stats().get(0).hits()).isGreaterThanOrEqualTo(4);
      assertThat(pool.awaitFull(30, TimeUnit.SECONDS)).as("refilled").isTrue();
      assertThat(pool.ready()).isEqualTo(4);
      assertThat(pool.describe().values().iterator().next()).contains("ready=4", "target=4");
      // a class without a bucket is simply a miss
      assertThat(pool.take(ShellClass.FIREWALL)).isEmpty();
    } finally {
      for (GuestInfo g : booted) { // also when an assertion failed: no guest left behind
        d.destroy(g.guestId());
      }
      pool.close();
      d.close();
    }
    assertThat(pool.ready()).isZero();
    assertThat(SandboxFixture.leftovers(d.trackedSlots())).isEmpty();
  }
}
