package dev.mayfly.agent;

import com.google.protobuf.ByteString;
import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.migration.AgentMigrations;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.Timing;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs controller commands against the {@link GuestDriver} on a worker executor, never on
 * the Netty event loop.
 *
 * <ul>
 *   <li>Commands for one guest run one after another, in arrival order; different guests
 *       run in parallel.
 *   <li>Idempotency: per guest the last successfully applied (generation, action) and its
 *       result are kept. The same (guest_id, generation, action) again is answered with the
 *       stored result (new command_id) without touching the driver. A command with a
 *       generation below the last applied one is refused with {@code STALE_GENERATION}.
 *       Failed commands are not remembered: repeating one tries again.
 *   <li>A create for a guest the driver already runs at that generation (re-adopted after
 *       an agent restart, when the memory above is empty) answers with its current state.
 *   <li>Unsupported actions (driver lacks the capability interface, or no driver at all)
 *       answer {@code UNSUPPORTED}.
 * </ul>
 */
public final class CommandDispatcher {
  private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);

  private final LoadedDriver loaded;
  private final Executor workers;
  private final BootStats bootStats;
  private final Map<String, GuestRecord> guests = new ConcurrentHashMap<>();
  private volatile AgentMigrations migrations; // null: no data-plane address, no migrations
  private final java.util.concurrent.atomic.AtomicLong okCount =
      new java.util.concurrent.atomic.AtomicLong();

  /** Commands applied successfully since start (the agent logs the rate periodically). */
  public long okCount() {
    return okCount.get();
  }

  private static final class GuestRecord {
    CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    long appliedGeneration = -1;
    Command.ActionCase appliedAction;
    CommandResult appliedResult;
  }

  CommandDispatcher(LoadedDriver loaded, Executor workers, BootStats bootStats) {
    this.loaded = loaded;
    this.workers = workers;
    this.bootStats = bootStats;
  }

  public CommandDispatcher(LoadedDriver loaded, Executor workers) {
    this(loaded, workers, new BootStats());
  }

  /**
   * Worker threads for commands: MAYFLY_AGENT_WORKERS, default max(4, 2 x cpus). A create
   * spends most of its time waiting (for the guest's ack, for the RTNL lock), so a few more
   * workers than cores keep the cores busy.
   */
  public static int defaultWorkers() {
    String v = System.getenv("MAYFLY_AGENT_WORKERS");
    if (v != null && !v.isBlank()) {
      try {
        return Math.max(1, Math.min(256, Integer.parseInt(v.trim())));
      } catch (NumberFormatException e) {
        log.warn("MAYFLY_AGENT_WORKERS: not a number: {} (using the default)", v);
      }
    }
    return Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
  }

  /** Enables the migration actions (issue 6); see {@link AgentMigrations}. */
  public void migrations(AgentMigrations m) {
    this.migrations = m;
  }

  /** Queues {@code cmd}; {@code reply} gets exactly one result (on a worker thread). */
  public void dispatch(Command cmd, Consumer<CommandResult> reply) {
    long received = System.nanoTime();
    if (cmd.getGuestId().isEmpty() || cmd.getActionCase() == Command.ActionCase.ACTION_NOT_SET) {
      String why = cmd.getGuestId().isEmpty() ? "guest_id is empty" : "action is not set";
      workers.execute(() -> reply.accept(failure(cmd, "BAD_COMMAND", why, received, received)));
      return;
    }
    GuestRecord rec = guests.computeIfAbsent(cmd.getGuestId(), k -> new GuestRecord());
    synchronized (rec) {
      rec.tail = rec.tail.thenRunAsync(() -> {
        CommandResult r;
        try {
          r = execute(cmd, rec, received);
        } catch (RuntimeException | Error e) {
          log.error("command {} ({}) on guest {} failed", cmd.getCommandId(), cmd.getActionCase(),
              cmd.getGuestId(), e);
          r = failure(cmd, "INTERNAL", e.toString(), received, System.nanoTime());
        }
        try {
          reply.accept(r);
        } catch (RuntimeException e) {
          log.warn("sending result of {}: {}", cmd.getCommandId(), e.getMessage());
        }
      }, workers);
    }
  }

  private CommandResult execute(Command cmd, GuestRecord rec, long received) {
    long started = System.nanoTime();
    // ReadHandlers only reads: never answered from the memory below, never refused as stale,
    // and never remembered as the guest's applied command (live counters, issue 7)
    boolean readOnly = cmd.getActionCase() == Command.ActionCase.READ_HANDLERS;
    synchronized (rec) {
      if (!readOnly && rec.appliedResult != null && rec.appliedGeneration == cmd.getGeneration()
          && rec.appliedAction == cmd.getActionCase()) {
        log.info("{} {} gen {}: already applied, answering with the stored result",
            cmd.getActionCase(), cmd.getGuestId(), cmd.getGeneration());
        return rec.appliedResult.toBuilder().setCommandId(cmd.getCommandId()).build();
      }
      if (!readOnly && rec.appliedResult != null && cmd.getGeneration() < rec.appliedGeneration) {
        return failure(cmd, "STALE_GENERATION", "generation " + cmd.getGeneration()
            + " is older than the applied generation " + rec.appliedGeneration, received, started);
      }
    }
    if (!loaded.available()) {
      return failure(cmd, GuestException.Code.UNSUPPORTED.name(), loaded.unavailableReason(),
          received, started);
    }
    CommandResult.Builder ok = CommandResult.newBuilder();
    try {
      apply(cmd, ok);
    } catch (GuestException e) {
      log.info("{} {} gen {}: {} {}", cmd.getActionCase(), cmd.getGuestId(), cmd.getGeneration(),
          e.code(), e.getMessage());
      return failure(cmd, e.code().name(), e.getMessage(), received, started);
    }
    long done = System.nanoTime();
    CommandResult r = ok.setCommandId(cmd.getCommandId())
        .setGuestId(cmd.getGuestId())
        .setGeneration(cmd.getGeneration())
        .setOk(true)
        .addTimings(timing("queued", started - received))
        .addTimings(timing("total", done - started))
        .build();
    if (cmd.getActionCase() == Command.ActionCase.CREATE && r.getTimingsCount() > 2) {
      bootStats.record((done - started) / 1e6); // only real boots (they carry driver timings)
    }
    if (readOnly) {
      return r;
    }
    synchronized (rec) {
      rec.appliedGeneration = cmd.getGeneration();
      rec.appliedAction = cmd.getActionCase();
      rec.appliedResult = r;
    }
    if (log.isDebugEnabled()) { // one line per command costs too much at 1000 creates/s
      log.debug("{} {} gen {}: ok ({} ms)", cmd.getActionCase(), cmd.getGuestId(),
          cmd.getGeneration(), String.format("%.2f", (done - started) / 1e6));
    }
    okCount.incrementAndGet();
    return r;
  }

  private void apply(Command cmd, CommandResult.Builder out) throws GuestException {
    GuestDriver d = loaded.driver();
    String id = cmd.getGuestId();
    if (AgentMigrations.isMigration(cmd)) { // issue 6: ExpectMigration, MigrateOut, ...
      AgentMigrations m = migrations;
      if (m == null) {
        throw new GuestException(GuestException.Code.UNSUPPORTED,
            "this agent has no --data-plane-address and takes no part in migrations");
      }
      m.apply(cmd, d, new AgentMigrations.Specs() {
        @Override
        public GuestSpec spec(dev.mayfly.southbound.v1.GuestSpec s) {
          return ProtoMapping.spec(id, cmd.getGeneration(), s);
        }

        @Override
        public Optional<Shell> shell(GuestSpec spec) {
          return takeShell(spec);
        }
      }, out);
      return;
    }
    switch (cmd.getActionCase()) {
      case CREATE -> {
        Optional<GuestInfo> existing = d.inspect(id);
        if (existing.isPresent() && existing.get().generation() == cmd.getGeneration()
            && isLive(existing.get().state())) {
          // e.g. after an agent restart: the driver re-adopted this guest; do not boot twice
          log.info("create {} gen {}: guest already {}", id, cmd.getGeneration(),
              existing.get().state());
          out.setState(ProtoMapping.state(existing.get().state()));
          return;
        }
        GuestSpec spec = ProtoMapping.spec(id, cmd.getGeneration(), cmd.getCreate().getSpec());
        GuestInfo info = d.boot(spec, takeShell(spec));
        out.setState(ProtoMapping.state(info.state()));
        addDriverTimings(out, info);
      }
      case DESTROY -> {
        d.destroy(id);
        out.setState(GuestState.DESTROYED);
      }
      case PAUSE -> {
        pausable(d).pause(id);
        out.setState(GuestState.PAUSED);
      }
      case UNPAUSE -> {
        pausable(d).unpause(id);
        out.setState(GuestState.RUNNING);
      }
      case CHECKPOINT -> {
        byte[] state = checkpointable(d).checkpoint(id);
        out.setCheckpoint(ByteString.copyFrom(state)).setState(GuestState.CHECKPOINTED);
      }
      case RESTORE -> {
        GuestSpec spec = ProtoMapping.spec(id, cmd.getGeneration(), cmd.getRestore().getSpec());
        GuestInfo info = checkpointable(d).restore(spec,
            cmd.getRestore().getCheckpoint().toByteArray(), takeShell(spec));
        out.setState(ProtoMapping.state(info.state()));
        addDriverTimings(out, info);
      }
      case WRITE_HANDLER -> {
        handlers(d).writeHandler(id, cmd.getWriteHandler().getHandler(),
            cmd.getWriteHandler().getValue());
        out.setState(currentState(d, id));
      }
      case READ_HANDLERS -> {
        out.putAllHandlers(handlers(d).readHandlers(id));
        out.setState(currentState(d, id));
      }
      default -> throw new GuestException(GuestException.Code.UNSUPPORTED,
          "action " + cmd.getActionCase() + " is not supported");
    }
  }

  private static boolean isLive(dev.mayfly.agent.driver.GuestState s) {
    return s == dev.mayfly.agent.driver.GuestState.BOOTING
        || s == dev.mayfly.agent.driver.GuestState.RUNNING
        || s == dev.mayfly.agent.driver.GuestState.PAUSED;
  }

  private Optional<Shell> takeShell(GuestSpec spec) {
    return loaded.pool().flatMap(p -> p.take(spec.shellClass()));
  }

  private static GuestState currentState(GuestDriver d, String id) {
    return d.inspect(id).map(i -> ProtoMapping.state(i.state()))
        .orElse(GuestState.GUEST_STATE_UNSPECIFIED);
  }

  private static void addDriverTimings(CommandResult.Builder out, GuestInfo info) {
    if (info.timingsMs() != null) {
      info.timingsMs().forEach((phase, ms) ->
          out.addTimings(Timing.newBuilder().setPhase(phase).setMillis(ms)));
    }
  }

  private GuestDriver.Pausable pausable(GuestDriver d) throws GuestException {
    if (d instanceof GuestDriver.Pausable p) {
      return p;
    }
    throw unsupported("pause/unpause");
  }

  private GuestDriver.Checkpointable checkpointable(GuestDriver d) throws GuestException {
    if (d instanceof GuestDriver.Checkpointable c) {
      return c;
    }
    throw unsupported("checkpoint/restore");
  }

  private GuestDriver.HandlerAccess handlers(GuestDriver d) throws GuestException {
    if (d instanceof GuestDriver.HandlerAccess h) {
      return h;
    }
    throw unsupported("handlers");
  }

  private GuestException unsupported(String what) {
    return new GuestException(GuestException.Code.UNSUPPORTED,
        "driver " + loaded.name() + " does not support " + what);
  }

  private static CommandResult failure(
      Command cmd, String code, String message, long received, long started) {
    long now = System.nanoTime();
    return CommandResult.newBuilder()
        .setCommandId(cmd.getCommandId())
        .setGuestId(cmd.getGuestId())
        .setGeneration(cmd.getGeneration())
        .setOk(false)
        .setErrorCode(code)
        .setErrorMessage(message == null ? "" : message)
        .setState(GuestState.GUEST_STATE_UNSPECIFIED)
        .addTimings(timing("queued", started - received))
        .addTimings(timing("total", now - started))
        .build();
  }

  private static Timing timing(String phase, long nanos) {
    return Timing.newBuilder().setPhase(phase).setMillis(nanos / 1e6).build();
  }
}
