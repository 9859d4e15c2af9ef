package dev.mayfly.migration.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The machine with {@link MigrationSteps#live}: the downtime as one agent-driven call. */
class LiveMigrationTest {
  static final List<LiveTiming> SIX = List.of(new LiveTiming(Phase.PAUSE_SOURCE, 100),
      new LiveTiming(Phase.CHECKPOINT, 400), new LiveTiming(Phase.TRANSFER, 1500),
      new LiveTiming(Phase.RESTORE_TARGET, 800), new LiveTiming(Phase.MOVE_TRAFFIC, 50),
      new LiveTiming(Phase.RESUME, 150));

  /** RecordingSteps that run the downtime live; what live() does is set per test. */
  static final class LiveSteps extends RecordingSteps {
    interface Body {
      List<LiveTiming> run(MigrationContext ctx) throws Exception;
    }

    Body body = ctx -> SIX;
    long liveCostMillis = 5;

    @Override
    public boolean runsLive(MigrationContext ctx) {
      return true;
    }

    @Override
    public List<LiveTiming> live(MigrationContext ctx) throws Exception {
      calls.add("live");
      clock.advance(Duration.ofMillis(liveCostMillis));
      return body.run(ctx);
    }
  }

  static MigrationMachine machine(LiveSteps steps, List<MigrationSnapshot> published) {
    return new MigrationMachine(MigrationMachineTest.ctx(), steps).clock(steps.clock).listener(published::add);
  }

  @Test
  void oneCallCoversTheDowntimeAndTheAgentsTimingsAreRecorded() {
    LiveSteps steps = new LiveSteps();
    List<MigrationSnapshot> published = new ArrayList<>();
    MigrationSnapshot s = machine(steps, published).run();

    assertThat(steps.calls).containsExactly("prepareTarget", "live", "destroySource");
    assertThat(s.state()).isEqualTo(MigrationState.SUCCEEDED);
    assertThat(s.phases()).extracting(StepRecord::status).containsOnly(StepStatus.SUCCEEDED);
    assertThat(s.phases()).extracting(StepRecord::micros)
        .containsExactly(1000L, 100L, 400L, 1500L, 800L, 50L, 150L, 8000L);
    // the phases lie end to end from the start of the call
    for (int i = 1; i < 6; i++) {
      assertThat(s.phases().get(i + 1).startedAt()).isEqualTo(s.phases().get(i).endedAt());
    }
    assertThat(s.downtimeMicros()).isEqualTo(3000); // the agents' sum, not the 5 ms the call took
    assertThat(s.totalMicros()).isEqualTo(1000 + 5000 + 8000);
    assertThat(s.attributes()).containsEntry("live", "true");
    // PAUSE_SOURCE is published RUNNING before the call (the command is never sent unrecorded)
    assertThat(published).anySatisfy(p -> {
      assertThat(p.phase(Phase.PAUSE_SOURCE).status()).isEqualTo(StepStatus.RUNNING);
      assertThat(p.phase(Phase.CHECKPOINT).status()).isEqualTo(StepStatus.PENDING);
    });
  }

  @Test
  void failureAtTransferRecordsWhatCompletedAndRollsBackTheSourceAndTarget() {
    LiveSteps steps = new LiveSteps();
    steps.body = ctx -> {
      throw new LiveMigrationException(Phase.TRANSFER, SIX.subList(0, 2),
          "receiver 10.0.0.2:7600 closed the connection after 65536 of 290046 bytes were written");
    };
    MigrationSnapshot s = machine(steps, new ArrayList<>()).run();

    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.failedPhase()).isEqualTo(Phase.TRANSFER);
    assertThat(s.error()).startsWith("TRANSFER failed: receiver 10.0.0.2:7600 closed the connection");
    assertThat(steps.calls).containsExactly("prepareTarget", "live", "resumeSource", "discardTarget");
    assertThat(s.phase(Phase.PAUSE_SOURCE).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(s.phase(Phase.CHECKPOINT).micros()).isEqualTo(400);
    assertThat(s.phase(Phase.TRANSFER).status()).isEqualTo(StepStatus.FAILED);
    assertThat(s.phase(Phase.TRANSFER).error()).contains("closed the connection");
    assertThat(s.phase(Phase.RESTORE_TARGET).status()).isEqualTo(StepStatus.SKIPPED);
    assertThat(s.phase(Phase.DESTROY_SOURCE).status()).isEqualTo(StepStatus.SKIPPED);
    // downtime ends when the source runs again
    assertThat(s.downtimeMicros()).isEqualTo(5000 + 20_000);
  }

  @Test
  void failureAtMoveTrafficPointsTheTrafficBackFirst() {
    LiveSteps steps = new LiveSteps();
    steps.body = ctx -> {
      throw new LiveMigrationException(Phase.MOVE_TRAFFIC, SIX.subList(0, 4), "database down");
    };
    MigrationSnapshot s = machine(steps, new ArrayList<>()).run();

    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(steps.calls).containsExactly("prepareTarget", "live", "restoreTrafficToSource", "resumeSource",
        "discardTarget");
    assertThat(s.phase(Phase.RESTORE_TARGET).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(s.phase(Phase.MOVE_TRAFFIC).status()).isEqualTo(StepStatus.FAILED);
  }

  @Test
  void anyOtherExceptionCountsAsAFailedPause() {
    LiveSteps steps = new LiveSteps();
    steps.body = ctx -> {
      throw new IOException("source agent disconnected");
    };
    MigrationSnapshot s = machine(steps, new ArrayList<>()).run();

    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.failedPhase()).isEqualTo(Phase.PAUSE_SOURCE);
    assertThat(s.error()).isEqualTo("PAUSE_SOURCE failed: IOException: source agent disconnected");
    assertThat(steps.calls).containsExactly("prepareTarget", "live", "resumeSource", "discardTarget");
  }

  @Test
  void phasesReportedOutOfOrderRollEverythingBack() {
    LiveSteps steps = new LiveSteps();
    steps.body = ctx -> List.of(SIX.get(1), SIX.get(0));
    MigrationSnapshot s = machine(steps, new ArrayList<>()).run();

    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.failedPhase()).isEqualTo(Phase.RESUME);
    assertThat(s.error()).contains("the agents reported the phases [CHECKPOINT, PAUSE_SOURCE]");
    assertThat(steps.calls).containsExactly("prepareTarget", "live", "restoreTrafficToSource", "resumeSource",
        "discardTarget");
  }

  @Test
  void liveTimingRejectsPhasesOutsideTheDowntime() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LiveTiming(Phase.DESTROY_SOURCE, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not run by the agents");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LiveTiming(Phase.TRANSFER, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(LiveTiming.ofMillis(Phase.TRANSFER, 1.2345).micros()).isEqualTo(1235);
  }

  @Test
  void abortInterruptsTheLiveCall() throws Exception {
    LiveSteps steps = new LiveSteps();
    CountDownLatch inside = new CountDownLatch(1);
    steps.body = ctx -> {
      inside.countDown();
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        throw new LiveMigrationException(Phase.TRANSFER, SIX.subList(0, 2), "interrupted", e);
      }
      return SIX;
    };
    MigrationMachine m = machine(steps, new ArrayList<>());
    Thread t = new Thread(m::run);
    t.start();
    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(m.abort("operator said so")).isTrue();
    t.join(10_000);
    MigrationSnapshot s = m.snapshot();
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.error()).isEqualTo("TRANSFER failed: aborted: operator said so (interrupted)");
    assertThat(steps.calls).containsExactly("prepareTarget", "live", "resumeSource", "discardTarget");
  }

  @Test
  void restartDuringTheLiveCallRollsBackAndAfterItRollsForward() {
    LiveSteps steps = new LiveSteps();
    List<MigrationSnapshot> published = new ArrayList<>();
    machine(steps, published).run();
    MigrationSnapshot during = published.stream()
        .filter(p -> p.phase(Phase.PAUSE_SOURCE).status() == StepStatus.RUNNING).findFirst().orElseThrow();
    MigrationSnapshot after = published.stream()
        .filter(p -> p.phase(Phase.RESUME).status() == StepStatus.SUCCEEDED
            && p.phase(Phase.DESTROY_SOURCE).status() == StepStatus.PENDING).findFirst().orElseThrow();

    LiveSteps again = new LiveSteps();
    MigrationSnapshot r = MigrationMachine.resume(during, again).clock(again.clock).run();
    assertThat(r.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(r.error()).contains("controller restarted during PAUSE_SOURCE");
    assertThat(again.calls).containsExactly("resumeSource", "discardTarget");

    LiveSteps third = new LiveSteps();
    MigrationSnapshot f = MigrationMachine.resume(after, third).clock(third.clock).run();
    assertThat(f.state()).isEqualTo(MigrationState.SUCCEEDED);
    assertThat(third.calls).containsExactly("destroySource");
    assertThat(f.downtimeMicros()).isEqualTo(3000);
  }
}
