package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestState;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The windows a kill -9 of the agent can hit: a boot whose state file was not yet rewritten
 * (write-behind), and a prepare cut short before its state file existed.
 */
class RecoveryWindowTest {
  @TempDir Path state;

  @Test
  void aGuestWhoseStateFileStillSaysShellIsAdoptedFromItsPage() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    SandboxDriver d1 = new SandboxDriver(state, SandboxFixture.options(rt));
    GuestInfo g = d1.boot(SandboxFixture.spec("win-1", SandboxFixture.FORWARD, 32),
        Optional.empty());
    String slot = d1.slotOf("win-1").orElseThrow();
    d1.flushStateFiles();
    // as the file was before the write-behind rewrote it: the shell's
    Path file = state.resolve("slots").resolve(slot + ".state");
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    Properties shell = new Properties();
    for (String k : List.of("slot", "pid", "startTime", "ports")) {
      shell.setProperty(k, p.getProperty(k));
    }
    shell.setProperty("kind", "shell");
    d1.close(); // like a killed agent: the guest keeps running
    try (Writer w = Files.newBufferedWriter(file)) {
      shell.store(w, null);
    }
    SandboxDriver d2 = new SandboxDriver(state, SandboxFixture.options(rt));
    try {
      List<GuestInfo> adopted = d2.recover();
      assertThat(adopted).extracting(GuestInfo::guestId).containsExactly("win-1");
      assertThat(adopted.get(0).state()).isEqualTo(GuestState.RUNNING);
      assertThat(adopted.get(0).generation()).isEqualTo(1);
      assertThat(adopted.get(0).pid()).isEqualTo(g.pid());
      Properties now = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        now.load(r);
      }
      assertThat(now.getProperty("kind")).as("rewritten as a guest").isEqualTo("guest");
      assertThat(now.getProperty("portNames")).isEqualTo("access,core,");
      assertThat(d2.readHandlers("win-1")).isNotNull(); // it answers requests
      d2.destroy("win-1");
      assertThat(SandboxFixture.processGone(g.pid())).isTrue();
    } finally {
      for (GuestInfo x : d2.list()) {
        d2.destroy(x.guestId());
      }
      d2.close();
    }
    assertThat(SandboxFixture.leftovers(List.of(slot))).isEmpty();
  }

  @Test
  void aPrepareCutShortLeavesNothingAfterRecovery() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    String slot = "zw" + Long.toString(System.nanoTime() % 1_000_000, 36);
    Path slots = state.resolve("slots");
    Files.createDirectories(slots);
    Files.write(slots.resolve(slot + ".preparing"), new byte[0]);
    // the killed prepare had made its cgroups, and its runtime had joined one of them
    for (Path parent : SandboxFixture.CGROUP_PARENTS.subList(0, 4)) {
      Files.createDirectories(parent.resolve(slot));
    }
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    Files.writeString(SandboxFixture.CGROUP_PARENTS.get(2).resolve(slot).resolve("cgroup.procs"),
        Long.toString(sleeper.pid()));
    SandboxDriver d = new SandboxDriver(state, SandboxFixture.options(rt));
    try {
      assertThat(d.recover()).isEmpty();
      assertThat(sleeper.waitFor(10, TimeUnit.SECONDS)).as("its process was killed").isTrue();
      assertThat(Files.exists(slots.resolve(slot + ".preparing"))).isFalse();
      assertThat(d.trackedSlots()).contains(slot);
    } finally {
      sleeper.destroyForcibly();
      d.close();
    }
    assertThat(SandboxFixture.leftovers(List.of(slot))).isEmpty();
  }
}
