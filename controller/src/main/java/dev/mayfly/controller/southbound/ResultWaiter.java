package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.Register;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Base of the southbound request/response callers (migration steps, live counter reads): a
 * caller registers the id of the command it is about to send with {@link #expect}, waits on the
 * future, and {@link #forget}s it in a {@code finally}. Only results of commands registered here
 * are consumed, and only from the node they were sent to; a disconnect of that node's agent fails
 * its outstanding calls at once.
 */
public abstract class ResultWaiter implements SouthboundListener {

  private record Pending(String node, CompletableFuture<CommandResult> future) {}

  private final Map<String, Pending> pending = new ConcurrentHashMap<>();

  /** Registers command {@code commandId} sent to {@code node}; its result completes the future. */
  protected CompletableFuture<CommandResult> expect(String node, String commandId) {
    CompletableFuture<CommandResult> f = new CompletableFuture<>();
    pending.put(commandId, new Pending(node, f));
    return f;
  }

  /** Stops waiting for {@code commandId} (answered, timed out or failed). */
  protected void forget(String commandId) {
    pending.remove(commandId);
  }

  /** Commands sent and not yet answered (for tests). */
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
