package dev.mayfly.controller.migration;

import dev.mayfly.controller.migration.AgentCommands.CommandFailedException;
import dev.mayfly.migration.flow.MigrationContext;
import dev.mayfly.migration.flow.MigrationSteps;
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
import dev.mayfly.southbound.v1.UnpauseGuest;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's {@link MigrationSteps}: each phase is one southbound command to the source or
 * target agent, awaited with a timeout ({@link AgentCommands}). The checkpoint never passes
 * through the controller: the source agent keeps it ({@code CheckpointGuest{migration_id}}) and
 * streams it to the target agent's data-plane address ({@code MigrateOut}, mutual TLS, the
 * {@code migration/} transfer protocol) with a one-time token the target got in
 * {@code ExpectMigration}; the target restores it ({@code RestoreMigrated}).
 *
 * <p>Generations: the migration reserved {@code base+1 .. base+10} of the guest's command
 * generations (the row's generation was raised by 10 when it started), so every command here is
 * newer than what the agent applied before and older than anything the provisioner sends after.
 * Source: open the transfer +1, pause +2, checkpoint +3, migrate-out +4, unpause +5,
 * destroy +7. Target: expect +1, restore +2, read handlers +3, cancel +5, destroy +6. PREPARE_TARGET also has the source open
 * its TLS connection to the target ({@code MigrateOut{open_only}}), so connect, handshake and
 * HELLO stay out of the downtime. A repeated step (controller restart) repeats the same
 * (generation, action), which the agent answers from memory.
 *
 * <p>What "moving the traffic" means is given by the caller ({@link TrafficMover}): for a
 * personal firewall it rewrites the subscriber's edge node and attachment and the firewall
 * guest's row in one transaction (the target guest's {@code access} port was cross-connected to
 * the attachment on the target node by the restore).
 */
public class AgentMigrationSteps implements MigrationSteps {
  private static final Logger log = LoggerFactory.getLogger(AgentMigrationSteps.class);

  /** Timeouts of the steps. */
  public record Timeouts(Duration command, Duration transfer, Duration compensationConnectWait) {
    public static Timeouts defaults() {
      return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(5));
    }
  }

  /** The traffic switch of one migration and its undo; both idempotent. */
  public interface TrafficMover {
    void toTarget(MigrationContext ctx) throws Exception;

    void toSource(MigrationContext ctx) throws Exception;
  }

  private final AgentCommands agents;
  private final long base;
  private final Supplier<GuestSpec> targetSpec;
  private final Supplier<String> targetAddress;
  private final TrafficMover traffic;
  private final Timeouts t;
  private final String token = UUID.randomUUID().toString() + UUID.randomUUID();

  public AgentMigrationSteps(AgentCommands agents, long baseGeneration, Supplier<GuestSpec> targetSpec,
      Supplier<String> targetAddress, TrafficMover traffic, Timeouts timeouts) {
    this.agents = agents;
    this.base = baseGeneration;
    this.targetSpec = targetSpec;
    this.targetAddress = targetAddress;
    this.traffic = traffic;
    this.t = timeouts;
  }

  private Command.Builder cmd(MigrationContext ctx, long plus) {
    return Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(ctx.guestId())
        .setGeneration(base + plus);
  }

  private CommandResult call(String node, Command c, Duration timeout) throws Exception {
    return agents.call(node, c, timeout);
  }

  @Override
  public void prepareTarget(MigrationContext ctx) throws Exception {
    call(ctx.targetNode(), cmd(ctx, 1).setExpectMigration(ExpectMigration.newBuilder()
        .setMigrationId(ctx.migrationId()).setToken(token)
        .setTimeoutMs((int) (t.transfer().toMillis() + t.command().toMillis() * 4))).build(), t.command());
    call(ctx.sourceNode(), cmd(ctx, 1).setMigrateOut(MigrateOut.newBuilder().setMigrationId(ctx.migrationId())
        .setToken(token).setTargetAddress(address(ctx)).setTargetNode(ctx.targetNode()).setOpenOnly(true)).build(),
        t.command());
  }

  private String address(MigrationContext ctx) {
    String addr = targetAddress.get();
    if (addr == null || addr.isBlank()) {
      throw new IllegalStateException("node " + ctx.targetNode() + " has no data-plane address");
    }
    return addr;
  }

  @Override
  public void pauseSource(MigrationContext ctx) throws Exception {
    try {
      call(ctx.sourceNode(), cmd(ctx, 2).setPause(PauseGuest.getDefaultInstance()).build(), t.command());
    } catch (CommandFailedException e) {
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
    call(ctx.targetNode(), cmd(ctx, 2).setRestoreMigrated(RestoreMigrated.newBuilder().setSpec(targetSpec.get())
        .setMigrationId(ctx.migrationId()).setTimeoutMs((int) t.transfer().toMillis())).build(),
        t.transfer().plus(t.command()));
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
   * next to what the source's checkpoint held (its agent summarises the checkpoint in the
   * CHECKPOINT result), kept in the migration's attributes (shown in the operation) so an
   * operator or a test can compare them. Best effort, after the downtime.
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
  static String flowState(java.util.Map<String, String> h) {
    StringBuilder b = new StringBuilder();
    new java.util.TreeMap<>(h).forEach((k, v) -> {
      if ((k.endsWith(".size") || k.endsWith(".count") || k.endsWith(".drops") || k.endsWith(".byte_count"))
          && b.length() < 1000) {
        b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v);
      }
    });
    return b.toString();
  }

  @Override
  public void destroySource(MigrationContext ctx) throws Exception {
    recordFlowState(ctx);
    try {
      call(ctx.sourceNode(), cmd(ctx, 7).setDestroy(DestroyGuest.getDefaultInstance()).build(), t.command());
    } catch (CommandFailedException e) {
      if (!"NOT_FOUND".equals(e.errorCode())) {
        throw e;
      }
    }
  }

  @Override
  public void discardTarget(MigrationContext ctx) throws Exception {
    Duration wait = t.compensationConnectWait();
    try {
      agents.call(ctx.targetNode(), cmd(ctx, 5).setCancelMigration(CancelMigration.newBuilder()
          .setMigrationId(ctx.migrationId()).setReason("migration rolled back")).build(), t.command(), wait);
      agents.call(ctx.targetNode(), cmd(ctx, 6).setDestroy(DestroyGuest.getDefaultInstance()).build(), t.command(),
          wait);
    } catch (CommandFailedException e) {
      if ("NOT_FOUND".equals(e.errorCode())) {
        return;
      }
      if ("UNREACHABLE".equals(e.errorCode()) || "TIMEOUT".equals(e.errorCode())) {
        // the target agent is gone: its guest report after a restart lists the restored guest,
        // which no subscriber owns there, and the provisioner destroys it
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
    } catch (CommandFailedException e) {
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
