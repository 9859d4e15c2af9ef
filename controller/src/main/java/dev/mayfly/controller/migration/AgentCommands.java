package dev.mayfly.controller.migration;

import dev.mayfly.controller.southbound.AgentGateway;
import dev.mayfly.controller.southbound.ResultWaiter;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.stereotype.Component;

/**
 * Request/response over the southbound for the migration steps: sends a command with a fresh
 * id and blocks until the agent's {@code CommandResult} with that id arrives, the timeout
 * passes, or the agent disconnects (a killed agent fails its outstanding calls at once).
 * Only results of commands sent through here are consumed; everything else is ignored.
 */
@Component
public class AgentCommands extends ResultWaiter {

  /**
   * A failed call: the agent answered not-ok, did not answer in time, or is gone. An
   * {@link dev.mayfly.migration.agent.AgentCommandSteps.AgentCallException} (the migration steps'
   * failure type) with the agent's error code, UNREACHABLE or TIMEOUT.
   */
  public static class CommandFailedException extends dev.mayfly.migration.agent.AgentCommandSteps.AgentCallException {
    public CommandFailedException(String errorCode, String message) {
      super(errorCode, message);
    }
  }

  /** the gateway bean, looked up once (a lookup per call resolved the dependency every time) */
  private final SingletonSupplier<AgentGateway> gateways;
  private volatile Duration connectWait = Duration.ofSeconds(60);

  public AgentCommands(ObjectProvider<AgentGateway> gateways) {
    this.gateways = SingletonSupplier.of(gateways::getIfAvailable);
  }

  /** How long a call waits for a node's agent to (re)connect before failing (restart-resume). */
  public void connectWait(Duration d) {
    this.connectWait = d;
  }

  /**
   * Sends {@code cmd} (its command_id is used as given) to {@code node} and waits for the result.
   *
   * @throws CommandFailedException not connected, timeout, disconnect, or a result with ok=false
   */
  public CommandResult call(String node, Command cmd, Duration timeout)
      throws CommandFailedException, InterruptedException {
    return call(node, cmd, timeout, connectWait);
  }

  /** {@link #call(String, Command, Duration)} waiting at most {@code connectWait} for the agent. */
  public CommandResult call(String node, Command cmd, Duration timeout, Duration connectWait)
      throws CommandFailedException, InterruptedException {
    AgentGateway g = gateways.get();
    if (g == null) {
      throw new CommandFailedException("UNREACHABLE", "no southbound gateway");
    }
    long waitUntil = System.nanoTime() + connectWait.toNanos();
    while (!g.isConnected(node)) {
      if (System.nanoTime() > waitUntil) {
        throw new CommandFailedException("UNREACHABLE", "the agent of node " + node + " is not connected");
      }
      Thread.sleep(50);
    }
    CompletableFuture<CommandResult> f = expect(node, cmd.getCommandId());
    try {
      if (!g.send(node, cmd)) {
        throw new CommandFailedException("UNREACHABLE", "the agent of node " + node + " is not connected");
      }
      CommandResult r;
      try {
        r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new CommandFailedException("TIMEOUT", cmd.getActionCase().name().toLowerCase() + " on node " + node
            + ": no answer within " + timeout.toMillis() + " ms");
      } catch (ExecutionException e) {
        throw new CommandFailedException("UNREACHABLE", e.getCause().getMessage());
      }
      if (!r.getOk()) {
        throw new CommandFailedException(r.getErrorCode(), cmd.getActionCase().name().toLowerCase() + " on node "
            + node + " failed: " + r.getErrorCode() + (r.getErrorMessage().isEmpty() ? "" : ": " + r.getErrorMessage()));
      }
      return r;
    } finally {
      forget(cmd.getCommandId());
    }
  }

}
