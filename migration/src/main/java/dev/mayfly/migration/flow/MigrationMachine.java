package dev.mayfly.migration.flow;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one migration through its {@link Phase}s, compensating on failure or abort.
 *
 * <pre>
 * PREPARE_TARGET → PAUSE_SOURCE → CHECKPOINT → TRANSFER → RESTORE_TARGET → MOVE_TRAFFIC → RESUME → DESTROY_SOURCE
 * </pre>
 *
 * <p>Rollback rules (the furthest phase started decides, see {@link Compensation#plan(Phase)}):
 * <ul>
 *   <li>failure or abort at {@code PREPARE_TARGET}: discard the target;</li>
 *   <li>at {@code PAUSE_SOURCE} .. {@code RESTORE_TARGET}: resume the source, discard the target;</li>
 *   <li>at {@code MOVE_TRAFFIC} or {@code RESUME}: restore traffic to the source, resume the
 *       source, discard the target;</li>
 *   <li>at {@code DESTROY_SOURCE} (after the point of no return): no rollback; the migration
 *       SUCCEEDED with a {@code cleanupError}.</li>
 * </ul>
 * Every compensation in the plan is attempted even if an earlier one fails (so the source is
 * always resumed); if any fails the migration ends FAILED, else ROLLED_BACK.
 *
 * <p>Threading: {@link #run()} executes on the caller's thread and returns the terminal
 * snapshot. {@link #snapshot()} and {@link #abort(String)} may be called from any thread.
 */
public final class MigrationMachine {
  private static final Logger log = LoggerFactory.getLogger(MigrationMachine.class);
  private static final Phase[] PHASES = Phase.values();

  private final MigrationContext ctx;
  private final MigrationSteps steps;
  private MigrationListener listener = MigrationListener.NONE;
  private MigrationClock clock = MigrationClock.monotonic();

  // guarded by this
  private MigrationState state;
  private Phase phase;
  private Phase failedPhase;
  private String error;
  private String cleanupError;
  private final StepRecord[] phases;
  private final List<StepRecord> compensations;
  private final Instant createdAt;
  private Instant updatedAt;
  private Instant finishedAt;
  private final int recoveries;
  private boolean started;

  private volatile String abortReason;
  private final Object interruptLock = new Object();
  private Thread runner; // guarded by interruptLock
  private boolean interruptible; // guarded by interruptLock

  /** A new migration in state PENDING. */
  public MigrationMachine(MigrationContext ctx, MigrationSteps steps) {
    this.ctx = Objects.requireNonNull(ctx, "ctx");
    this.steps = Objects.requireNonNull(steps, "steps");
    this.state = MigrationState.PENDING;
    this.phases = new StepRecord[PHASES.length];
    for (Phase p : PHASES) phases[p.ordinal()] = StepRecord.pending(p.name());
    this.compensations = new ArrayList<>();
    this.createdAt = clock.now();
    this.updatedAt = createdAt;
    this.recoveries = 0;
  }

  private MigrationMachine(MigrationSnapshot s, MigrationSteps steps) {
    this.ctx = new MigrationContext(s.migrationId(), s.guestId(), s.sourceNode(), s.targetNode());
    ctx.attributes().putAll(s.attributes());
    this.steps = Objects.requireNonNull(steps, "steps");
    this.state = s.state();
    this.phase = s.phase();
    this.failedPhase = s.failedPhase();
    this.error = s.error();
    this.cleanupError = s.cleanupError();
    this.phases = s.phases().toArray(new StepRecord[0]);
    this.compensations = new ArrayList<>(s.compensations());
    this.createdAt = s.createdAt();
    this.updatedAt = s.updatedAt();
    this.finishedAt = s.finishedAt();
    this.recoveries = s.state().isTerminal() ? s.recoveries() : s.recoveries() + 1;
  }

  /**
   * A machine that continues a migration from its last persisted snapshot, typically after a
   * controller restart. {@link #run()} then applies the recovery rule:
   * <ul>
   *   <li>terminal: nothing to do;</li>
   *   <li>PENDING: nothing was started, run from the first phase;</li>
   *   <li>ROLLING_BACK: re-run every compensation of the plan that had not succeeded;</li>
   *   <li>RUNNING and {@code RESTORE_TARGET} had not succeeded (the target does not hold the
   *       state): roll back with the plan for the furthest phase started;</li>
   *   <li>RUNNING and {@code RESTORE_TARGET} succeeded: roll forward, re-running the first phase
   *       that had not succeeded (steps are idempotent); a failure there rolls back as usual, until
   *       {@code RESUME} succeeded, after which only {@code DESTROY_SOURCE} remains.</li>
   * </ul>
   */
  public static MigrationMachine resume(MigrationSnapshot snapshot, MigrationSteps steps) {
    return new MigrationMachine(Objects.requireNonNull(snapshot, "snapshot"), steps);
  }

  /** Where snapshots go (default: nowhere). Set before {@link #run()}. */
  public MigrationMachine listener(MigrationListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** The time source of timings (default {@link MigrationClock#monotonic()}). Set before {@link #run()}. */
  public MigrationMachine clock(MigrationClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  public MigrationContext context() {
    return ctx;
  }

  /**
   * Asks the migration to stop and roll back. Honoured at the next phase boundary; the phase
   * running now is interrupted ({@link Thread#interrupt()}), so a step blocked in an
   * interruptible wait fails at once. Ignored (returns false) once {@code RESUME} succeeded or
   * the migration is terminal.
   */
  public boolean abort(String reason) {
    synchronized (this) {
      if (state.isTerminal() || phases[Phase.RESUME.ordinal()].status() == StepStatus.SUCCEEDED) {
        return false;
      }
      if (abortReason == null) abortReason = reason == null ? "aborted" : reason;
    }
    synchronized (interruptLock) {
      if (interruptible && runner != null) runner.interrupt();
    }
    return true;
  }

  /** Runs the migration to a terminal state on this thread; returns the final snapshot. Call once. */
  public MigrationSnapshot run() {
    synchronized (this) {
      if (started) throw new IllegalStateException("run() already called for " + ctx);
      started = true;
    }
    synchronized (interruptLock) {
      runner = Thread.currentThread();
    }
    try {
      MigrationState at;
      synchronized (this) {
        at = state;
      }
      switch (at) {
        case SUCCEEDED, FAILED, ROLLED_BACK -> { }
        case PENDING -> forward(0);
        case ROLLING_BACK -> rollBack();
        case RUNNING -> recover();
      }
      return snapshot();
    } finally {
      synchronized (interruptLock) {
        runner = null;
        interruptible = false;
        Thread.interrupted();
      }
    }
  }

  /** A consistent copy of the current state. */
  public synchronized MigrationSnapshot snapshot() {
    return new MigrationSnapshot(ctx.migrationId(), ctx.guestId(), ctx.sourceNode(), ctx.targetNode(),
        state, phase, failedPhase, error, cleanupError, Arrays.asList(phases.clone()), compensations,
        ctx.attributes(), createdAt, updatedAt, finishedAt, downtimeMicros(), totalMicros(), recoveries);
  }

  // ---------------------------------------------------------------------------------------------

  private void recover() {
    int from;
    Phase reached;
    synchronized (this) {
      reached = furthestStarted();
      boolean restored = phases[Phase.RESTORE_TARGET.ordinal()].status() == StepStatus.SUCCEEDED;
      boolean failedForward = Arrays.stream(phases).anyMatch(r -> r.status() == StepStatus.FAILED);
      if (!restored || failedForward) {
        from = -1;
      } else {
        from = Phase.MOVE_TRAFFIC.ordinal();
        while (from < PHASES.length && phases[from].status() == StepStatus.SUCCEEDED) from++;
      }
    }
    if (reached == null) {
      log.info("{}: controller restarted before any phase started; running from the start", ctx);
      forward(0);
    } else if (from < 0) {
      log.warn("{}: controller restarted during {}; target does not hold the state, rolling back", ctx, reached);
      fail(reached, "controller restarted during " + reached + "; rolled back", reached);
    } else {
      log.info("{}: controller restarted after RESTORE_TARGET; rolling forward from {}", ctx,
          from < PHASES.length ? PHASES[from] : "the end");
      if (from == PHASES.length) finish(MigrationState.SUCCEEDED);
      else forward(from);
    }
  }

  private void forward(int from) {
    for (int i = from; i < PHASES.length; i++) {
      Phase p = PHASES[i];
      if (p != Phase.DESTROY_SOURCE && abortReason != null) {
        Phase reached;
        synchronized (this) {
          reached = furthestStarted();
        }
        fail(p, "aborted before " + p + ": " + abortReason, reached);
        return;
      }
      if (p == Phase.PAUSE_SOURCE && runsLive()) {
        if (!runLive()) return;
        i = Phase.RESUME.ordinal(); // next: DESTROY_SOURCE
        continue;
      }
      synchronized (this) {
        state = MigrationState.RUNNING;
        phase = p;
        phases[i] = phases[i].started(clock.now());
        updatedAt = phases[i].startedAt();
      }
      String failure = publishForward(p);
      if (failure == null) failure = invoke(p);
      synchronized (this) {
        phases[i] = phases[i].ended(clock.now(), failure);
        updatedAt = phases[i].endedAt();
      }
      if (p == Phase.DESTROY_SOURCE) {
        if (failure != null) {
          log.warn("{}: migrated, but destroying the source failed: {}", ctx, failure);
          synchronized (this) {
            cleanupError = "DESTROY_SOURCE failed: " + failure;
          }
        }
        finish(MigrationState.SUCCEEDED);
        return;
      }
      if (failure == null) failure = publishForward(p);
      if (failure != null) {
        fail(p, p + " failed: " + failure, p);
        return;
      }
    }
  }

  private boolean runsLive() {
    try {
      boolean live = steps.runsLive(ctx);
      if (live) ctx.attributes().put("live", "true");
      return live;
    } catch (RuntimeException e) {
      log.warn("{}: runsLive failed ({}); running the phases one by one", ctx, describe(e));
      return false;
    }
  }

  /**
   * The downtime as one call ({@link MigrationSteps#live}): PAUSE_SOURCE is recorded as started
   * (and published) before the call; afterwards each phase the agents completed is recorded with
   * the duration they measured, laid end to end from that start, and a failed phase from the end
   * of the last completed one to now. Returns true if all six succeeded (and were recorded).
   */
  private boolean runLive() {
    Instant t0;
    synchronized (this) {
      state = MigrationState.RUNNING;
      phase = Phase.PAUSE_SOURCE;
      t0 = clock.now();
      phases[Phase.PAUSE_SOURCE.ordinal()] = phases[Phase.PAUSE_SOURCE.ordinal()].started(t0);
      updatedAt = t0;
    }
    String failure = publishForward(Phase.PAUSE_SOURCE);
    List<LiveTiming> done = List.of();
    Phase failedAt = Phase.PAUSE_SOURCE;
    if (failure == null) {
      synchronized (interruptLock) {
        if (abortReason != null) failure = "aborted: " + abortReason;
        else interruptible = true;
      }
    }
    if (failure == null) {
      try {
        done = steps.live(ctx);
        String bad = checkLive(done, Phase.LIVE.size());
        if (bad != null) {
          failure = bad;
          failedAt = Phase.RESUME; // where the agents stand is unknown: the full rollback plan
          done = List.of();
        }
      } catch (LiveMigrationException e) {
        done = e.completed();
        failedAt = e.phase();
        String bad = checkLive(done, Phase.LIVE.indexOf(failedAt));
        failure = e.getMessage() == null || e.getMessage().isBlank() ? describe(e) : e.getMessage();
        if (bad != null) {
          failure = failure + " (" + bad + ")";
          done = List.of();
        }
        if (abortReason != null && e.getCause() instanceof InterruptedException) {
          failure = "aborted: " + abortReason + " (" + failure + ")";
        }
      } catch (Exception e) {
        failure = describe(e);
        if (e instanceof InterruptedException && abortReason != null) {
          failure = "aborted: " + abortReason + " (" + failure + ")";
        }
      } finally {
        synchronized (interruptLock) {
          interruptible = false;
          Thread.interrupted();
        }
      }
    }
    Instant end = clock.now();
    synchronized (this) {
      Instant at = t0;
      for (LiveTiming t : done) {
        Instant e = at.plusNanos(t.micros() * 1000L);
        if (e.isAfter(end)) e = end;
        int k = t.phase().ordinal();
        phases[k] = phases[k].started(at).ended(e, null);
        at = e;
      }
      if (failure != null) {
        int k = failedAt.ordinal();
        phases[k] = phases[k].started(at).ended(end, failure);
        phase = failedAt;
      } else {
        phase = Phase.RESUME;
      }
      updatedAt = end;
    }
    if (failure == null) failure = publishForward(Phase.RESUME);
    else {
      fail(failedAt, failedAt + " failed: " + failure, failedAt);
      return false;
    }
    if (failure != null) {
      fail(Phase.RESUME, "RESUME failed: " + failure, Phase.RESUME);
      return false;
    }
    return true;
  }

  /** Null if {@code done} is the first {@code n} live phases in order, else what is wrong. */
  private static String checkLive(List<LiveTiming> done, int n) {
    List<Phase> got = done == null ? null : done.stream().map(LiveTiming::phase).toList();
    if (got != null && got.equals(Phase.LIVE.subList(0, Math.max(0, n)))) return null;
    return "the agents reported the phases " + got + ", expected " + Phase.LIVE.subList(0, Math.max(0, n));
  }

  private String invoke(Phase p) {
    synchronized (interruptLock) {
      if (abortReason != null && p != Phase.DESTROY_SOURCE) return "aborted: " + abortReason;
      interruptible = p != Phase.DESTROY_SOURCE;
    }
    try {
      switch (p) {
        case PREPARE_TARGET -> steps.prepareTarget(ctx);
        case PAUSE_SOURCE -> steps.pauseSource(ctx);
        case CHECKPOINT -> steps.checkpoint(ctx);
        case TRANSFER -> steps.transfer(ctx);
        case RESTORE_TARGET -> steps.restoreTarget(ctx);
        case MOVE_TRAFFIC -> steps.moveTraffic(ctx);
        case RESUME -> steps.resumeTarget(ctx);
        case DESTROY_SOURCE -> steps.destroySource(ctx);
      }
      return null;
    } catch (Exception e) {
      String why = describe(e);
      if (e instanceof InterruptedException && abortReason != null) why = "aborted: " + abortReason + " (" + why + ")";
      return why;
    } finally {
      synchronized (interruptLock) {
        interruptible = false;
        Thread.interrupted();
      }
    }
  }

  private String invoke(Compensation c) {
    try {
      switch (c) {
        case RESTORE_TRAFFIC_TO_SOURCE -> steps.restoreTrafficToSource(ctx);
        case RESUME_SOURCE -> steps.resumeSource(ctx);
        case DISCARD_TARGET -> steps.discardTarget(ctx);
      }
      return null;
    } catch (Exception e) {
      return describe(e);
    }
  }

  /** Records the failure, plans the compensations for {@code reached}, and runs them. */
  private void fail(Phase at, String why, Phase reached) {
    log.warn("{}: {}; compensations {}", ctx, why, Compensation.plan(reached));
    synchronized (this) {
      state = MigrationState.ROLLING_BACK;
      failedPhase = at;
      error = why;
      compensations.clear();
      for (Compensation c : Compensation.plan(reached)) compensations.add(StepRecord.pending(c.name()));
      updatedAt = clock.now();
    }
    publishQuietly();
    rollBack();
  }

  private void rollBack() {
    List<String> failed = new ArrayList<>();
    int n;
    synchronized (this) {
      n = compensations.size();
    }
    for (int j = 0; j < n; j++) {
      Compensation c;
      synchronized (this) {
        if (compensations.get(j).status() == StepStatus.SUCCEEDED) continue;
        c = Compensation.valueOf(compensations.get(j).step());
        compensations.set(j, compensations.get(j).started(clock.now()));
        updatedAt = compensations.get(j).startedAt();
      }
      publishQuietly();
      String failure = invoke(c);
      synchronized (this) {
        compensations.set(j, compensations.get(j).ended(clock.now(), failure));
        updatedAt = compensations.get(j).endedAt();
      }
      if (failure != null) {
        log.error("{}: compensation {} failed: {}", ctx, c, failure);
        failed.add(c + " failed: " + failure);
      }
      publishQuietly();
    }
    if (!failed.isEmpty()) {
      synchronized (this) {
        error = (error == null ? "" : error + "; ") + "compensation " + String.join("; ", failed);
      }
      finish(MigrationState.FAILED);
    } else {
      finish(MigrationState.ROLLED_BACK);
    }
  }

  private void finish(MigrationState end) {
    synchronized (this) {
      for (int i = 0; i < phases.length; i++) {
        if (phases[i].status() == StepStatus.PENDING) phases[i] = phases[i].skipped();
      }
      state = end;
      finishedAt = clock.now();
      updatedAt = finishedAt;
    }
    log.info("{}: {} (downtime {} ms, total {} ms){}", ctx, end, downtimeMicros() / 1000.0,
        totalMicros() / 1000.0, error == null ? "" : ": " + error);
    publishQuietly();
  }

  /** Publishes; returns a failure text if the listener threw. */
  private String publishForward(Phase p) {
    try {
      listener.onChange(snapshot());
      return null;
    } catch (Exception e) {
      return "recording the state failed: " + describe(e);
    }
  }

  private void publishQuietly() {
    try {
      listener.onChange(snapshot());
    } catch (Exception e) {
      log.warn("{}: listener failed while rolling back or finishing (ignored): {}", ctx, describe(e));
    }
  }

  private Phase furthestStarted() {
    for (int i = PHASES.length - 1; i >= 0; i--) {
      StepStatus s = phases[i].status();
      if (s != StepStatus.PENDING && s != StepStatus.SKIPPED) return PHASES[i];
    }
    return null;
  }

  private synchronized long downtimeMicros() {
    StepRecord pause = phases[Phase.PAUSE_SOURCE.ordinal()];
    if (pause.startedAt() == null) return -1;
    StepRecord resume = phases[Phase.RESUME.ordinal()];
    if (resume.status() == StepStatus.SUCCEEDED) return StepRecord.micros(pause.startedAt(), resume.endedAt());
    for (StepRecord c : compensations) {
      if (c.step().equals(Compensation.RESUME_SOURCE.name()) && c.status() == StepStatus.SUCCEEDED) {
        return StepRecord.micros(pause.startedAt(), c.endedAt());
      }
    }
    return -1;
  }

  private synchronized long totalMicros() {
    if (finishedAt == null) return -1;
    Instant first = phases[0].startedAt();
    return first == null ? 0 : StepRecord.micros(first, finishedAt);
  }

  static String describe(Throwable e) {
    while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) {
      e = e.getCause();
    }
    String msg = e.getMessage();
    return msg == null || msg.isBlank() ? e.getClass().getName() : e.getClass().getSimpleName() + ": " + msg;
  }
}
