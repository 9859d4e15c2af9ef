package dev.mayfly.migration.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A controller restart at every recorded point: roll back or roll forward per the documented rule. */
class MigrationResumeTest {
  static final List<String> BACK_BEFORE_PAUSE = List.of("discardTarget");
  static final List<String> BACK_AFTER_PAUSE = List.of("resumeSource", "discardTarget");

  /** Snapshot index in a happy run (2 per phase: RUNNING, then ended) → calls after restart. */
  static Stream<Arguments> happyRunSnapshots() {
    return Stream.of(
        Arguments.of(Phase.PREPARE_TARGET, StepStatus.RUNNING, BACK_BEFORE_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.PREPARE_TARGET, StepStatus.SUCCEEDED, BACK_BEFORE_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.PAUSE_SOURCE, StepStatus.RUNNING, BACK_AFTER_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.PAUSE_SOURCE, StepStatus.SUCCEEDED, BACK_AFTER_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.CHECKPOINT, StepStatus.RUNNING, BACK_AFTER_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.CHECKPOINT, StepStatus.SUCCEEDED, BACK_AFTER_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.TRANSFER, StepStatus.RUNNING, BACK_AFTER_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.TRANSFER, StepStatus.SUCCEEDED, BACK_AFTER_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.RESTORE_TARGET, StepStatus.RUNNING, BACK_AFTER_PAUSE, MigrationState.ROLLED_BACK),
        Arguments.of(Phase.RESTORE_TARGET, StepStatus.SUCCEEDED,
            List.of("moveTraffic", "resumeTarget", "destroySource"), MigrationState.SUCCEEDED),
        Arguments.of(Phase.MOVE_TRAFFIC, StepStatus.RUNNING,
            List.of("moveTraffic", "resumeTarget", "destroySource"), MigrationState.SUCCEEDED),
        Arguments.of(Phase.MOVE_TRAFFIC, StepStatus.SUCCEEDED,
            List.of("resumeTarget", "destroySource"), MigrationState.SUCCEEDED),
        Arguments.of(Phase.RESUME, StepStatus.RUNNING,
            List.of("resumeTarget", "destroySource"), MigrationState.SUCCEEDED),
        Arguments.of(Phase.RESUME, StepStatus.SUCCEEDED, List.of("destroySource"), MigrationState.SUCCEEDED),
        Arguments.of(Phase.DESTROY_SOURCE, StepStatus.RUNNING, List.of("destroySource"), MigrationState.SUCCEEDED));
  }

  static List<MigrationSnapshot> recordRun(RecordingSteps steps) {
    List<MigrationSnapshot> published = new ArrayList<>();
    new MigrationMachine(MigrationMachineTest.ctx(), steps).clock(steps.clock).listener(published::add).run();
    return published;
  }

  static MigrationSnapshot find(List<MigrationSnapshot> all, Phase phase, StepStatus status) {
    return all.stream()
        .filter(s -> s.phase() == phase && s.phase(phase).status() == status && !s.state().isTerminal())
        .findFirst().orElseThrow(() -> new AssertionError("no snapshot with " + phase + " " + status));
  }

  @ParameterizedTest(name = "restart with {0} {1}")
  @MethodSource("happyRunSnapshots")
  void restartDuringAHappyRun(Phase phase, StepStatus status, List<String> expectedCalls, MigrationState end) {
    MigrationSnapshot persisted = find(recordRun(new RecordingSteps()), phase, status);
    assertThat(persisted.state()).isEqualTo(MigrationState.RUNNING);

    RecordingSteps afterRestart = new RecordingSteps();
    List<MigrationSnapshot> published = new ArrayList<>();
    MigrationSnapshot s = MigrationMachine.resume(persisted, afterRestart)
        .clock(afterRestart.clock).listener(published::add).run();

    assertThat(afterRestart.calls).isEqualTo(expectedCalls);
    assertThat(s.state()).isEqualTo(end);
    assertThat(s.recoveries()).isEqualTo(1);
    assertThat(s.attributes()).isEqualTo(persisted.attributes());
    if (end == MigrationState.ROLLED_BACK) {
      assertThat(s.error()).isEqualTo("controller restarted during " + phase + "; rolled back");
    } else {
      assertThat(s.phases()).extracting(StepRecord::status).containsOnly(StepStatus.SUCCEEDED);
      assertThat(s.downtimeMicros()).isPositive();
    }
    assertThat(published).isNotEmpty().last().isEqualTo(s);
  }

