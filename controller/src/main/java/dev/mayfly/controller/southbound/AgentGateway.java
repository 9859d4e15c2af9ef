package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.Command;
import java.util.List;
import java.util.Set;

/**
 * How the controller pushes commands to agents (ONOS "Provider" role), implemented by
 * the Netty southbound server. Sending is asynchronous; the agent answers with a
 * CommandResult carrying the same command_id, delivered to {@link SouthboundListener}.
 */
public interface AgentGateway {

  /** Queues {@code command} to the agent of {@code nodeName}; false if it is not connected. */
  boolean send(String nodeName, Command command);

  /**
   * Queues {@code commands} to the agent of {@code nodeName} in order, as one write (the
   * server flushes once for all of them); false if it is not connected, then none was sent.
   */
  default boolean send(String nodeName, List<Command> commands) {
    for (Command c : commands) {
      if (!send(nodeName, c)) {
        return false;
      }
    }
    return true;
  }

  boolean isConnected(String nodeName);

  /** Names of the nodes with a live, registered connection. */
  Set<String> connectedNodes();

  /**
   * When the node's current connection registered, or null if it is not connected or this
   * gateway does not know. A command sent after that instant went over the live connection:
   * TCP does not lose it, so an unanswered one means a busy agent, not a lost command.
   */
  default java.time.Instant connectedSince(String nodeName) {
    return null;
  }
}
