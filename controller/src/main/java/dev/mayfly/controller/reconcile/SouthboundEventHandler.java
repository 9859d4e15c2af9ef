package dev.mayfly.controller.reconcile;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.controller.firewall.FirewallProvisioner;
import dev.mayfly.controller.instance.GuestCleanupRepository;
import dev.mayfly.controller.instance.NfInstanceEntity;
import dev.mayfly.controller.instance.NfInstanceEntity.Observed;
import dev.mayfly.controller.instance.NfInstanceRepository;
import dev.mayfly.controller.node.EdgeNodeEntity;
import dev.mayfly.controller.node.EdgeNodeRepository;
import dev.mayfly.controller.operation.OperationEntity;
import dev.mayfly.controller.operation.OperationEntity.Phase;
import dev.mayfly.controller.operation.OperationEntity.State;
import dev.mayfly.controller.operation.OperationEntity.Type;
import dev.mayfly.controller.operation.OperationService;
import dev.mayfly.controller.southbound.SouthboundListener;
import dev.mayfly.southbound.v1.Capacity;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.NodeLoad;
import dev.mayfly.southbound.v1.Register;
import dev.mayfly.southbound.v1.Timing;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Records what agents report (the ONOS "provider service" role). Each callback is one
 * short transaction on the caller's (Netty event-loop) thread, followed by a reconcile
 * kick; the reconciler does the sending on its own thread.
 */
@Component
public class SouthboundEventHandler implements SouthboundListener {

  private static final Logger log = LoggerFactory.getLogger(SouthboundEventHandler.class);

  private final EdgeNodeRepository nodes;
  private final NfInstanceRepository instances;
  private final GuestCleanupRepository cleanups;
  private final OperationService operations;
  private final TransactionTemplate tx;
  private final ReconcileTrigger reconcile;

  public SouthboundEventHandler(EdgeNodeRepository nodes, NfInstanceRepository instances,
      GuestCleanupRepository cleanups, OperationService operations, TransactionTemplate tx,
      ReconcileTrigger reconcile) {
    this.nodes = nodes;
    this.instances = instances;
    this.cleanups = cleanups;
    this.operations = operations;
    this.tx = tx;
    this.reconcile = reconcile;
  }

  @Override
  public void agentRegistered(String nodeName, Register r) {
    Instant now = Instant.now();
    tx.executeWithoutResult(s -> {
      EdgeNodeEntity n = nodes.lock(nodeName).orElse(null);
      if (n == null) {
        n = new EdgeNodeEntity(nodeName, now);
      }
      Capacity c = r.getCapacity();
      n.registered(r.getDriver(), r.getAgentVersion(), r.getCapabilitiesList(), r.getLabelsMap(),
          r.getDataPlaneAddress(), c.getCpus(), c.getMemoryBytes(), c.getGuestSlots(), now);
      nodes.save(n);
      for (NfInstanceEntity i : instances.lockOnNode(nodeName)) {
        if (i.observed() == Observed.UNREACHABLE) {
          i.show(Observed.PENDING, now); // the GuestReport that follows tells the real state
        }
        i.redispatchSoon();
      }
    });
    log.info("edge node {} registered (driver {}, {} slots, labels {})", nodeName, r.getDriver(),
        r.getCapacity().getGuestSlots(), r.getLabelsMap());
    reconcile.kick();
  }

  @Override
  public void heartbeat(String nodeName, Heartbeat hb) {
    Instant now = Instant.now();
    boolean[] back = new boolean[1];
    tx.executeWithoutResult(s -> {
      EdgeNodeEntity n = nodes.lock(nodeName).orElse(null);
      if (n == null) {
        log.debug("heartbeat from unregistered node {}", nodeName);
        return;
      }
      NodeLoad l = hb.getLoad();
      n.load(l.getGuestsRunning(), l.getGuestsTotal(), l.getMemoryUsedBytes(), l.getMemoryAvailableBytes(),
          l.getLoad1(), l.getPoolReady(), l.getPoolTarget(), l.getBootP50Ms(), l.getBootP99Ms(), now);
      if (!n.reachable()) { // marked by the heartbeat-timeout check, but the connection lived on
        n.reachableAgain();
        back[0] = true;
        for (NfInstanceEntity i : instances.lockOnNode(nodeName)) {
          if (i.observed() == Observed.UNREACHABLE) {
            i.show(Observed.PENDING, now);
          }
          i.redispatchSoon();
        }
      }
    });
    if (back[0]) {
      log.info("edge node {} is reachable again", nodeName);
      reconcile.kick();
    }
  }