  @Test
  void restartWhilePendingRunsFromTheStart() {
    MigrationSnapshot pending = new MigrationMachine(MigrationMachineTest.ctx(), new RecordingSteps()).snapshot();
    assertThat(pending.state()).isEqualTo(MigrationState.PENDING);
    RecordingSteps steps = new RecordingSteps();
    assertThat(MigrationMachine.resume(pending, steps).run().state()).isEqualTo(MigrationState.SUCCEEDED);
    assertThat(steps.calls).isEqualTo(MigrationMachineTest.FORWARD);
  }

  @Test
  void restartAfterTheEndDoesNothing() {
    List<MigrationSnapshot> all = recordRun(new RecordingSteps());
    MigrationSnapshot done = all.get(all.size() - 1);
    RecordingSteps steps = new RecordingSteps();
    MigrationSnapshot s = MigrationMachine.resume(done, steps).run();
    assertThat(steps.calls).isEmpty();
    assertThat(s).isEqualTo(done);
  }

  @Test
  void restartDuringRollbackRerunsTheUnfinishedCompensations() {
    RecordingSteps first = new RecordingSteps()
        .failOn("resumeTarget", new IOException("target guest crashed"));
    List<MigrationSnapshot> all = recordRun(first);
    assertThat(first.calls).endsWith("restoreTrafficToSource", "resumeSource", "discardTarget");
    // The snapshot published when RESUME_SOURCE started: RESTORE_TRAFFIC_TO_SOURCE already done.
    MigrationSnapshot midRollback = all.stream()
        .filter(s -> s.state() == MigrationState.ROLLING_BACK
            && s.compensation(Compensation.RESUME_SOURCE).orElseThrow().status() == StepStatus.RUNNING)
        .findFirst().orElseThrow();

    RecordingSteps steps = new RecordingSteps();
    MigrationSnapshot s = MigrationMachine.resume(midRollback, steps).clock(steps.clock).run();
    assertThat(steps.calls).containsExactly("resumeSource", "discardTarget");
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.error()).isEqualTo("RESUME failed: IOException: target guest crashed");
    assertThat(s.failedPhase()).isEqualTo(Phase.RESUME);
  }

  @Test
  void rollForwardThatFailsRollsBack() {
    MigrationSnapshot persisted = find(recordRun(new RecordingSteps()), Phase.MOVE_TRAFFIC, StepStatus.RUNNING);
    RecordingSteps steps = new RecordingSteps().failOn("resumeTarget", new IOException("no such guest"));
    MigrationSnapshot s = MigrationMachine.resume(persisted, steps).clock(steps.clock).run();
    assertThat(steps.calls).containsExactly("moveTraffic", "resumeTarget",
        "restoreTrafficToSource", "resumeSource", "discardTarget");
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
  }

  @Test
  void snapshotsAreRebuiltFromTheirComponentsAndValidated() {
    MigrationSnapshot s = find(recordRun(new RecordingSteps()), Phase.TRANSFER, StepStatus.RUNNING);
    // what a controller does when it stores columns and reads them back
    MigrationSnapshot copy = new MigrationSnapshot(s.migrationId(), s.guestId(), s.sourceNode(), s.targetNode(),
        s.state(), s.phase(), s.failedPhase(), s.error(), s.cleanupError(), new ArrayList<>(s.phases()),
        new ArrayList<>(s.compensations()), s.attributes(), s.createdAt(), s.updatedAt(), s.finishedAt(),
        s.downtimeMicros(), s.totalMicros(), s.recoveries());
    assertThat(copy).isEqualTo(s);
    assertThatThrownBy(() -> new MigrationSnapshot(s.migrationId(), s.guestId(), s.sourceNode(), s.targetNode(),
        s.state(), s.phase(), null, null, null, s.phases().subList(0, 7), List.of(), s.attributes(),
        s.createdAt(), s.updatedAt(), null, -1, -1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("7 phase records, expected 8");
  }
}
