package dev.mayfly.controller.counters;

import dev.mayfly.controller.southbound.AgentGateway;
import dev.mayfly.controller.southbound.SouthboundListener;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.ReadHandlers;
import dev.mayfly.southbound.v1.Register;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Sends {@code ReadHandlers} for one guest to one node's agent and waits for the answer. Does
 * not wait for an agent to connect: a node that is not connected fails at once. Only results
 * of commands sent here are consumed (by command id); a disconnect fails the node's outstanding
 * reads at once.
 */
@Component
public class HandlerReader implements SouthboundListener {

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

  private record Pending(String node, CompletableFuture<CommandResult> future) {}

  /** Generation of read commands: see package-info. */
  static final long READ_GENERATION = 0;

  private final ObjectProvider<AgentGateway> gateways;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  public HandlerReader(ObjectProvider<AgentGateway> gateways) {
    this.gateways = gateways;
  }

  /** Reads every exported read handler of {@code guestId} on {@code node}. */
  public Reading read(String node, String guestId, Duration timeout)
      throws ReadFailedException, InterruptedException {
    AgentGateway g = gateways.getIfAvailable();
    if (g == null || !g.isConnected(node)) {
      throw new ReadFailedException(Failure.UNREACHABLE, null, "the agent of node " + node + " is not connected");
    }
    String id = UUID.randomUUID().toString();
    Command cmd = Command.newBuilder().setCommandId(id).setGuestId(guestId).setGeneration(READ_GENERATION)
        .setReadHandlers(ReadHandlers.getDefaultInstance()).build();
    CompletableFuture<CommandResult> f = new CompletableFuture<>();
    pending.put(id, new Pending(node, f));
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
      pending.remove(id);
    }
  }

  /** Reads sent and not yet answered (for tests). */
  public int outstanding() {
    return pending.size();
  }

  @Override
  public void commandResult(String nodeName, CommandResult result) {
    Pending p = pending.get(result.getCommandId());
    if (p != null && p.node().equals(nodeName)) {
      p.future().complete(result);
    }
  }

  @Override
  public void agentDisconnected(String nodeName, String reason) {
    pending.values().forEach(p -> {
      if (p.node().equals(nodeName)) {
        p.future().completeExceptionally(new IllegalStateException(
            "the agent of node " + nodeName + " disconnected (" + reason + ")"));
      }
    });
  }

  @Override
  public void agentRegistered(String nodeName, Register register) {}

  @Override
  public void heartbeat(String nodeName, Heartbeat heartbeat) {}

  @Override
  public void guestEvent(String nodeName, GuestEvent event) {}

  @Override
  public void guestReport(String nodeName, GuestReport report) {}
}