  /**
   * Personal-firewall guests ({@code fw-}) belong to the FirewallProvisioner, which gets the
   * same callbacks: no transaction, no log line and no reconcile pass for them here (this runs
   * on the Netty event loop, and a bulk run reports thousands of them).
   */
  static boolean firewallGuest(String guestId) {
    return guestId.startsWith(FirewallProvisioner.GUEST_PREFIX);
  }

  @Override
  public void commandResult(String nodeName, CommandResult r) {
    if (firewallGuest(r.getGuestId())) {
      return;
    }
    Instant now = Instant.now();
    tx.executeWithoutResult(s -> {
      var cleanup = cleanups.findById(r.getGuestId());
      if (cleanup.isPresent() && cleanup.get().nodeName().equals(nodeName)) {
        cleanups.delete(cleanup.get());
        log.info("left-over guest {} on {} destroyed ({})", r.getGuestId(), nodeName, r.getOk() ? "ok"
            : r.getErrorCode());
        return;
      }
      NfInstanceEntity i = instances.lockByGuestId(r.getGuestId()).orElse(null);
      if (i == null || !nodeName.equals(i.nodeName())) {
        log.debug("result for unknown guest {} from {} ignored", r.getGuestId(), nodeName);
        return;
      }
      if (r.getGeneration() != i.generation()) {
        log.debug("stale result for {} generation {} (current {})", r.getGuestId(), r.getGeneration(),
            i.generation());
        return;
      }
      OperationEntity op = operations.find(i.operationId());
      if (op != null && !op.state().isFinal()) {
        for (Timing t : r.getTimingsList()) {
          op.addPhase(new Phase(t.getPhase(), r.getOk() ? State.SUCCEEDED : State.FAILED, null, t.getMillis(),
              "reported by agent"));
        }
      }
      if (i.desired() == NfInstanceEntity.Desired.DELETED) {
        boolean gone = r.getOk() || "NOT_FOUND".equals(r.getErrorCode()) || r.getState() == GuestState.DESTROYED;
        if (gone) {
          removeDeleted(i, op, now);
        } else {
          i.observe(Observed.FAILED, r.getGeneration(), r.getErrorMessage(), now);
          if (op != null) {
            operations.fail(op, now, 502, "Agent could not destroy the guest", r.getErrorMessage(), List.of());
          }
        }
        return;
      }
      if (r.getOk()) {
        Observed o = r.getState() == GuestState.GUEST_STATE_UNSPECIFIED ? Observed.RUNNING : map(r.getState());
        i.observe(o, r.getGeneration(), null, now);
        if (o == Observed.RUNNING) {
          instantiated(op, now);
        }
      } else {
        String msg = r.getErrorMessage().isEmpty() ? r.getErrorCode() : r.getErrorMessage();
        i.observe(Observed.FAILED, r.getGeneration(), msg, now);
        failInstantiate(op, now, r.getErrorCode(), msg);
      }
    });
    reconcile.kick();
  }

  @Override
  public void guestEvent(String nodeName, GuestEvent ev) {
    if (firewallGuest(ev.getGuestId())) {
      return;
    }
    Instant now = Instant.now();
    tx.executeWithoutResult(s -> applyEvent(nodeName, ev, now, null));
    reconcile.kick();
  }

  @Override
  public void guestReport(String nodeName, GuestReport report) {
    Instant now = Instant.now();
    tx.executeWithoutResult(s -> {
      Map<String, GuestEvent> held = new HashMap<>();
      for (GuestEvent g : report.getGuestsList()) {
        if (!firewallGuest(g.getGuestId())) {
          held.put(g.getGuestId(), g);
        }
      }
      for (NfInstanceEntity i : instances.lockOnNode(nodeName)) {
        GuestEvent g = held.remove(i.guestId());
        if (g != null) {
          applyEvent(nodeName, g, now, i);
        } else if (i.desired() == NfInstanceEntity.Desired.DELETED && i.dispatchedGeneration() > 0) {
          removeDeleted(i, operations.find(i.operationId()), now);
        } else if (i.dispatchedGeneration() > 0) {
          i.lost(now); // the agent does not hold it: resend the current generation
        }
      }
      for (String guestId : held.keySet()) {
        var c = cleanups.findById(guestId);
        if (c.isPresent()) {
          continue;
        }
        log.warn("node {} holds guest {} that no NF instance owns (left alone)", nodeName, guestId);
      }
      cleanups.findAll().stream()
          .filter(c -> c.nodeName().equals(nodeName) && !report.getGuestsList().stream()
              .anyMatch(g -> g.getGuestId().equals(c.guestId())))
          .forEach(cleanups::delete);
    });
    reconcile.kick();
  }

