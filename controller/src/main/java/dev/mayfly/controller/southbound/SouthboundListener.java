package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.Register;

/**
 * What the southbound adapter reports back into the controller (ONOS
 * "ProviderService" role). Implemented by the node / instance services; called by
 * the Netty southbound server on its event-loop threads, so implementations must
 * not block for long (hand off to an executor or keep it to a quick DB write).
 *
 * <p>{@code nodeName} is the authenticated identity of the agent: the CN of its
 * client certificate.
 */
public interface SouthboundListener {

  /** An authenticated agent sent Register; the node becomes READY (unless cordoned). */
  void agentRegistered(String nodeName, Register register);

  void heartbeat(String nodeName, Heartbeat heartbeat);

  void commandResult(String nodeName, CommandResult result);

  void guestEvent(String nodeName, GuestEvent event);

  /** Full list of guests the agent holds, sent after every (re)connect. */
  void guestReport(String nodeName, GuestReport report);

  /** Connection closed or heartbeats missed: the node becomes UNREACHABLE. */
  void agentDisconnected(String nodeName, String reason);
}
