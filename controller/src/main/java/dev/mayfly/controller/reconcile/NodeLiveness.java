package dev.mayfly.controller.reconcile;

import dev.mayfly.controller.config.MayflyProperties;
import dev.mayfly.controller.node.EdgeNodeEntity;
import dev.mayfly.controller.node.EdgeNodeRepository;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Every {@code mayfly.nodes.liveness-check-interval}: a reachable node not heard from for
 * {@code mayfly.nodes.heartbeat-timeout} becomes UNREACHABLE (this backs up the
 * southbound server's own idle check and catches a controller that restarted while the
 * database still says READY). Also refreshes the {@code mayfly.nodes} gauge (tag status).
 */
@Component
public class NodeLiveness implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(NodeLiveness.class);

  private final EdgeNodeRepository nodes;
  private final SouthboundEventHandler events;
  private final Duration timeout;
  private final Duration interval;
  private final Map<EdgeNodeEntity.Status, AtomicLong> gauges = new EnumMap<>(EdgeNodeEntity.Status.class);
  private volatile ScheduledExecutorService executor;

  public NodeLiveness(EdgeNodeRepository nodes, SouthboundEventHandler events, MayflyProperties props,
      MeterRegistry meters) {
    this.nodes = nodes;
    this.events = events;
    this.timeout = props.nodes().heartbeatTimeout();
    this.interval = props.nodes().livenessCheckInterval();
    for (EdgeNodeEntity.Status s : EdgeNodeEntity.Status.values()) {
      AtomicLong v = new AtomicLong();
      gauges.put(s, v);
      Gauge.builder("mayfly.nodes", v, AtomicLong::get).description("edge nodes by status")
          .tag("status", s.name()).register(meters);
    }
  }

  /** One check (tests call it directly). */
  public void check() {
    for (String name : nodes.staleReachable(Instant.now().minus(timeout))) {
      events.markUnreachable(name, "no heartbeat for " + timeout.toSeconds() + " s");
    }
    Map<EdgeNodeEntity.Status, Long> counts = new EnumMap<>(EdgeNodeEntity.Status.class);
    for (Object[] row : nodes.countByStatus()) {
      counts.put(EdgeNodeEntity.Status.valueOf((String) row[0]), ((Number) row[1]).longValue());
    }
    gauges.forEach((s, v) -> v.set(counts.getOrDefault(s, 0L)));
  }

  @Override
  public void start() {
    ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mayfly-liveness");
      t.setDaemon(true);
      return t;
    });
    ex.scheduleWithFixedDelay(() -> {
      try {
        check();
      } catch (RuntimeException e) {
        log.warn("liveness check failed: {}", e.toString());
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    executor = ex;
  }

  @Override
  public void stop() {
    ScheduledExecutorService ex = executor;
    executor = null;
    if (ex != null) {
      ex.shutdownNow();
    }
  }

  @Override
  public boolean isRunning() {
    return executor != null;
  }
}