  @Override
  public void agentDisconnected(String nodeName, String reason) {
    markUnreachable(nodeName, reason);
  }

  /** Node UNREACHABLE; its instances are shown UNREACHABLE (those being deleted stay TERMINATING). */
  public void markUnreachable(String nodeName, String reason) {
    Instant now = Instant.now();
    tx.executeWithoutResult(s -> {
      EdgeNodeEntity n = nodes.lock(nodeName).orElse(null);
      if (n == null || !n.reachable()) {
        return;
      }
      n.unreachable();
      for (NfInstanceEntity i : instances.lockOnNode(nodeName)) {
        if (i.desired() == NfInstanceEntity.Desired.RUNNING) {
          i.show(Observed.UNREACHABLE, now);
        }
      }
      log.warn("edge node {} is UNREACHABLE: {}", nodeName, reason);
    });
  }

  // --- helpers -------------------------------------------------------------------

  private void applyEvent(String nodeName, GuestEvent ev, Instant now, NfInstanceEntity locked) {
    NfInstanceEntity i = locked != null ? locked : instances.lockByGuestId(ev.getGuestId()).orElse(null);
    if (i == null || !nodeName.equals(i.nodeName())) {
      return;
    }
    long gen = ev.getGeneration() == 0 ? i.generation() : ev.getGeneration();
    if (gen != i.generation()) {
      return; // about an older generation; the reconciler resends the current one
    }
    OperationEntity op = operations.find(i.operationId());
    if (i.desired() == NfInstanceEntity.Desired.DELETED) {
      if (ev.getState() == GuestState.DESTROYED) {
        removeDeleted(i, op, now);
      }
      return;
    }
    Observed o = map(ev.getState());
    if (o == null) {
      return;
    }
    String err = o == Observed.FAILED || o == Observed.CRASHED ? ev.getReason() : null;
    i.observe(o, gen, err, now);
    if (o == Observed.RUNNING) {
      instantiated(op, now);
    } else if (o == Observed.FAILED || o == Observed.CRASHED || o == Observed.STOPPED) {
      failInstantiate(op, now, o.name(), ev.getReason().isEmpty() ? "guest " + o.name().toLowerCase()
          : ev.getReason());
    }
  }

  private void removeDeleted(NfInstanceEntity i, OperationEntity op, Instant now) {
    instances.delete(i);
    if (op != null && op.type() == Type.TERMINATE) {
      op.finishPhase("destroy", State.SUCCEEDED, now, null);
      operations.succeed(op, now);
    }
  }

  private void instantiated(OperationEntity op, Instant now) {
    if (op != null && op.type() == Type.INSTANTIATE && !op.state().isFinal()) {
      op.finishPhase("boot", State.SUCCEEDED, now, null);
      operations.succeed(op, now);
    }
  }

  private void failInstantiate(OperationEntity op, Instant now, String code, String message) {
    if (op != null && op.type() == Type.INSTANTIATE && !op.state().isFinal()) {
      boolean config = "CONFIG_REJECTED".equals(code);
      List<FieldError> fields = config ? List.of(new FieldError("clickConfig", message)) : List.of();
      operations.fail(op, now, config ? 422 : 502, "Guest failed to start", message, fields);
    }
  }

  static Observed map(GuestState s) {
    return switch (s) {
      case PREPARED, BOOTING -> Observed.BOOTING;
      case RUNNING -> Observed.RUNNING;
      case PAUSED, CHECKPOINTED -> Observed.PAUSED;
      case STOPPED, DESTROYED -> Observed.STOPPED;
      case CRASHED -> Observed.CRASHED;
      case FAILED -> Observed.FAILED;
      default -> null;
    };
  }
}
