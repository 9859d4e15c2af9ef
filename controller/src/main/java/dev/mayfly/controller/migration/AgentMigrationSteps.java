package dev.mayfly.controller.migration;

import dev.mayfly.migration.agent.AgentCommandSteps;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestSpec;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The controller's {@link dev.mayfly.migration.flow.MigrationSteps}: the shared command sequence
 * of {@link AgentCommandSteps} (migration module; {@code bench migrate} runs the same class over
 * in-process dispatchers) sent over the southbound through {@link AgentCommands}.
 *
 * <p>A handover runs live ({@link AgentCommandSteps.Mode#LIVE}; the constructor without a mode
 * is stop and copy): PREPARE_TARGET
 * boots the guest on the target with the same spec (ports attached, paused) and opens the source's
 * TLS connection to it; the downtime is then ONE command to the source agent, which checkpoints,
 * streams to the target agent, which imports the state and resumes; the source answers with the
 * six phase timings, recorded by the machine without a controller round trip inside the
 * downtime. Then {@link TrafficMover#toTarget} records the move. Generations as documented on
 * {@link AgentCommandSteps} ({@code base+1 .. base+10}; the target's guest carries
 * {@code base+}{@value AgentCommandSteps#RESTORED_GENERATION}).
 *
 * <p>What "moving the traffic" means is given by the caller ({@link TrafficMover}): for a
 * personal firewall it rewrites the subscriber's edge node and attachment and the firewall
 * guest's row in one transaction (the target guest's {@code access} port was cross-connected to
 * the attachment on the target node when it booted).
 */
public class AgentMigrationSteps extends AgentCommandSteps {

  /** Timeouts of the steps. */
  public record Timeouts(Duration command, Duration transfer, Duration compensationConnectWait) {
    public static Timeouts defaults() {
      return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(5));
    }

    AgentCommandSteps.Timeouts shared() {
      return new AgentCommandSteps.Timeouts(command, transfer, compensationConnectWait);
    }
  }

  /** The traffic switch of one migration and its undo; both idempotent. */
  public interface TrafficMover extends AgentCommandSteps.TrafficMover {}

  /**
   * Stop and copy ({@link AgentCommandSteps.Mode#STOP_AND_COPY}, one command per phase). Handovers
   * and NF-instance migrations pass {@link AgentCommandSteps.Mode#LIVE}.
   */
  public AgentMigrationSteps(AgentCommands agents, long baseGeneration, Supplier<GuestSpec> targetSpec,
      Supplier<String> targetAddress, TrafficMover traffic, Timeouts timeouts) {
    this(agents, baseGeneration, targetSpec, targetAddress, traffic, timeouts, Mode.STOP_AND_COPY);
  }

  public AgentMigrationSteps(AgentCommands agents, long baseGeneration, Supplier<GuestSpec> targetSpec,
      Supplier<String> targetAddress, TrafficMover traffic, Timeouts timeouts, Mode mode) {
    super(link(agents), baseGeneration, targetSpec, targetAddress, traffic, timeouts.shared(), mode);
  }

  /** The southbound as the steps' {@link Link}. */
  static Link link(AgentCommands agents) {
    return new Link() {
      @Override
      public CommandResult call(String node, Command cmd, Duration timeout)
          throws AgentCallException, InterruptedException {
        return agents.call(node, cmd, timeout);
      }

      @Override
      public CommandResult call(String node, Command cmd, Duration timeout, Duration connectWait)
          throws AgentCallException, InterruptedException {
        return agents.call(node, cmd, timeout, connectWait);
      }
    };
  }
}
