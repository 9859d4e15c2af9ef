package dev.mayfly.migration.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MigrationMachineTest {
  static final List<String> FORWARD = List.of("prepareTarget", "pauseSource", "checkpoint", "transfer",
      "restoreTarget", "moveTraffic", "resumeTarget", "destroySource");

  static MigrationContext ctx() {
    return new MigrationContext("mig-1", "pfw-ue1", "edge-a", "edge-b");
  }

  static MigrationMachine machine(RecordingSteps steps, List<MigrationSnapshot> published) {
    return new MigrationMachine(ctx(), steps).clock(steps.clock).listener(published::add);
  }

  @Test
  void happyPathRunsThePhasesInOrderWithTimings() {
    RecordingSteps steps = new RecordingSteps();
    List<MigrationSnapshot> published = new ArrayList<>();
    MigrationSnapshot s = machine(steps, published).run();

    assertThat(steps.calls).isEqualTo(FORWARD);
    assertThat(s.state()).isEqualTo(MigrationState.SUCCEEDED);
    assertThat(s.error()).isNull();
    assertThat(s.cleanupError()).isNull();
    assertThat(s.compensations()).isEmpty();
    assertThat(s.phases()).extracting(StepRecord::status).containsOnly(StepStatus.SUCCEEDED);
    assertThat(s.phases()).extracting(StepRecord::micros)
        .containsExactly(1000L, 2000L, 3000L, 4000L, 5000L, 6000L, 7000L, 8000L);
    // downtime: pause start .. resume end = 2+3+4+5+6+7 ms; total = 1+..+8 ms
    assertThat(s.downtimeMicros()).isEqualTo(27_000);
    assertThat(s.downtimeMillis()).isEqualTo(27.0);
    assertThat(s.totalMicros()).isEqualTo(36_000);
    assertThat(s.attributes()).containsEntry("checkpointBytes", "4096");
    assertThat(s.recoveries()).isZero();
    // each phase is published as RUNNING before its step runs, and as ended afterwards
    assertThat(published).hasSize(16);
    assertThat(published.get(0).phase(Phase.PREPARE_TARGET).status()).isEqualTo(StepStatus.RUNNING);
    assertThat(published.get(0).state()).isEqualTo(MigrationState.RUNNING);
    assertThat(published.get(15)).isEqualTo(s);
  }

  @Test
  void listenerSeesThePhaseRunningBeforeTheStepIsCalled() {
    RecordingSteps steps = new RecordingSteps();
    List<MigrationSnapshot> published = new ArrayList<>();
    steps.hooks.put("transfer", () -> {
      MigrationSnapshot last = published.get(published.size() - 1);
      assertThat(last.phase()).isEqualTo(Phase.TRANSFER);
      assertThat(last.phase(Phase.TRANSFER).status()).isEqualTo(StepStatus.RUNNING);
    });
    assertThat(machine(steps, published).run().state()).isEqualTo(MigrationState.SUCCEEDED);
  }

  static Stream<Arguments> failures() {
    List<String> beforePause = List.of("discardTarget");
    List<String> afterPause = List.of("resumeSource", "discardTarget");
    List<String> afterMove = List.of("restoreTrafficToSource", "resumeSource", "discardTarget");
    return Stream.of(
        Arguments.of(Phase.PREPARE_TARGET, beforePause),
        Arguments.of(Phase.PAUSE_SOURCE, afterPause),
        Arguments.of(Phase.CHECKPOINT, afterPause),
        Arguments.of(Phase.TRANSFER, afterPause),
        Arguments.of(Phase.RESTORE_TARGET, afterPause),
        Arguments.of(Phase.MOVE_TRAFFIC, afterMove),
        Arguments.of(Phase.RESUME, afterMove));
  }

  @ParameterizedTest(name = "failure at {0}")
  @MethodSource("failures")
  void failureAtEachPhaseRunsTheRightCompensations(Phase failing, List<String> compensations) {
    RecordingSteps steps = new RecordingSteps().failOn(FORWARD.get(failing.ordinal()), new IOException("boom at " + failing));
    MigrationSnapshot s = machine(steps, new ArrayList<>()).run();

    List<String> expected = new ArrayList<>(FORWARD.subList(0, failing.ordinal() + 1));
    expected.addAll(compensations);
    assertThat(steps.calls).isEqualTo(expected);
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.failedPhase()).isEqualTo(failing);
    assertThat(s.error()).isEqualTo(failing + " failed: IOException: boom at " + failing);
    assertThat(s.phase(failing).status()).isEqualTo(StepStatus.FAILED);
    assertThat(s.phase(failing).error()).isEqualTo("IOException: boom at " + failing);
    for (Phase p : Phase.values()) {
      if (p.compareTo(failing) < 0) assertThat(s.phase(p).status()).isEqualTo(StepStatus.SUCCEEDED);
      if (p.compareTo(failing) > 0) assertThat(s.phase(p).status()).isEqualTo(StepStatus.SKIPPED);
    }
    assertThat(s.compensations()).extracting(StepRecord::step)
        .containsExactlyElementsOf(compensations.stream().map(MigrationMachineTest::compensationName).toList());
    assertThat(s.compensations()).extracting(StepRecord::status).containsOnly(StepStatus.SUCCEEDED);
    if (failing.pausesSource()) {
      // downtime ends when the source is resumed
      long resumeSourceEnd = s.compensation(Compensation.RESUME_SOURCE).orElseThrow().endedAt().toEpochMilli();
      long pauseStart = s.phase(Phase.PAUSE_SOURCE).startedAt().toEpochMilli();
      assertThat(s.downtimeMicros()).isEqualTo((resumeSourceEnd - pauseStart) * 1000);
    } else {
      assertThat(s.downtimeMicros()).isEqualTo(-1);
    }
  }

  static String compensationName(String method) {
    return switch (method) {
      case "discardTarget" -> "DISCARD_TARGET";
      case "resumeSource" -> "RESUME_SOURCE";
      case "restoreTrafficToSource" -> "RESTORE_TRAFFIC_TO_SOURCE";
      default -> throw new IllegalArgumentException(method);
    };
  }

  @Test
  void failureOfDestroySourceDoesNotRollBack() {
    RecordingSteps steps = new RecordingSteps().failOn("destroySource", new IOException("agent gone"));
    MigrationSnapshot s = machine(steps, new ArrayList<>()).run();
    assertThat(steps.calls).isEqualTo(FORWARD);
    assertThat(s.state()).isEqualTo(MigrationState.SUCCEEDED);
    assertThat(s.cleanupError()).isEqualTo("DESTROY_SOURCE failed: IOException: agent gone");
    assertThat(s.error()).isNull();
    assertThat(s.compensations()).isEmpty();
    assertThat(s.downtimeMicros()).isEqualTo(27_000);
  }

  @Test
  void failedCompensationStillRunsTheRestAndEndsFailed() {
    RecordingSteps steps = new RecordingSteps()
        .failOn("moveTraffic", new IOException("netlink refused"))
        .failOn("restoreTrafficToSource", new IllegalStateException("attachment gone"));
    MigrationSnapshot s = machine(steps, new ArrayList<>()).run();
    assertThat(steps.calls).endsWith("moveTraffic", "restoreTrafficToSource", "resumeSource", "discardTarget");
    assertThat(s.state()).isEqualTo(MigrationState.FAILED);
    assertThat(s.error()).contains("MOVE_TRAFFIC failed: IOException: netlink refused")
        .contains("compensation RESTORE_TRAFFIC_TO_SOURCE failed: IllegalStateException: attachment gone");
    assertThat(s.compensation(Compensation.RESUME_SOURCE).orElseThrow().status()).isEqualTo(StepStatus.SUCCEEDED);
  }

  @Test
  void abortBetweenPhasesRollsBack() {
    RecordingSteps steps = new RecordingSteps();
    MigrationMachine m = machine(steps, new ArrayList<>());
    steps.hooks.put("checkpoint", () -> assertThat(m.abort("operator cancelled")).isTrue());
    MigrationSnapshot s = m.run();
    assertThat(steps.calls).containsExactly("prepareTarget", "pauseSource", "checkpoint", "resumeSource", "discardTarget");
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.failedPhase()).isEqualTo(Phase.TRANSFER);
    assertThat(s.error()).isEqualTo("aborted before TRANSFER: operator cancelled");
    assertThat(s.phase(Phase.CHECKPOINT).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(s.phase(Phase.TRANSFER).status()).isEqualTo(StepStatus.SKIPPED);
  }

  @Test
  void abortInterruptsABlockedPhase() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    MigrationSteps blocking = new RecordingSteps() {
      @Override public void transfer(MigrationContext ctx) throws Exception {
        super.transfer(ctx);
        entered.countDown();
        never.await(); // released only by interruption
      }
    };
    MigrationMachine m = new MigrationMachine(ctx(), blocking);
    Thread t = new Thread(() -> {
      try {
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        m.abort("target agent lost");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.start();
    MigrationSnapshot s = m.run();
    t.join();
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.failedPhase()).isEqualTo(Phase.TRANSFER);
    assertThat(s.error()).startsWith("TRANSFER failed: aborted: target agent lost");
    assertThat(((RecordingSteps) blocking).calls).endsWith("transfer", "resumeSource", "discardTarget");
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void abortAfterResumeIsIgnoredAndBeforeStartRollsBackNothing() {
    RecordingSteps steps = new RecordingSteps();
    MigrationMachine m = machine(steps, new ArrayList<>());
    steps.hooks.put("destroySource", () -> assertThat(m.abort("too late")).isFalse());
    assertThat(m.run().state()).isEqualTo(MigrationState.SUCCEEDED);

    RecordingSteps idle = new RecordingSteps();
    MigrationMachine early = machine(idle, new ArrayList<>());
    assertThat(early.abort("changed my mind")).isTrue();
    MigrationSnapshot s = early.run();
    assertThat(idle.calls).isEmpty();
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.error()).isEqualTo("aborted before PREPARE_TARGET: changed my mind");
    assertThat(s.totalMicros()).isZero();
    assertThatThrownBy(early::run).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void listenerFailureRollsBack() {
    RecordingSteps steps = new RecordingSteps();
    MigrationMachine m = new MigrationMachine(ctx(), steps).clock(steps.clock).listener(s -> {
      if (s.phase() == Phase.CHECKPOINT && s.phase(Phase.CHECKPOINT).status() == StepStatus.RUNNING) {
        throw new IOException("database down");
      }
    });
    MigrationSnapshot s = m.run();
    // the checkpoint command never went out: its start could not be recorded
    assertThat(steps.calls).containsExactly("prepareTarget", "pauseSource", "resumeSource", "discardTarget");
    assertThat(s.state()).isEqualTo(MigrationState.ROLLED_BACK);
    assertThat(s.error()).isEqualTo("CHECKPOINT failed: recording the state failed: IOException: database down");
  }

  @Test
  void contextRejectsBadIds() {
    assertThatThrownBy(() -> new MigrationContext("m", "g", "edge-a", "edge-a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both 'edge-a'");
    assertThatThrownBy(() -> new MigrationContext(" ", "g", "a", "b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("migrationId");
  }
}
