package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver and its slot journal together: every state change of a guest is a record, the
 * writer thread compacts the journal while guests come and go, and a new driver re-adopts
 * exactly the guests that still run from the compacted journal.
 */
class SlotJournalDriverTest {
  @TempDir Path state;

  @Test
  void churnIsCompactedBehindTheBootsAndTheSurvivorsAreAdoptedAfterwards() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    Path journal = state.resolve("slots").resolve("journal");
    List<String> slots = new ArrayList<>();
    SandboxDriver d1;
    System.setProperty("mayfly.sandbox.journalCompactLines", "40");
    try {
      d1 = new SandboxDriver(state, SandboxFixture.options(rt));
    } finally {
      System.clearProperty("mayfly.sandbox.journalCompactLines");
    }
    SandboxDriver d2 = null;
    boolean d1Closed = false;
    List<Integer> pids = new ArrayList<>();
    try {
      for (int i = 0; i < 30; i++) { // PREPARING, SHELL, GUEST, GONE: 4 lines each
        GuestInfo g = d1.boot(SandboxFixture.spec("churn-" + i, SandboxFixture.FORWARD, 16),
            Optional.empty());
        slots.add(d1.slotOf(g.guestId()).orElseThrow());
        pids.add(g.pid());
        if (i >= 3) {
          d1.flushStateFiles();
          d1.destroy(g.guestId());
        }
      }
      d1.pause("churn-1");
      assertThat(RecoveryWindowTest.latest(journal, slots.get(1)).fields())
          .containsEntry("state", "PAUSED").containsEntry("label.test", "1");
      d1.flushStateFiles();
      // 3 guests live; the writer compacts once more than max(40, 4 x live) lines were written
      for (int i = 0; i < 500 && Files.readAllLines(journal).size() > 40; i++) {
        Thread.sleep(20);
      }
      List<String> lines = Files.readAllLines(journal);
      assertThat(lines.size()).as("compacted: 30 x 4 lines were appended").isLessThanOrEqualTo(40);
      SlotJournal.Replay r = SlotJournal.replay(Files.readAllBytes(journal), journal.toString());
      assertThat(r.live).containsOnlyKeys(slots.subList(0, 3));
      d1.close(); // like a killed agent: the guests keep running
      d1Closed = true;

      d2 = new SandboxDriver(state, SandboxFixture.options(rt));
      List<GuestInfo> adopted = d2.recover();
      assertThat(adopted).extracting(GuestInfo::guestId)
          .containsExactlyInAnyOrder("churn-0", "churn-1", "churn-2");
      assertThat(d2.inspect("churn-1").orElseThrow().state()).isEqualTo(GuestState.PAUSED);
      assertThat(d2.inspect("churn-2").orElseThrow().labels()).containsEntry("test", "1");
      for (String id : List.of("churn-0", "churn-1", "churn-2")) {
        d2.destroy(id);
      }
      assertThat(SlotJournal.replay(Files.readAllBytes(journal), "journal").live).isEmpty();
      for (int pid : pids) {
        assertThat(SandboxFixture.processGone(pid)).as("pid %d", pid).isTrue();
      }
    } finally {
      for (SandboxDriver d : new SandboxDriver[] {d1Closed ? null : d1, d2}) {
        if (d != null) {
          for (GuestInfo g : d.list()) {
            d.destroy(g.guestId());
          }
          d.close();
        }
      }
    }
    assertThat(SandboxFixture.leftovers(slots)).isEmpty();
  }
}
