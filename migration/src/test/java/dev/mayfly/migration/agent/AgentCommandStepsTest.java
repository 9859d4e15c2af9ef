package dev.mayfly.migration.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.migration.flow.LiveMigrationException;
import dev.mayfly.migration.flow.LiveTiming;
import dev.mayfly.migration.flow.MigrationContext;
import dev.mayfly.migration.flow.Phase;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.Port;
import dev.mayfly.southbound.v1.Timing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The command sequence over a scripted {@link AgentCommandSteps.Link} (no agents). */
class AgentCommandStepsTest {
  record Sent(String node, Command cmd) {}

  final List<Sent> sent = new ArrayList<>();
  final List<String> traffic = new ArrayList<>();
  Function<Command, CommandResult> answer = c -> ok(c).build();
  RuntimeException trafficFailure;

  static CommandResult.Builder ok(Command c) {
    return CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setGeneration(c.getGeneration()).setOk(true);
  }

  AgentCommandSteps steps(AgentCommandSteps.Mode mode) {
    AgentCommandSteps.Link link = (node, c, timeout) -> {
      sent.add(new Sent(node, c));
      CommandResult r = answer.apply(c);
      if (!r.getOk()) throw new AgentCommandSteps.AgentCallException(r.getErrorCode(), r.getErrorMessage());
      return r;
    };
    AgentCommandSteps.TrafficMover mover = new AgentCommandSteps.TrafficMover() {
      @Override
      public void toTarget(MigrationContext ctx) {
        traffic.add("toTarget");
        if (trafficFailure != null) throw trafficFailure;
      }

      @Override
      public void toSource(MigrationContext ctx) {
        traffic.add("toSource");
      }
    };
    GuestSpec spec = GuestSpec.newBuilder().setClickConfig("fw :: FlowFirewall;")
        .addPorts(Port.newBuilder().setName("access").setXconnect("ue1")).build();
    return new AgentCommandSteps(link, 100, () -> spec, () -> "10.0.0.2:7600", mover,
        AgentCommandSteps.Timeouts.defaults(), mode);
  }

  static MigrationContext ctx() {
    return new MigrationContext("mig-1", "fw-1", "edge-a", "edge-b");
  }

  @Test
  void liveTargetIsBootedAheadAndTheConnectionOpenedBeforeThePause() throws Exception {
    steps(AgentCommandSteps.Mode.LIVE).prepareTarget(ctx());
    assertThat(sent).extracting(Sent::node).containsExactly("edge-b", "edge-a");
    Command expect = sent.get(0).cmd();
    assertThat(expect.getGeneration()).isEqualTo(101);
    assertThat(expect.getExpectMigration().hasSpec()).isTrue();
    assertThat(expect.getExpectMigration().getGuestGeneration()).isEqualTo(102);
    assertThat(sent.get(1).cmd().getMigrateOut().getOpenOnly()).isTrue();
    assertThat(sent.get(1).cmd().getMigrateOut().getToken()).isEqualTo(expect.getExpectMigration().getToken());

    sent.clear();
    steps(AgentCommandSteps.Mode.STOP_AND_COPY).prepareTarget(ctx());
    assertThat(sent.get(0).cmd().getExpectMigration().hasSpec()).isFalse();
  }

  @Test
  void oneLiveCommandReturnsTheAgentsTimingsThenTheMoveIsRecorded() throws Exception {
    answer = c -> ok(c).setCheckpointBytes(290046).putHandlers("fw.size", "10000")
        .addTimings(Timing.newBuilder().setPhase("pause").setMillis(0.02))
        .addTimings(Timing.newBuilder().setPhase("checkpoint").setMillis(0.5))
        .addTimings(Timing.newBuilder().setPhase("transfer").setMillis(1.25))
        .addTimings(Timing.newBuilder().setPhase("restore").setMillis(0.9))
        .addTimings(Timing.newBuilder().setPhase("move_traffic").setMillis(0))
        .addTimings(Timing.newBuilder().setPhase("resume").setMillis(0.004))
        .addTimings(Timing.newBuilder().setPhase("total").setMillis(99)).build();
    MigrationContext ctx = ctx();
    List<LiveTiming> t = steps(AgentCommandSteps.Mode.LIVE).live(ctx);

    assertThat(sent).hasSize(1);
    Command live = sent.get(0).cmd();
    assertThat(sent.get(0).node()).isEqualTo("edge-a");
    assertThat(live.getMigrateOut().getLive()).isTrue();
    assertThat(live.getMigrateOut().getTargetAddress()).isEqualTo("10.0.0.2:7600");
    assertThat(live.getMigrateOut().getTargetNode()).isEqualTo("edge-b");
    assertThat(live.getGeneration()).isEqualTo(104);
    assertThat(t).extracting(LiveTiming::phase).containsExactlyElementsOf(Phase.LIVE);
    assertThat(t).extracting(LiveTiming::micros).containsExactly(20L, 500L, 1250L, 900L, 0L, 4L);
    assertThat(traffic).containsExactly("toTarget");
    assertThat(ctx.attributes()).containsEntry("checkpointBytes", "290046")
        .containsEntry("handlers.source", "fw.size=10000").containsKey("trafficRecordMs");
  }

