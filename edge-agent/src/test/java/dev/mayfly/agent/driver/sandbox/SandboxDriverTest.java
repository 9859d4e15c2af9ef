package dev.mayfly.agent.driver.sandbox;

import static dev.mayfly.agent.driver.sandbox.SandboxFixture.FIREWALL;
import static dev.mayfly.agent.driver.sandbox.SandboxFixture.FORWARD;
import static dev.mayfly.agent.driver.sandbox.SandboxFixture.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.agent.driver.GuestEvent;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxDriverTest {
  @TempDir Path state;
  SandboxDriver driver;
  final List<GuestEvent> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    driver = new SandboxDriver(state, SandboxFixture.options(rt));
    driver.addListener(events::add);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (driver != null) {
      for (GuestInfo g : driver.list()) {
        driver.destroy(g.guestId());
      }
      driver.close();
      assertThat(SandboxFixture.leftovers(driver.trackedSlots())).isEmpty();
    }
  }

  @Test
  void guestForwardsBetweenItsPortsAndPauseStopsIt() throws Exception {
    GuestInfo g = driver.boot(spec("fwd-1", FORWARD, 32), Optional.empty());
    assertThat(g.state()).isEqualTo(GuestState.RUNNING);
    assertThat(g.timingsMs()).containsKeys("prepare", "attach", "boot", "total");
    String slot = driver.slotOf("fwd-1").orElseThrow();
    try (var w = new SandboxFixture.Wire("f", slot, 1)) {
      assertThat(w.pingAny(5)).as("ping through the guest").isTrue();
      driver.pause("fwd-1");
      assertThat(driver.inspect("fwd-1").orElseThrow().state()).isEqualTo(GuestState.PAUSED);
      assertThat(w.ping()).as("paused guest forwards nothing").isFalse();
      assertThatThrownBy(() -> driver.pause("fwd-1")).isInstanceOf(GuestException.class)
          .hasMessageContaining("already paused")
          .extracting(e -> ((GuestException) e).code()).isEqualTo(GuestException.Code.INVALID_STATE);
      driver.unpause("fwd-1");
      assertThat(w.pingAny(3)).as("unpaused guest forwards again").isTrue();
      assertThatThrownBy(() -> driver.unpause("fwd-1")).hasMessageContaining("not paused");
    }
    int pid = g.pid();
    driver.destroy("fwd-1");
    driver.destroy("fwd-1"); // idempotent
    assertThat(SandboxFixture.processGone(pid)).isTrue();
    assertThat(driver.inspect("fwd-1")).isEmpty();
    assertThat(events).extracting(GuestEvent::state).containsSubsequence(GuestState.BOOTING,
        GuestState.RUNNING, GuestState.PAUSED, GuestState.RUNNING, GuestState.DESTROYED);
  }

  @Test
  void checkpointAndRestoreKeepTheFirewallTable() throws Exception {
    driver.boot(spec("fw-1", FIREWALL, 32), Optional.empty());
    String slot = driver.slotOf("fw-1").orElseThrow();
    byte[] blob;
    try (var w = new SandboxFixture.Wire("c", slot, 2)) {
      assertThat(w.pingAny(5)).isTrue();
      assertThat(driver.readHandlers("fw-1")).containsEntry("fw.size", "1");
      blob = driver.checkpoint("fw-1");
      assertThat(driver.inspect("fw-1").orElseThrow().state()).isEqualTo(GuestState.CHECKPOINTED);
    }
    assertThat(blob).isNotEmpty();
    driver.destroy("fw-1");
    GuestInfo r = driver.restore(spec("fw-2", FIREWALL, 32), blob, Optional.empty());
    assertThat(r.state()).isEqualTo(GuestState.RUNNING);
    Map<String, String> h = driver.readHandlers("fw-2");
    assertThat(h).containsEntry("fw.size", "1");
  }

  @Test
  void rejectedConfigNamesTheLineAndLeaksNothing() {
    assertThatThrownBy(() -> driver.boot(spec("bad-1",
        "FromDevice(access) -> Queue -> ToDevice(core);\nx :: NoSuchElement;\n", 32),
        Optional.empty()))
        .isInstanceOf(GuestException.class)
        .hasMessageContaining("config:2")
        .extracting(e -> ((GuestException) e).code())
        .isEqualTo(GuestException.Code.CONFIG_REJECTED);
    assertThat(driver.inspect("bad-1")).isEmpty();
    assertThat(events).extracting(GuestEvent::state).contains(GuestState.FAILED);
  }

  @Test
  void badInputGetsClearErrors() throws Exception {
    assertThatThrownBy(() -> driver.pause("nope")).extracting(e -> ((GuestException) e).code())
        .isEqualTo(GuestException.Code.NOT_FOUND);
    assertThatThrownBy(() -> driver.checkpoint("nope")).hasMessageContaining("no guest 'nope'");
    driver.destroy("nope"); // unknown: no-op
    assertThatThrownBy(() -> driver.boot(spec("bad id!", FORWARD, 32), Optional.empty()))
        .hasMessageContaining("guestId");
    driver.boot(spec("dup-1", FORWARD, 32), Optional.empty());
    // the same command again is idempotent; another generation is refused
    assertThat(driver.boot(spec("dup-1", FORWARD, 32), Optional.empty()).state())
        .isEqualTo(GuestState.RUNNING);
    var gen2 = new dev.mayfly.agent.driver.GuestSpec("dup-1", 2, "test", FORWARD,
        spec("x", FORWARD, 32).ports(), 32L << 20, 100, 16, Map.of());
    assertThatThrownBy(() -> driver.boot(gen2, Optional.empty()))
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> driver.writeHandler("dup-1", "nodot", "1"))
        .hasMessageContaining("element.handler");
  }

  @Test
  void memoryLimitGivesCapacityError() {
    // 1500 elements need far more than 64 KiB of guest heap
    StringBuilder big = new StringBuilder("FromDevice(access)");
    for (int i = 0; i < 1500; i++) {
      big.append(" -> c").append(i).append(" :: Counter");
    }
    big.append(" -> Queue -> ToDevice(core);\n");
    assertThatThrownBy(() -> driver.boot(new dev.mayfly.agent.driver.GuestSpec("tiny-1", 1,
        "test", big.toString(), spec("x", FORWARD, 1).ports(), 64L << 10, 100, 16, Map.of()),
        Optional.empty()))
        .isInstanceOf(GuestException.class)
        .extracting(e -> ((GuestException) e).code())
        .isEqualTo(GuestException.Code.CAPACITY);
  }

  @Test
  void userNamespaceGuestRunsAsNobodyAndForwards() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    SandboxOptions o = SandboxFixture.options(rt);
    SandboxDriver u = new SandboxDriver(state.resolve("userns"), new SandboxOptions(o.runtime(),
        o.rootDir(), true, false, o.prepareWaitMs(), o.requestTimeoutMs()));
    try {
      org.junit.jupiter.api.Assumptions.assumeTrue(u.fingerprint().capabilities().contains("userns"),
          "the host does not allow user namespaces");
      GuestInfo g = u.boot(spec("uns-1", FORWARD, 32), Optional.empty());
      String status = java.nio.file.Files.readString(Path.of("/proc/" + g.pid() + "/status"));
      assertThat(status).containsPattern("Uid:\\s+65534");
      try (var w = new SandboxFixture.Wire("u", u.slotOf("uns-1").orElseThrow(), 4)) {
        assertThat(w.pingAny(5)).isTrue();
      }
      u.destroy("uns-1");
    } finally {
      for (GuestInfo g : u.list()) {
        u.destroy(g.guestId());
      }
      u.close();
      // later drivers in this JVM re-run host init with their own flags
    }
    assertThat(SandboxFixture.leftovers(u.trackedSlots())).isEmpty();
  }

  @Test
  void aGuestThatDiesIsReportedCrashed() throws Exception {
    GuestInfo g = driver.boot(spec("crash-1", FORWARD, 32), Optional.empty());
    SandboxFixture.run("kill", "-9", Integer.toString(g.pid()));
    for (int i = 0; i < 200 && driver.inspect("crash-1").orElseThrow().state()
        != GuestState.CRASHED; i++) {
      Thread.sleep(10);
    }
    assertThat(driver.inspect("crash-1").orElseThrow().state()).isEqualTo(GuestState.CRASHED);
    assertThat(events).extracting(GuestEvent::state).contains(GuestState.CRASHED);
    driver.destroy("crash-1");
    assertThat(driver.inspect("crash-1")).isEmpty();
  }
}
