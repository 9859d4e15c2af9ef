package dev.mayfly.controller.reconcile;

import dev.mayfly.controller.catalog.CatalogService;
import dev.mayfly.controller.catalog.NfDescriptorEntity;
import dev.mayfly.controller.catalog.NfDescriptorRepository;
import dev.mayfly.controller.config.MayflyProperties;
import dev.mayfly.controller.instance.GuestCleanupEntity;
import dev.mayfly.controller.instance.GuestCleanupRepository;
import dev.mayfly.controller.instance.InstanceService;
import dev.mayfly.controller.instance.NfInstanceEntity;
import dev.mayfly.controller.instance.NfInstanceRepository;
import dev.mayfly.controller.operation.OperationEntity;
import dev.mayfly.controller.operation.OperationEntity.Phase;
import dev.mayfly.controller.operation.OperationEntity.State;
import dev.mayfly.controller.operation.OperationService;
import dev.mayfly.controller.southbound.AgentGateway;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CreateGuest;
import dev.mayfly.southbound.v1.DestroyGuest;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.Port;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Compares desired with observed state and sends commands. One pass:
 * <ol>
 *   <li>instances whose current generation the agent has not answered, not sent yet or
 *       sent longer than {@code mayfly.reconcile.resend-after} ago (over the node's current
 *       connection: {@code resend-after-live}, 2 min), get CreateGuest
 *       (desired RUNNING) or DestroyGuest (desired DELETED) — only when their node is
 *       connected; commands for an unreachable node wait;</li>
 *   <li>guests that CRASHED or STOPPED while desired RUNNING are restarted with the next
 *       generation, at most {@code mayfly.reconcile.max-restarts} times;</li>
 *   <li>guests left behind by a drain are destroyed.</li>
 * </ol>
 * Commands are idempotent (guest id + generation), so resending is always safe. Passes run
 * on one thread, every {@code mayfly.reconcile.interval} and after every change.
 */