  @Test
  void aFailedLiveCommandNamesThePhaseTheSourceAgentReported() {
    answer = c -> ok(c).setOk(false).setErrorCode("INTERNAL").setErrorMessage("migrate_out failed: INTERNAL:"
        + " RESTORE_TARGET: receiver 10.0.0.2:7600 aborted migration mig-1: migration mig-1 was not committed on"
        + " the target: import into fw-1: checkpoint: checksum mismatch (source guest resumed)").build();
    assertThatThrownBy(() -> steps(AgentCommandSteps.Mode.LIVE).live(ctx()))
        .isInstanceOfSatisfying(LiveMigrationException.class, e -> {
          assertThat(e.phase()).isEqualTo(Phase.RESTORE_TARGET);
          assertThat(e.completed()).extracting(LiveTiming::phase)
              .containsExactly(Phase.PAUSE_SOURCE, Phase.CHECKPOINT, Phase.TRANSFER);
          assertThat(e.getMessage()).contains("checksum mismatch").contains("source guest resumed");
        });
    assertThat(traffic).isEmpty();
  }

  @Test
  void aFailedRecordOfTheMoveFailsAtMoveTraffic() {
    trafficFailure = new IllegalStateException("row changed meanwhile");
    assertThatThrownBy(() -> steps(AgentCommandSteps.Mode.LIVE).live(ctx()))
        .isInstanceOfSatisfying(LiveMigrationException.class, e -> {
          assertThat(e.phase()).isEqualTo(Phase.MOVE_TRAFFIC);
          assertThat(e.completed()).hasSize(4);
          assertThat(e.getMessage()).contains("recording the move failed: row changed meanwhile");
        });
  }

  @Test
  void failedPhaseIsTheFirstNamedOrThePause() {
    assertThat(AgentCommandSteps.failedPhase("x: TRANSFER: a, then RESTORE_TARGET: b")).isEqualTo(Phase.TRANSFER);
    assertThat(AgentCommandSteps.failedPhase("CHECKPOINT: guest died")).isEqualTo(Phase.CHECKPOINT);
    assertThat(AgentCommandSteps.failedPhase("migrate_out on node edge-a: no answer within 30000 ms"))
        .isEqualTo(Phase.PAUSE_SOURCE);
    assertThat(AgentCommandSteps.failedPhase(null)).isEqualTo(Phase.PAUSE_SOURCE);
  }

  @Test
  void compensationsTolerateWhatIsAlreadyDone() throws Exception {
    answer = c -> c.hasUnpause() ? ok(c).setOk(false).setErrorCode("INVALID_STATE")
        .setErrorMessage("guest fw-1 is not paused").build()
        : c.hasDestroy() ? ok(c).setOk(false).setErrorCode("NOT_FOUND").setErrorMessage("no guest").build()
        : ok(c).build();
    AgentCommandSteps s = steps(AgentCommandSteps.Mode.LIVE);
    s.resumeSource(ctx());
    s.discardTarget(ctx());
    assertThat(sent).extracting(x -> x.node() + " " + x.cmd().getActionCase())
        .containsExactly("edge-a UNPAUSE", "edge-b CANCEL_MIGRATION", "edge-b DESTROY");
    assertThat(Duration.ofSeconds(10)).isEqualTo(AgentCommandSteps.Timeouts.defaults().command());
  }
}
