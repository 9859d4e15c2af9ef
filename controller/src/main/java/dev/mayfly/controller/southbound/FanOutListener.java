package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.Register;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers southbound callbacks to every {@link SouthboundListener} bean, resolved lazily
 * on first use (breaks the listener → AgentGateway → server → listener construction cycle).
 * A failing listener is logged and does not stop the others.
 */
final class FanOutListener implements SouthboundListener {
  private static final Logger log = LoggerFactory.getLogger(FanOutListener.class);
  private final Supplier<List<SouthboundListener>> source;
  private volatile List<SouthboundListener> listeners;

  FanOutListener(Supplier<List<SouthboundListener>> source) {
    this.source = source;
  }

  private void each(Consumer<SouthboundListener> c) {
    List<SouthboundListener> ls = listeners;
    if (ls == null) {
      ls = source.get();
      listeners = ls;
      if (ls.isEmpty()) {
        log.warn("no SouthboundListener bean: agent messages are only logged");
      }
    }
    for (SouthboundListener l : ls) {
      try {
        c.accept(l);
      } catch (RuntimeException e) {
        log.error("southbound listener {} failed", l.getClass().getSimpleName(), e);
      }
    }
  }

  @Override
  public void agentRegistered(String nodeName, Register register) {
    each(l -> l.agentRegistered(nodeName, register));
  }

  @Override
  public void heartbeat(String nodeName, Heartbeat heartbeat) {
    each(l -> l.heartbeat(nodeName, heartbeat));
  }

  @Override
  public void commandResult(String nodeName, CommandResult result) {
    each(l -> l.commandResult(nodeName, result));
  }

  @Override
  public void guestEvent(String nodeName, GuestEvent event) {
    each(l -> l.guestEvent(nodeName, event));
  }

  @Override
  public void guestReport(String nodeName, GuestReport report) {
    each(l -> l.guestReport(nodeName, report));
  }

  @Override
  public void agentDisconnected(String nodeName, String reason) {
    each(l -> l.agentDisconnected(nodeName, reason));
  }
}
