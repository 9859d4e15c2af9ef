package dev.mayfly.controller.events;

import dev.mayfly.api.model.EdgeNode;
import dev.mayfly.api.model.NfInstance;
import dev.mayfly.api.model.NfInstancePage;
import dev.mayfly.api.model.Operation;
import dev.mayfly.api.server.EdgeNodesApi;
import dev.mayfly.api.server.NfInstancesApi;
import dev.mayfly.api.server.OperationsApi;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.stereotype.Component;

/**
 * Reads nodes, instances and the newest operations through the REST API's own beans
 * (so events carry exactly what {@code GET} answers), once per interval while at least
 * one stream is open, and publishes the differences.
 */
@Component
public class ChangePoller {

  private static final Logger log = LoggerFactory.getLogger(ChangePoller.class);
  /** Instances are listed page by page up to this many; beyond it removals are not reported. */
  static final int MAX_INSTANCES = 5000;
  static final int RECENT_OPERATIONS = 100;

  private final EdgeNodesApi nodes;
  private final NfInstancesApi instances;
  private final OperationsApi operations;
  private final EventHub hub;
  private final long intervalMs;
  private final ChangeDiff<EdgeNode> nodeDiff = new ChangeDiff<>("node", "node-removed", EdgeNode::getId);
  private final ChangeDiff<NfInstance> instanceDiff =
      new ChangeDiff<>("instance", "instance-removed", i -> i.getId().toString());
  private final ChangeDiff<Operation> operationDiff = new ChangeDiff<>("operation", null, o -> o.getId().toString());
  private ScheduledExecutorService timer;
  private long ticks;
  private boolean primed;

  public ChangePoller(EdgeNodesApi nodes, NfInstancesApi instances, OperationsApi operations, EventHub hub,
      @Value("${mayfly.events.poll-interval:1s}") java.time.Duration interval) {
    this.nodes = nodes;
    this.instances = instances;
    this.operations = operations;
    this.hub = hub;
    this.intervalMs = Math.max(50, interval.toMillis());
  }

  /**
   * Opens a stream with the snapshots primed first, under the same lock as {@link #tick}:
   * every change made after the client saw "hello" is then reported (priming in the first
   * tick, up to one interval later, would swallow changes made in between).
   */
  synchronized SseEmitter openStream() {
    if (!primed) {
      try {
        pollOnce();
        primed = true;
      } catch (RuntimeException e) {
        log.warn("event poll failed: {}", e.toString());
      }
    }
    SseEmitter e = hub.open();
    ensureRunning();
    return e;
  }

  synchronized void ensureRunning() {
    if (timer == null) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mayfly-events");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(this::tick, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }
  }

  private synchronized void tick() {
    try {
      if (hub.listeners() == 0) {
        // nobody listens: forget the snapshots, the next listener starts from a fresh one
        nodeDiff.reset();
        instanceDiff.reset();
        operationDiff.reset();
        primed = false;
        return;
      }
      List<MayflyEvent> events = pollOnce();
      primed = true;
      events.forEach(hub::publish);
      if (++ticks % Math.max(1, 15_000 / intervalMs) == 0) {
        hub.keepAlive();
      }
    } catch (RuntimeException e) {
      log.warn("event poll failed: {}", e.toString());
    }
  }

  /** One read + diff; package-visible for tests. */
  List<MayflyEvent> pollOnce() {
    List<MayflyEvent> out = new ArrayList<>();
    List<EdgeNode> n = Objects.requireNonNull(nodes.listEdgeNodes(0, 500, null).getBody()).getItems();
    out.addAll(nodeDiff.next(n, true));
    List<NfInstance> all = new ArrayList<>();
    boolean complete = false;
    for (int page = 0; all.size() < MAX_INSTANCES; page++) {
      NfInstancePage p = Objects.requireNonNull(instances.listNfInstances(page, 500, null, null, null).getBody());
      all.addAll(p.getItems());
      if (p.getItems().size() < 500 || all.size() >= p.getTotal()) {
        complete = true;
        break;
      }
    }
    out.addAll(instanceDiff.next(all, complete));
    List<Operation> ops = Objects.requireNonNull(
        operations.listOperations(0, RECENT_OPERATIONS, null, null).getBody()).getItems();
    out.addAll(operationDiff.next(ops, false));
    return out;
  }

  @PreDestroy
  synchronized void stop() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }
}
