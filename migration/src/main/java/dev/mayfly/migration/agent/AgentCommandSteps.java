package dev.mayfly.migration.agent;

import dev.mayfly.migration.flow.LiveMigrationException;
import dev.mayfly.migration.flow.LiveTiming;
import dev.mayfly.migration.flow.MigrationContext;
import dev.mayfly.migration.flow.MigrationSteps;
import dev.mayfly.migration.flow.Phase;
import dev.mayfly.southbound.v1.CancelMigration;
import dev.mayfly.southbound.v1.CheckpointGuest;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.DestroyGuest;
import dev.mayfly.southbound.v1.ExpectMigration;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.MigrateOut;
import dev.mayfly.southbound.v1.PauseGuest;
import dev.mayfly.southbound.v1.ReadHandlers;
import dev.mayfly.southbound.v1.RestoreMigrated;
import dev.mayfly.southbound.v1.Timing;
import dev.mayfly.southbound.v1.UnpauseGuest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration phases as southbound commands (docs/migration.md §4, docs/handover.md): the
 * controller's implementation of {@link MigrationSteps}, over any {@link Link} (the controller's
 * southbound connections, or the agents' command dispatchers in {@code bench migrate}). The
 * checkpoint never passes through the caller: agents stream it to each other.
 *
 * <p><b>Live</b> ({@link Mode#LIVE}, the default): {@code PREPARE_TARGET} has the target boot the
 * guest with the same spec and pause it ({@code ExpectMigration{spec}}) and the source open its TLS
 * connection to the target ({@code MigrateOut{open_only}}); then ONE command to the source
 * ({@code MigrateOut{live}}) runs the whole downtime agent to agent: checkpoint, stream, import into
 * the target's guest, which then forwards; the source answers with the six phase timings, which
 * {@link #live} hands to the machine. Then the caller's {@link TrafficMover} records the move.
 * <b>Stop and copy</b> ({@link Mode#STOP_AND_COPY}): one command per phase (pause, checkpoint,
 * migrate-out, restore into a fresh shell), kept as the peer of {@code bench migrate}.
 *
 * <p>Generations: the migration reserved {@code base+1 .. base+10} of the guest's command
 * generations, so every command here is newer than what the agent applied before and older than
 * anything sent after. Source: open +1, pause +2, checkpoint +3, migrate-out (or live) +4,
 * unpause +5, destroy +7. Target: expect +1, restore +2 (the guest booted ahead carries +2 as
 * well), read handlers +3, cancel +5, destroy +6. A repeated step (controller restart) repeats the
 * same (generation, action), which the agent answers from memory.
 */
public class AgentCommandSteps implements MigrationSteps {
  private static final Logger log = LoggerFactory.getLogger(AgentCommandSteps.class);

  /** Generation of the guest on the target (RestoreMigrated, or the guest booted ahead), over base. */
  public static final int RESTORED_GENERATION = 2;

  /** How the phases run. */
  public enum Mode {
    /** Target booted ahead, the downtime in one agent-to-agent command. */
    LIVE,
    /** One command per phase, restore into a fresh shell (the path before live migration). */
    STOP_AND_COPY
  }

  /** A failed agent call: the agent answered not-ok (its error code), or did not answer (UNREACHABLE, TIMEOUT). */
  public static class AgentCallException extends Exception {
    private final String errorCode;

    public AgentCallException(String errorCode, String message) {
      super(message);
      this.errorCode = errorCode;
    }

    public String errorCode() {
      return errorCode;
    }
  }

  /** Sends one command to a node's agent and waits for its result. */
  public interface Link {
    /** @throws AgentCallException not connected, timeout, disconnect, or a result with ok=false */
    CommandResult call(String node, Command cmd, Duration timeout) throws AgentCallException, InterruptedException;

    /** For compensations: waits at most {@code connectWait} for an absent agent. Default: {@link #call}. */
    default CommandResult call(String node, Command cmd, Duration timeout, Duration connectWait)
        throws AgentCallException, InterruptedException {
      return call(node, cmd, timeout);
    }
  }

  /** The traffic switch of one migration (the caller's records) and its undo; both idempotent. */
  public interface TrafficMover {
    void toTarget(MigrationContext ctx) throws Exception;

    void toSource(MigrationContext ctx) throws Exception;
  }

  /** Timeouts of the steps. */
  public record Timeouts(Duration command, Duration transfer, Duration compensationConnectWait) {
    public static Timeouts defaults() {
      return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(5));
    }
  }

  private final Link link;
  private final long base;
  private final Supplier<GuestSpec> targetSpec;
  private final Supplier<String> targetAddress;
  private final TrafficMover traffic;
  private final Timeouts t;
  private final Mode mode;
  private final String token = UUID.randomUUID().toString() + UUID.randomUUID();

  public AgentCommandSteps(Link link, long baseGeneration, Supplier<GuestSpec> targetSpec,
      Supplier<String> targetAddress, TrafficMover traffic, Timeouts timeouts, Mode mode) {
    this.link = Objects.requireNonNull(link, "link");
    this.base = baseGeneration;
    this.targetSpec = Objects.requireNonNull(targetSpec, "targetSpec");
    this.targetAddress = Objects.requireNonNull(targetAddress, "targetAddress");
    this.traffic = Objects.requireNonNull(traffic, "traffic");
    this.t = Objects.requireNonNull(timeouts, "timeouts");
    this.mode = Objects.requireNonNull(mode, "mode");
  }

  public Mode mode() {
    return mode;
  }

  private Command.Builder cmd(MigrationContext ctx, long plus) {
    return Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(ctx.guestId())
        .setGeneration(base + plus);
  }

  private CommandResult call(String node, Command c, Duration timeout) throws AgentCallException, InterruptedException {
    return link.call(node, c, timeout);
  }

  private String address(MigrationContext ctx) {
    String addr = targetAddress.get();
    if (addr == null || addr.isBlank()) {
      throw new IllegalStateException("node " + ctx.targetNode() + " has no data-plane address");
    }
    return addr;
  }

  @Override
  public void prepareTarget(MigrationContext ctx) throws Exception {
    ExpectMigration.Builder e = ExpectMigration.newBuilder().setMigrationId(ctx.migrationId()).setToken(token)
        .setTimeoutMs((int) (t.transfer().toMillis() + t.command().toMillis() * 4));
    if (mode == Mode.LIVE) { // boot the guest there now (ports attached) and keep it paused
      e.setSpec(targetSpec.get()).setGuestGeneration(base + RESTORED_GENERATION);
    }
    CommandResult r = call(ctx.targetNode(), cmd(ctx, 1).setExpectMigration(e).build(), t.command());
    for (Timing tm : r.getTimingsList()) {
      if (tm.getPhase().equals("preboot")) {
        ctx.attributes().put("prebootMs", String.format(Locale.ROOT, "%.3f", tm.getMillis()));
      }
    }
    call(ctx.sourceNode(), cmd(ctx, 1).setMigrateOut(MigrateOut.newBuilder().setMigrationId(ctx.migrationId())
        .setToken(token).setTargetAddress(address(ctx)).setTargetNode(ctx.targetNode()).setOpenOnly(true)).build(),
        t.command());
  }

  @Override
  public boolean runsLive(MigrationContext ctx) {
    return mode == Mode.LIVE;
  }

  /** The agents' names of the live phases, in {@link Phase#LIVE} order. */
  static final List<String> LIVE_TIMINGS = List.of("pause", "checkpoint", "transfer", "restore", "move_traffic",
      "resume");

  @Override
  public List<LiveTiming> live(MigrationContext ctx) throws Exception {
    String addr = address(ctx);
    CommandResult r;
    try {
      r = call(ctx.sourceNode(), cmd(ctx, 4).setMigrateOut(MigrateOut.newBuilder()
          .setMigrationId(ctx.migrationId()).setToken(token).setTargetAddress(addr)
          .setTargetNode(ctx.targetNode()).setLive(true)).build(), t.transfer().plus(t.command()));
    } catch (AgentCallException e) {
      Phase failed = failedPhase(e.getMessage());
      List<LiveTiming> before = new ArrayList<>(); // their durations are not reported on failure
      for (Phase p : Phase.LIVE.subList(0, Phase.LIVE.indexOf(failed))) before.add(new LiveTiming(p, 0));
      throw new LiveMigrationException(failed, before, e.getMessage(), e);
    }
    ctx.attributes().put("checkpointBytes", Long.toString(r.getCheckpointBytes()));
    ctx.attributes().put("transferredBytes", Long.toString(r.getCheckpointBytes()));
    ctx.attributes().put("handlers.source", flowState(r.getHandlersMap())); // as checkpointed
    Map<String, Double> ms = new HashMap<>();
    for (Timing tm : r.getTimingsList()) ms.put(tm.getPhase(), tm.getMillis());
    List<LiveTiming> phases = new ArrayList<>();
    for (int i = 0; i < LIVE_TIMINGS.size(); i++) {
      phases.add(LiveTiming.ofMillis(Phase.LIVE.get(i), ms.getOrDefault(LIVE_TIMINGS.get(i), 0.0)));
    }
    // the data plane has switched (the target guest forwards); now the caller's records follow
    long m0 = System.nanoTime();
    try {
      traffic.toTarget(ctx);
    } catch (Exception e) {
      throw new LiveMigrationException(Phase.MOVE_TRAFFIC, phases.subList(0, 4),
          "the target guest took over, but recording the move failed: " + e.getMessage(), e);
    }
    ctx.attributes().put("trafficRecordMs", String.format(Locale.ROOT, "%.3f", (System.nanoTime() - m0) / 1e6));
    return phases;
  }

  /** The phase a failed live command names at the start of its reason ("TRANSFER: ..."). */
  static Phase failedPhase(String message) {
    if (message != null) {
      int best = Integer.MAX_VALUE;
      Phase found = null;
      for (Phase p : Phase.LIVE) {
        int i = message.indexOf(p.name() + ": ");
        if (i >= 0 && i < best) {
          best = i;
          found = p;
        }
      }
      if (found != null) return found;
    }
    return Phase.PAUSE_SOURCE;
  }

  @Override
  public void pauseSource(MigrationContext ctx) throws Exception {
    try {
      call(ctx.sourceNode(), cmd(ctx, 2).setPause(PauseGuest.getDefaultInstance()).build(), t.command());
    } catch (AgentCallException e) {
      if (!"INVALID_STATE".equals(e.errorCode()) || !e.getMessage().contains("already paused")) {
        throw e;
      }
    }
  }

  @Override
  public void checkpoint(MigrationContext ctx) throws Exception {
    CommandResult r = call(ctx.sourceNode(), cmd(ctx, 3).setCheckpoint(CheckpointGuest.newBuilder()
        .setMigrationId(ctx.migrationId())).build(), t.command());
    ctx.attributes().put("checkpointBytes", Long.toString(r.getCheckpointBytes()));
    ctx.attributes().put("handlers.source", flowState(r.getHandlersMap())); // as checkpointed
  }

  @Override
  public void transfer(MigrationContext ctx) throws Exception {
    String addr = address(ctx);
    CommandResult r = call(ctx.sourceNode(), cmd(ctx, 4).setMigrateOut(MigrateOut.newBuilder()
        .setMigrationId(ctx.migrationId()).setToken(token).setTargetAddress(addr)
        .setTargetNode(ctx.targetNode())).build(), t.transfer());
    ctx.attributes().put("transferredBytes", Long.toString(r.getCheckpointBytes()));
  }

  @Override
  public void restoreTarget(MigrationContext ctx) throws Exception {
    call(ctx.targetNode(), cmd(ctx, RESTORED_GENERATION).setRestoreMigrated(RestoreMigrated.newBuilder()
        .setSpec(targetSpec.get()).setMigrationId(ctx.migrationId()).setTimeoutMs((int) t.transfer().toMillis()))
        .build(), t.transfer().plus(t.command()));
  }

  @Override
  public void moveTraffic(MigrationContext ctx) throws Exception {
    traffic.toTarget(ctx);
  }

  /**
   * Nothing to send: the agent's restore starts the guest running (the sandbox driver boots the
   * restored graph straight away), so downtime ends when the traffic points at it.
   */
  @Override
  public void resumeTarget(MigrationContext ctx) {}

  /**
   * Before the source goes: the flow-state handlers (table sizes, counters) of the target now,
   * next to what the source's checkpoint held, kept in the migration's attributes so an operator
   * or a test can compare them. Best effort, after the downtime.
   */
  private void recordFlowState(MigrationContext ctx) throws InterruptedException {
    try {
      CommandResult d = call(ctx.targetNode(), cmd(ctx, 3).setReadHandlers(ReadHandlers.getDefaultInstance())
          .build(), t.command());
      ctx.attributes().put("handlers.target", flowState(d.getHandlersMap()));
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      log.info("{}: flow state not recorded: {}", ctx, e.getMessage());
    }
  }

  /** Table sizes and counters, "name=value" sorted, at most ~1 KiB. */
  public static String flowState(Map<String, String> h) {
    StringBuilder b = new StringBuilder();
    new java.util.TreeMap<>(h).forEach((k, v) -> {
      if ((k.endsWith(".size") || k.endsWith(".count") || k.endsWith(".drops") || k.endsWith(".byte_count"))
          && b.length() < 1000) {
        b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v);
      }
    });
    return b.toString();
  }

  /** Runs the target's flow-state read next to the source's destroy (both after the downtime). */
  private static final java.util.concurrent.ExecutorService SIDE = java.util.concurrent.Executors.newCachedThreadPool(
      r -> {
        Thread th = new Thread(r, "migration-flow-state");
        th.setDaemon(true);
        return th;
      });

  @Override
  public void destroySource(MigrationContext ctx) throws Exception {
    java.util.concurrent.Future<?> flow = SIDE.submit(() -> {
      try {
        recordFlowState(ctx);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      call(ctx.sourceNode(), cmd(ctx, 7).setDestroy(DestroyGuest.getDefaultInstance()).build(), t.command());
    } catch (AgentCallException e) {
      if (!"NOT_FOUND".equals(e.errorCode())) {
        throw e;
      }
    } finally {
      try {
        flow.get(t.command().toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        log.info("{}: flow state not recorded: {}", ctx, e.getMessage());
        flow.cancel(true);
      }
    }
  }

  @Override
  public void discardTarget(MigrationContext ctx) throws Exception {
    Duration wait = t.compensationConnectWait();
    try {
      link.call(ctx.targetNode(), cmd(ctx, 5).setCancelMigration(CancelMigration.newBuilder()
          .setMigrationId(ctx.migrationId()).setReason("migration rolled back")).build(), t.command(), wait);
      link.call(ctx.targetNode(), cmd(ctx, 6).setDestroy(DestroyGuest.getDefaultInstance()).build(), t.command(),
          wait);
    } catch (AgentCallException e) {
      if ("NOT_FOUND".equals(e.errorCode())) {
        return;
      }
      if ("UNREACHABLE".equals(e.errorCode()) || "TIMEOUT".equals(e.errorCode())) {
        // the target agent is gone: its guest report after a restart lists the guest, which
        // nothing owns there, and the provisioner destroys it
        log.warn("{}: target not reachable for the discard ({}); left to the agent's guest report", ctx,
            e.getMessage());
        return;
      }
      throw e;
    }
  }

  @Override
  public void resumeSource(MigrationContext ctx) throws Exception {
    try {
      call(ctx.sourceNode(), cmd(ctx, 5).setUnpause(UnpauseGuest.getDefaultInstance()).build(), t.command());
    } catch (AgentCallException e) {
      if (!"INVALID_STATE".equals(e.errorCode()) || !e.getMessage().contains("is not paused")) {
        throw e;
      }
    }
  }

  @Override
  public void restoreTrafficToSource(MigrationContext ctx) throws Exception {
    traffic.toSource(ctx);
  }
}