@Component
public class Reconciler implements ReconcileTrigger, SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

  private final NfInstanceRepository instances;
  private final NfDescriptorRepository descriptors;
  private final GuestCleanupRepository cleanups;
  private final OperationService operations;
  /** the gateway bean, looked up once (a lookup per call resolved the dependency every time) */
  private final SingletonSupplier<AgentGateway> gatewayProvider;
  private final TransactionTemplate tx;
  private final MayflyProperties.Reconcile cfg;
  private final MeterRegistry meters;
  private final AtomicBoolean queued = new AtomicBoolean();
  private final Object passLock = new Object();
  private volatile ScheduledExecutorService executor;

  public Reconciler(NfInstanceRepository instances, NfDescriptorRepository descriptors,
      GuestCleanupRepository cleanups, OperationService operations, ObjectProvider<AgentGateway> gatewayProvider,
      TransactionTemplate tx, MayflyProperties props, MeterRegistry meters) {
    this.instances = instances;
    this.descriptors = descriptors;
    this.cleanups = cleanups;
    this.operations = operations;
    this.gatewayProvider = SingletonSupplier.of(gatewayProvider::getIfAvailable);
    this.tx = tx;
    this.cfg = props.reconcile();
    this.meters = meters;
  }

  @Override
  public void kick() {
    ScheduledExecutorService ex = executor;
    if (ex != null && queued.compareAndSet(false, true)) {
      try {
        ex.execute(() -> {
          queued.set(false);
          safePass();
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        queued.set(false);
      }
    }
  }

  private void safePass() {
    try {
      reconcileNow();
    } catch (RuntimeException e) {
      log.warn("reconcile pass failed: {}", e.toString(), e);
    }
  }

  /** Runs one pass on the calling thread (tests call this directly). */
  public void reconcileNow() {
    AgentGateway gateway = gatewayProvider.get();
    if (gateway == null) {
      return;
    }
    synchronized (passLock) {
      Instant now = Instant.now();
      Set<String> connected = gateway.connectedNodes();
      for (UUID id : instances.crashed(cfg.maxRestarts())) {
        tx.executeWithoutResult(s -> instances.lock(id).ifPresent(i -> {
          if (i.desired() == NfInstanceEntity.Desired.RUNNING && i.observedGeneration() == i.generation()
              && (i.observed() == NfInstanceEntity.Observed.CRASHED
                  || i.observed() == NfInstanceEntity.Observed.STOPPED)) {
            log.info("restarting {} on {} (was {}, restart {})", i.guestId(), i.nodeName(), i.observed(),
                i.restarts() + 1);
            i.restart(now);
            meters.counter("mayfly.reconcile.restarts").increment();
          }
        }));
      }
      List<UUID> due = instances.due(now.minus(cfg.resendAfter()));
      for (UUID id : due) {
        tx.executeWithoutResult(s -> instances.lock(id).ifPresent(i -> dispatch(gateway, connected, i, now)));
      }
      for (GuestCleanupEntity c : cleanups.due(now.minus(cfg.resendAfter()))) {
        if (!connected.contains(c.nodeName())) {
          continue;
        }
        Command cmd = Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(c.guestId())
            .setGeneration(c.generation() + 1).setDestroy(DestroyGuest.getDefaultInstance()).build();
        if (gateway.send(c.nodeName(), cmd)) {
          tx.executeWithoutResult(s -> cleanups.findById(c.guestId()).ifPresent(x -> x.dispatched(now)));
        }
      }
    }
  }

  private void dispatch(AgentGateway gateway, Set<String> connected, NfInstanceEntity i, Instant now) {
    if (i.nodeName() == null || i.observedGeneration() >= i.generation() || !connected.contains(i.nodeName())) {
      return;
    }
    boolean first = i.dispatchedGeneration() < i.generation();
    if (!first && i.dispatchedAt() != null) {
      if (i.dispatchedAt().isAfter(now.minus(cfg.resendAfter()))) {
        return;
      }
      Instant since = gateway.connectedSince(i.nodeName());
      if (since != null && !i.dispatchedAt().isBefore(since)
          && i.dispatchedAt().isAfter(now.minus(cfg.resendAfterLive()))) {
        return; // sent over the live connection: the agent has it (resend-after-live)
      }
    }
    Command cmd;
    boolean create = i.desired() == NfInstanceEntity.Desired.RUNNING;
    if (create) {
      NfDescriptorEntity d = descriptors.findById(i.nfName()).orElse(null);
      if (d == null) {
        log.error("instance {}: descriptor {} vanished", i.id(), i.nfName());
        return;
      }
      cmd = Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(i.guestId())
          .setGeneration(i.generation()).setCreate(CreateGuest.newBuilder().setSpec(spec(i, d))).build();
    } else {
      cmd = Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(i.guestId())
          .setGeneration(i.generation()).setDestroy(DestroyGuest.getDefaultInstance()).build();
    }
    if (!gateway.send(i.nodeName(), cmd)) {
      return;
    }
    meters.counter("mayfly.reconcile.commands", "action", create ? "create" : "destroy", "resend",
        String.valueOf(!first)).increment();
    i.dispatched(now);
    if (first) {
      OperationEntity op = operations.find(i.operationId());
      if (op != null && !op.state().isFinal()) {
        Instant prevEnd = op.startTime();
        for (Phase p : op.phases()) {
          if (p.startTime() != null && p.durationMs() != null) {
            Instant e = p.startTime().plusNanos((long) (p.durationMs() * 1e6));
            if (e.isAfter(prevEnd)) {
              prevEnd = e;
            }
          }
        }
        double waited = Math.max(0, (now.toEpochMilli() - prevEnd.toEpochMilli()));
        op.addPhase(new Phase("dispatch", State.SUCCEEDED, prevEnd, waited, "sent to " + i.nodeName()
            + " (generation " + i.generation() + ")"));
        op.addPhase(new Phase(create ? "boot" : "destroy", State.RUNNING, now, null, null));
      }
    }
  }

  static GuestSpec spec(NfInstanceEntity i, NfDescriptorEntity d) {
    GuestSpec.Builder b = GuestSpec.newBuilder()
        .setNfType(d.name())
        .setClickConfig(d.clickConfig())
        .setMemoryBytes(i.memoryBytes())
        .setCpuWeight(d.cpuWeight())
        .setPidsMax(d.pidsMax())
        .putAllLabels(i.labels())
        .putLabels("mayfly.instance", i.id().toString());
    // every descriptor port, in descriptor order; the instance says how each is attached
    // (a port without attachment gets its veth pair with the host end left unplugged)
    java.util.Map<String, dev.mayfly.api.model.PortAttachment> attach = new java.util.HashMap<>();
    for (var p : InstanceService.ports(i)) {
      attach.put(p.getName(), p);
    }
    for (String name : CatalogService.portNames(d)) {
      Port.Builder pb = Port.newBuilder().setName(name);
      var p = attach.get(name);
      if (p != null) {
        if (p.getBridge() != null) {
          pb.setBridge(p.getBridge());
        } else if (p.getXconnect() != null) {
          pb.setXconnect(p.getXconnect());
        }
        if (p.getMac() != null) {
          pb.setMac(p.getMac());
        }
      }
      b.addPorts(pb);
    }
    return b.build();
  }

  // --- lifecycle ---------------------------------------------------------------

  @Override
  public void start() {
    ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mayfly-reconciler");
      t.setDaemon(true);
      return t;
    });
    long ms = cfg.interval().toMillis();
    ex.scheduleWithFixedDelay(this::safePass, ms, ms, TimeUnit.MILLISECONDS);
    executor = ex;
  }

  @Override
  public void stop() {
    ScheduledExecutorService ex = executor;
    executor = null;
    if (ex != null) {
      ex.shutdownNow();
      try {
        ex.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return executor != null;
  }
}
