package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The windows a kill -9 of the agent can hit: a boot whose GUEST record was not yet appended to
 * the slot journal (write-behind), and a prepare cut short before its SHELL record existed
 * (its PREPARING marker is the slot's latest record; also as an old-style {@code .preparing}
 * file, the upgrade path).
 */
class RecoveryWindowTest {
  @TempDir Path state;

  @Test
  void aGuestWhoseRecordStillSaysShellIsAdoptedFromItsPage() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    SandboxDriver d1 = new SandboxDriver(state, SandboxFixture.options(rt));
    GuestInfo g = d1.boot(SandboxFixture.spec("win-1", SandboxFixture.FORWARD, 32),
        Optional.empty());
    String slot = d1.slotOf("win-1").orElseThrow();
    d1.flushStateFiles();
    d1.close(); // like a killed agent: the guest keeps running
    // the journal as it was before the write-behind appended the guest's record: its SHELL
    // record (written at prepare) is the slot's latest
    Path journal = state.resolve("slots").resolve("journal");
    List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
    assertThat(lines).anyMatch(l -> l.startsWith("GUEST\t" + slot + "\t"));
    List<String> lagging = lines.stream()
        .filter(l -> !l.startsWith("GUEST\t" + slot + "\t")).toList();
    Files.write(journal, lagging, StandardCharsets.UTF_8);
    assertThat(latest(journal, slot).kind).isEqualTo(SlotJournal.Kind.SHELL);
    SandboxDriver d2 = new SandboxDriver(state, SandboxFixture.options(rt));
    try {
      List<GuestInfo> adopted = d2.recover();
      assertThat(adopted).extracting(GuestInfo::guestId).containsExactly("win-1");
      assertThat(adopted.get(0).state()).isEqualTo(GuestState.RUNNING);
      assertThat(adopted.get(0).generation()).isEqualTo(1);
      assertThat(adopted.get(0).pid()).isEqualTo(g.pid());
      SlotJournal.Entry now = latest(journal, slot);
      assertThat(now.kind).as("recorded as a guest").isEqualTo(SlotJournal.Kind.GUEST);
      assertThat(now.fields()).containsEntry("portNames", "access,core,")
          .containsEntry("guestId", "win-1");
      assertThat(d2.readHandlers("win-1")).isNotNull(); // it answers requests
      d2.destroy("win-1");
      assertThat(SandboxFixture.processGone(g.pid())).isTrue();
      assertThat(latest(journal, slot)).as("GONE after destroy").isNull();
    } finally {
      for (GuestInfo x : d2.list()) {
        d2.destroy(x.guestId());
      }
      d2.close();
    }
    assertThat(SandboxFixture.leftovers(List.of(slot))).isEmpty();
  }

  @ParameterizedTest(name = "old-style marker file: {0}")
  @ValueSource(booleans = {false, true})
  void aPrepareCutShortLeavesNothingAfterRecovery(boolean oldStyleMarker) throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    String slot = "zw" + Long.toString(System.nanoTime() % 1_000_000, 36);
    Path slots = state.resolve("slots");
    Files.createDirectories(slots);
    if (oldStyleMarker) { // left by an agent from before the journal
      Files.write(slots.resolve(slot + ".preparing"), new byte[0]);
    } else {
      try (SlotJournal j = SlotJournal.open(slots)) {
        j.preparing(slot);
      }
    }
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
      assertThat(latest(slots.resolve("journal"), slot)).as("its marker is gone").isNull();
      assertThat(Files.exists(slots.resolve(slot + ".preparing"))).isFalse();
      assertThat(d.trackedSlots()).contains(slot);
    } finally {
      sleeper.destroyForcibly();
      d.close();
    }
    assertThat(SandboxFixture.leftovers(List.of(slot))).isEmpty();
  }

  /** The slot's latest record in the journal file, as a new agent would read it. */
  static SlotJournal.Entry latest(Path journal, String slot) throws Exception {
    SlotJournal.Replay r = SlotJournal.replay(Files.readAllBytes(journal), journal.toString());
    assertThat(r.skipped).as("malformed lines in %s", journal).isZero();
    return r.live.get(slot);
  }
}
