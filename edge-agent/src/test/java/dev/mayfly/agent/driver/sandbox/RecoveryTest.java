package dev.mayfly.agent.driver.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.agent.driver.GuestEvent;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of the agent while guests run; a new agent re-adopts them. */
class RecoveryTest {
  @TempDir Path state;

  @Test
  void guestsSurviveAnAgentKillAndAreAdopted() throws Exception {
    Path rt = SandboxFixture.requireSandbox();
    // orphaned guests of the killed child JVM reparent to us, so we can reap them
    Noxs.check(Noxs.lib().noxs_host_set_subreaper(Noxs.err()), "subreaper");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        RecoveryChildMain.class.getName(), state.toString(), rt.toString(), "3")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<Integer> pids = new ArrayList<>();
    SandboxDriver d = null;
    try {
      BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()));
      // the child's log goes to the same stdout (e.g. a pool prepare retried while another
      // process on this host removed cgroups): skip to its READY line
      String line = r.readLine();
      for (int i = 0; i < 1000 && line != null && !line.startsWith("READY"); i++) {
        line = r.readLine();
      }
      assertThat(line).startsWith("READY");
      for (String p : line.substring(6).trim().split(" ")) {
        pids.add(Integer.parseInt(p));
      }
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
      SandboxFixture.run("kill", "-9", pids.get(2).toString()); // dies while no agent runs
      for (int i = 0; i < 100 && !SandboxFixture.processGone(pids.get(2)); i++) {
        Thread.sleep(10);
      }
      for (int i = 0; i < 3; i++) {
        assertThat(SandboxFixture.processGone(pids.get(i))).isEqualTo(i == 2);
      }

      d = new SandboxDriver(state, SandboxFixture.options(rt));
      List<GuestEvent> events = new CopyOnWriteArrayList<>();
      d.addListener(events::add);
      List<GuestInfo> adopted = d.recover();
      assertThat(adopted).extracting(GuestInfo::guestId).containsExactlyInAnyOrder("rec-0", "rec-1");
      assertThat(adopted).allSatisfy(g -> assertThat(g.state()).isEqualTo(GuestState.RUNNING));
      assertThat(d.inspect("rec-2").orElseThrow().state()).isEqualTo(GuestState.CRASHED);
      assertThat(events).anySatisfy(e -> {
        assertThat(e.guestId()).isEqualTo("rec-2");
        assertThat(e.state()).isEqualTo(GuestState.CRASHED);
      });
      // the old agent's pooled shells are not kept: only the two guests' records remain, in
      // the one journal file
      try (var s = Files.list(state.resolve("slots"))) {
        assertThat(s.map(f -> f.getFileName().toString())).containsExactly("journal");
      }
      Path journal = state.resolve("slots").resolve("journal");
      SlotJournal.Replay rec = SlotJournal.replay(Files.readAllBytes(journal),
          journal.toString());
      assertThat(rec.skipped).isZero();
      assertThat(rec.live.values()).allSatisfy(e ->
          assertThat(e.kind).isEqualTo(SlotJournal.Kind.GUEST));
      assertThat(rec.live.values()).extracting(e -> e.fields().get("guestId"))
          .containsExactlyInAnyOrder("rec-0", "rec-1");
      // adopted guests still forward and answer requests
      try (var w = new SandboxFixture.Wire("r", d.slotOf("rec-0").orElseThrow(), 3)) {
        assertThat(w.pingAny(5)).isTrue();
      }
      assertThat(d.readHandlers("rec-1")).isNotNull();
      d.pause("rec-1");
      d.unpause("rec-1");
      for (String id : List.of("rec-0", "rec-1", "rec-2")) {
        d.destroy(id);
      }
      for (int pid : pids) {
        assertThat(SandboxFixture.processGone(pid)).as("pid %d", pid).isTrue();
      }
    } finally {
      child.destroyForcibly();
      if (d != null) {
        for (GuestInfo g : d.list()) {
          d.destroy(g.guestId());
        }
        d.close();
      }
      for (int pid : pids) {
        SandboxFixture.run("kill", "-9", Integer.toString(pid));
        Noxs.lib().noxs_host_reap(pid, Noxs.err());
      }
    }
    assertThat(SandboxFixture.leftovers(d.trackedSlots())).isEmpty();
  }
}
