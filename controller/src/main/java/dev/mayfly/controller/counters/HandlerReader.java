package dev.mayfly.controller.counters;

import dev.mayfly.controller.southbound.AgentGateway;
import dev.mayfly.controller.southbound.ResultWaiter;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.ReadHandlers;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.stereotype.Component;

/**
 * Sends {@code ReadHandlers} for one guest to one node's agent and waits for the answer. Does
 * not wait for an agent to connect: a node that is not connected fails at once. Only results
 * of commands sent here are consumed (by command id); a disconnect fails the node's outstanding
 * reads at once.
 */
@Component
public class HandlerReader extends ResultWaiter {

  /** Why a read failed. */
  public enum Failure { UNREACHABLE, TIMEOUT, AGENT_ERROR }

  /** A failed read; {@link #agentCode()} is the agent's error code for AGENT_ERROR. */
  public static class ReadFailedException extends Exception {
    private final Failure failure;
    private final String agentCode;

    ReadFailedException(Failure failure, String agentCode, String message) {
      super(message);
      this.failure = failure;
      this.agentCode = agentCode;
    }

    public Failure failure() {
      return failure;
    }

    public String agentCode() {
      return agentCode;
    }
  }

  /** The guest's handlers and the round trip in milliseconds. */
  public record Reading(Map<String, String> handlers, double millis) {}

  /** Generation of read commands: see package-info. */
  static final long READ_GENERATION = 0;

  /** the gateway bean, looked up once (a lookup per call resolved the dependency every time) */
  private final SingletonSupplier<AgentGateway> gateways;

  public HandlerReader(ObjectProvider<AgentGateway> gateways) {
    this.gateways = SingletonSupplier.of(gateways::getIfAvailable);
  }

  /** Reads every exported read handler of {@code guestId} on {@code node}. */
  public Reading read(String node, String guestId, Duration timeout)
      throws ReadFailedException, InterruptedException {
    AgentGateway g = gateways.get();
    if (g == null || !g.isConnected(node)) {
      throw new ReadFailedException(Failure.UNREACHABLE, null, "the agent of node " + node + " is not connected");
    }
    String id = UUID.randomUUID().toString();
    Command cmd = Command.newBuilder().setCommandId(id).setGuestId(guestId).setGeneration(READ_GENERATION)
        .setReadHandlers(ReadHandlers.getDefaultInstance()).build();
    CompletableFuture<CommandResult> f = expect(node, id);
    long start = System.nanoTime();
    try {
      if (!g.send(node, cmd)) {
        throw new ReadFailedException(Failure.UNREACHABLE, null, "the agent of node " + node + " is not connected");
      }
      CommandResult r;
      try {
        r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new ReadFailedException(Failure.TIMEOUT, null,
            "node " + node + " did not answer within " + timeout.toMillis() + " ms");
      } catch (ExecutionException e) {
        throw new ReadFailedException(Failure.UNREACHABLE, null, e.getCause().getMessage());
      }
      if (!r.getOk()) {
        throw new ReadFailedException(Failure.AGENT_ERROR, r.getErrorCode(), "node " + node + " could not read the"
            + " handlers of guest " + guestId + ": " + r.getErrorCode()
            + (r.getErrorMessage().isEmpty() ? "" : ": " + r.getErrorMessage()));
      }
      return new Reading(r.getHandlersMap(), (System.nanoTime() - start) / 1e6);
    } finally {
      forget(id);
    }
  }

}
