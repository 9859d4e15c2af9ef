package dev.mayfly.controller.firewall;

import dev.mayfly.catalog.firewall.CompiledFirewall;
import dev.mayfly.catalog.firewall.FirewallCompiler;
import dev.mayfly.catalog.firewall.FirewallPolicy;
import dev.mayfly.controller.config.Json;
import dev.mayfly.controller.southbound.AgentGateway;
import dev.mayfly.controller.southbound.SouthboundListener;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.CreateGuest;
import dev.mayfly.southbound.v1.DestroyGuest;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.Port;
import dev.mayfly.southbound.v1.Register;
import dev.mayfly.southbound.v1.WriteHandler;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Drives personal-firewall guests towards what the {@code subscriber} table asks for (the
 * controller side of ARCHITECTURE §6). One worker thread owns the {@code firewall_guest}
 * table: it takes subscriber ids (queued after every committed API change), agent results,
 * guest events and guest reports from one queue, handles them in chunks (one transaction
 * per chunk, so 10 000 subscribers cost a few dozen transactions), and sends the commands
 * after the commit:
 *
 * <ul>
 *   <li>a subscriber that needs a firewall (a policy, or none and fail-open) and has no guest
 *       gets CreateGuest: the compiled Click configuration, port {@code access} cross-connected
 *       to the subscriber's attachment, port {@code core} on the node's core bridge;</li>
 *   <li>a new policy for a RUNNING guest with the same {@code stateful} flag is written live:
 *       WriteHandler {@code out_filter.config} then {@code in_filter.config}, each with its own
 *       generation (the agent keeps one applied (generation, action) per guest); no restart,
 *       the FlowFirewall table is kept;</li>
 *   <li>a subscriber without a policy (fail closed), deleted, moved to another node or
 *       attachment, a stateful/stateless switch, or a FAILED guest: the guest is destroyed
 *       (and a new one created where needed).</li>
 * </ul>
 *
 * Unanswered commands are resent after {@code mayfly.firewall.resend-after}; after an agent
 * reconnects its GuestReport tells which guests it lost (created again) and which firewall
 * guests it holds that nobody wants (destroyed). Guest ids start with {@code fw-}; the NF
 * instance reconciler leaves such guests alone.
 */
@Component
public class FirewallProvisioner implements SouthboundListener, SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(FirewallProvisioner.class);
  public static final String GUEST_PREFIX = "fw-";
  public static final String NF_TYPE = "personal-firewall";

  private final JdbcTemplate jdbc;
  private final TransactionTemplate tx;
  /** the gateway bean, looked up once (a lookup per call resolved the dependency every time) */
  private final SingletonSupplier<AgentGateway> gateways;
  private final FirewallSettings cfg;
  private final MeterRegistry meters;
  private final CompiledPolicies policies;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final Map<String, NodeBridges> coreBridges = new ConcurrentHashMap<>();

  /**
   * A node's core bridges ({@code a:b:c}) and whether its agent picks one itself (capability
   * {@value #BRIDGE_CHOICE}).
   */
  private record NodeBridges(String bridges, boolean agentPicks) {}

  /**
   * Agent capability: a port's {@code bridge} may list several bridges separated by {@code :},
   * and the agent takes the one a pooled shell already joined at prepare.
   */
  static final String BRIDGE_CHOICE = "bridge-choice";
  private volatile Thread worker;
  private volatile boolean running;

  private record Result(String node, CommandResult r) {}

  private record Event(String node, GuestEvent e) {}

  private record Report(String node, GuestReport r) {}

  private record Outgoing(String node, Command cmd) {}

  /** A firewall_guest row. */
  record Guest(String guestId, String subscriberId, String node, String attachment, String desired, String state,
      boolean stateful, long commandGeneration, Long inflight, long applied, Instant dispatchedAt) {}

  /** What a subscriber row asks for. */
  record Wanted(String id, String ueIp, String node, String attachment, Boolean failOpen, String policyJson,
      long generation) {}

  public FirewallProvisioner(JdbcTemplate jdbc, TransactionTemplate tx, ObjectProvider<AgentGateway> gateways,
      FirewallSettings cfg, MeterRegistry meters, CompiledPolicies policies) {
    this.jdbc = jdbc;
    this.tx = tx;
    this.gateways = SingletonSupplier.of(gateways::getIfAvailable);
    this.cfg = cfg;
    this.meters = meters;
    this.policies = policies;
  }

  // ------------------------------------------------------------------ inputs

  /** Subscribers whose desired state changed (call after the change is committed). */
  public void enqueue(Collection<String> subscriberIds) {
    if (!subscriberIds.isEmpty()) {
      queue.add(List.copyOf(subscriberIds));
    }
  }

  public void enqueue(String subscriberId) {
    queue.add(List.of(subscriberId));
  }

  @Override
  public void agentRegistered(String nodeName, Register register) {
    coreBridges.put(nodeName, new NodeBridges(register.getLabelsMap().getOrDefault(cfg.coreBridgeLabel(),
        cfg.coreBridge()), register.getCapabilitiesList().contains(BRIDGE_CHOICE)));
  }

  @Override
  public void heartbeat(String nodeName, Heartbeat heartbeat) {}

  @Override
  public void commandResult(String nodeName, CommandResult result) {
    // generation 0 is never one of ours (they start at 1): live counter reads
    // (counters.HandlerReader) must not count as an answer to a create or destroy
    if (result.getGuestId().startsWith(GUEST_PREFIX) && result.getGeneration() != 0) {
      queue.add(new Result(nodeName, result));
    }
  }

  @Override
  public void guestEvent(String nodeName, GuestEvent event) {
    if (event.getGuestId().startsWith(GUEST_PREFIX)) {
      queue.add(new Event(nodeName, event));
    }
  }

  @Override
  public void guestReport(String nodeName, GuestReport report) {
    queue.add(new Report(nodeName, report));
  }

  @Override
  public void agentDisconnected(String nodeName, String reason) {}

  /** Whether the node's agent is connected (for views). */
  public boolean connected(String node) {
    AgentGateway g = gateways.get();
    return g != null && g.isConnected(node);
  }

  // ------------------------------------------------------------------ worker

  private void loop() {
    long nextPass = System.nanoTime() + cfg.interval().toNanos();
    while (running) {
      List<Object> batch = new ArrayList<>();
      try {
        long waitNs = Math.max(1_000_000L, nextPass - System.nanoTime());
        Object first = queue.poll(waitNs, TimeUnit.NANOSECONDS);
        if (first != null) {
          batch.add(first);
          queue.drainTo(batch, 4 * cfg.chunk());
        }
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
        continue;
      }
      try {
        handle(batch);
        if (System.nanoTime() >= nextPass) {
          resendPass(null);
          nextPass = System.nanoTime() + cfg.interval().toNanos();
        }
      } catch (RuntimeException e) {
        log.warn("firewall provisioning step failed: {}", e.toString(), e);
        // put subscriber ids back so the work is not lost
        for (Object o : batch) {
          if (o instanceof List<?>) {
            queue.add(o);
          }
        }
        sleepQuietly(200);
      }
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(List<Object> batch) {
    List<Result> results = new ArrayList<>();
    List<Event> events = new ArrayList<>();
    List<Report> reports = new ArrayList<>();
    Set<String> subs = new LinkedHashSet<>();
    List<Flush> flushes = new ArrayList<>();
    for (Object o : batch) {
      if (o instanceof Flush f) {
        flushes.add(f);
      } else if (o instanceof Result r) {
        results.add(r);
      } else if (o instanceof Event e) {
        events.add(e);
      } else if (o instanceof Report r) {
        reports.add(r);
      } else if (o instanceof List<?> l) {
        for (Object x : l) {
          subs.add((String) x);
        }
      }
    }
    if (!results.isEmpty() || !events.isEmpty()) {
      subs.addAll(applyResults(results, events));
    }
    for (Report r : reports) {
      applyReport(r);
    }
    List<String> all = new ArrayList<>(subs);
    long t0 = System.nanoTime();
    for (int i = 0; i < all.size(); i += cfg.chunk()) {
      sync(all.subList(i, Math.min(all.size(), i + cfg.chunk())));
    }
    if (all.size() > cfg.chunk()) {
      log.info("synced the guests of {} subscribers in {} ms ({} results, {} events applied first)", all.size(),
          (System.nanoTime() - t0) / 1_000_000, results.size(), events.size());
    }
    if (flushes.stream().anyMatch(Flush::pass)) {
      resendPass(null);
    }
    flushes.forEach(f -> f.latch().countDown());
  }

  // ------------------------------------------------------------------ sync

  /** Brings the guests of {@code ids} in line with their subscriber rows; one transaction. */
  void sync(List<String> ids) {
    List<Outgoing> out = new ArrayList<>();
    Instant now = Instant.now();
    long t0 = System.nanoTime();
    tx.executeWithoutResult(s -> {
      String[] arr = ids.toArray(String[]::new);
      Map<String, Wanted> wanted = new HashMap<>();
      jdbc.query("SELECT id, ue_ip, edge_node, attachment, fail_open, policy, policy_generation FROM subscriber"
          + " WHERE id = ANY(?)", rs -> {
            wanted.put(rs.getString(1), new Wanted(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), (Boolean) rs.getObject(5), rs.getString(6), rs.getLong(7)));
          }, (Object) arr);
      Map<String, Guest> guests = new HashMap<>();
      for (Guest g : jdbc.query(GUEST_SELECT + " WHERE subscriber_id = ANY(?) AND desired = 'RUNNING' FOR UPDATE",
          FirewallProvisioner::guest, (Object) arr)) {
        guests.put(g.subscriberId(), g);
      }
      List<Object[]> inserts = new ArrayList<>();
      for (String id : ids) {
        Wanted w = wanted.get(id);
        Guest g = guests.get(id);
        FirewallPolicy eff = w == null ? null : effective(w);
        if (g != null) {
          boolean moved = w == null || !g.node().equals(w.node()) || !g.attachment().equals(w.attachment());
          boolean stale = eff != null && g.applied() != w.generation();
          boolean replace = eff == null || moved
              || (stale && "FAILED".equals(g.state()) && (g.inflight() == null || w.generation() > g.inflight()))
              || (stale && g.stateful() != eff.stateful());
          if (replace) {
            long gen = g.commandGeneration() + 1;
            jdbc.update("UPDATE firewall_guest SET desired = 'DELETED', state = 'TERMINATING', command_generation = ?,"
                + " dispatched_at = ?, updated_at = ? WHERE guest_id = ?", gen, ts(now), ts(now), g.guestId());
            out.add(new Outgoing(g.node(), destroy(g.guestId(), gen)));
            g = null;
          } else if (stale && "RUNNING".equals(g.state())) {
            CompiledFirewall c = compile(eff, w);
            if (c == null) {
              continue;
            }
            if (!fitsLive(c)) {
              // too big for the guest's handler area: replace the guest instead (flows are lost)
              long gen = g.commandGeneration() + 1;
              jdbc.update("UPDATE firewall_guest SET desired = 'DELETED', state = 'TERMINATING', command_generation = ?,"
                  + " dispatched_at = ?, updated_at = ? WHERE guest_id = ?", gen, ts(now), ts(now), g.guestId());
              out.add(new Outgoing(g.node(), destroy(g.guestId(), gen)));
              String guestId = GUEST_PREFIX + UUID.randomUUID();
              inserts.add(new Object[] {guestId, id, w.node(), w.attachment(), eff.stateful(), w.generation(), ts(now),
                  ts(now), ts(now)});
              out.add(new Outgoing(w.node(), create(guestId, 1, w, c)));
              continue;
            }
            long gen = g.commandGeneration();
            jdbc.update("UPDATE firewall_guest SET state = 'UPDATING', command_generation = ?, inflight_policy_gen = ?,"
                + " error = NULL, dispatched_at = ?, updated_at = ? WHERE guest_id = ?", gen + 2, w.generation(),
                ts(now), ts(now), g.guestId());
            for (int k = 0; k < 2; k++) {
              CompiledFirewall.HandlerWrite hw = c.liveUpdate().get(k);
              out.add(new Outgoing(g.node(), Command.newBuilder().setCommandId(UUID.randomUUID().toString())
                  .setGuestId(g.guestId()).setGeneration(gen + 1 + k)
                  .setWriteHandler(WriteHandler.newBuilder().setHandler(hw.handler()).setValue(hw.value())).build()));
            }
            meters.counter("mayfly.firewall.commands", "action", "write_handler").increment();
          }
          // PENDING / UPDATING with a newer generation wanted: the result handler queues the
          // subscriber again when the command in flight is answered
        }
        if (g == null && eff != null) {
          CompiledFirewall c = compile(eff, w);
          if (c == null) {
            continue;
          }
          String guestId = GUEST_PREFIX + UUID.randomUUID();
          inserts.add(new Object[] {guestId, id, w.node(), w.attachment(), eff.stateful(), w.generation(), ts(now),
              ts(now), ts(now)});
          out.add(new Outgoing(w.node(), create(guestId, 1, w, c)));
          meters.counter("mayfly.firewall.commands", "action", "create").increment();
        }
      }
      if (!inserts.isEmpty()) {
        jdbc.batchUpdate("INSERT INTO firewall_guest (guest_id, subscriber_id, node_name, attachment, desired, state,"
            + " stateful, command_generation, inflight_policy_gen, dispatched_at, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, 'RUNNING', 'PENDING', ?, 1, ?, ?, ?, ?)", inserts);
      }
    });
    long t1 = System.nanoTime();
    send(out);
    if (log.isDebugEnabled()) {
      log.debug("sync of {} subscribers: {} commands, transaction {} ms, send {} ms", ids.size(), out.size(),
          (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    }
  }

  /**
   * Largest handler write a guest takes: name + '=' + value must stay below the noxs page's
   * handler area ({@code NOXS_HANDLER_SIZE}, 4 KiB, clickos-images/include/noxs_page.h).
   */
  static final int HANDLER_AREA = 4096;

  /** Whether the live update of {@code c} fits the guest's handler area (about 50 rules per direction). */
  static boolean fitsLive(CompiledFirewall c) {
    for (CompiledFirewall.HandlerWrite w : c.liveUpdate()) {
      if (w.handler().length() + 1 + w.value().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
          >= HANDLER_AREA) {
        return false;
      }
    }
    return true;
  }

  /** What the guest must enforce, or null when the subscriber gets no guest (fail closed). */
  FirewallPolicy effective(Wanted w) {
    if (w.policyJson() != null) {
      return policies.model(w.policyJson());
    }
    boolean open = w.failOpen() != null ? w.failOpen() : cfg.failOpen();
    return open ? PolicyMapper.PASS_ALL : null;
  }

  private CompiledFirewall compile(FirewallPolicy p, Wanted w) {
    try {
      return policies.compile(w.policyJson() != null ? w.policyJson() : "(pass-all)", p, w.ueIp());
    } catch (RuntimeException e) {
      // validated in the request already: only a compiler bug gets here
      log.error("subscriber {}: policy generation {} does not compile: {}", w.id(), w.generation(), e.getMessage());
      return null;
    }
  }

  private Command create(String guestId, long gen, Wanted w, CompiledFirewall c) {
    GuestSpec spec = GuestSpec.newBuilder()
        .setNfType(NF_TYPE)
        .setClickConfig(c.clickConfig())
        .addPorts(Port.newBuilder().setName(FirewallCompiler.ACCESS_PORT).setXconnect(w.attachment()))
        .addPorts(Port.newBuilder().setName(FirewallCompiler.CORE_PORT).setBridge(coreBridge(w.node(), w.id())))
        .setMemoryBytes(cfg.memoryMib() * 1024L * 1024L)
        .setCpuWeight(cfg.cpuWeight())
        .setPidsMax(cfg.pidsMax())
        .putLabels("mayfly.subscriber", w.id())
        .build();
    return Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(guestId).setGeneration(gen)
        .setCreate(CreateGuest.newBuilder().setSpec(spec)).build();
  }

  private static Command destroy(String guestId, long gen) {
    return Command.newBuilder().setCommandId(UUID.randomUUID().toString()).setGuestId(guestId).setGeneration(gen)
        .setDestroy(DestroyGuest.getDefaultInstance()).build();
  }

  /**
   * The core bridge for a subscriber on {@code node}, as a port's {@code bridge}. The node label
   * {@code mayfly.core-bridge} (else the default) may list several bridges separated by {@code :}:
   * a Linux bridge holds at most 1024 ports, so a node with more firewall guests needs more core
   * bridges. An agent with the capability {@value #BRIDGE_CHOICE} gets the whole list and picks
   * the bridge a pooled shell joined at prepare (a boot then enslaves nothing there); for any
   * other agent the subscriber lands on one of them by a hash of its id.
   */
  public String coreBridge(String node, String subscriberId) {
    NodeBridges nb = nodeBridges(node);
    if (nb.agentPicks() || nb.bridges().indexOf(':') < 0) {
      return nb.bridges();
    }
    String[] all = nb.bridges().split(":");
    return all[Math.floorMod(subscriberId.hashCode(), all.length)];
  }

  private NodeBridges nodeBridges(String node) {
    return coreBridges.computeIfAbsent(node, n -> {
      List<NodeBridges> rows = jdbc.query("SELECT labels, capabilities FROM edge_node WHERE name = ?",
          (rs, i) -> new NodeBridges(Json.readMap(rs.getString(1)).getOrDefault(cfg.coreBridgeLabel(),
              cfg.coreBridge()), rs.getString(2) != null && rs.getString(2).contains('"' + BRIDGE_CHOICE + '"')),
          n);
      return rows.isEmpty() ? new NodeBridges(cfg.coreBridge(), false) : rows.get(0);
    });
  }

  private void send(List<Outgoing> out) {
    if (out.isEmpty()) {
      return;
    }
    AgentGateway g = gateways.get();
    List<Object[]> unsent = new ArrayList<>();
    // one write per node: the commands of a whole chunk go out in one flush
    Map<String, List<Command>> byNode = new LinkedHashMap<>();
    for (Outgoing o : out) {
      byNode.computeIfAbsent(o.node(), n -> new ArrayList<>()).add(o.cmd());
    }
    byNode.forEach((node, cmds) -> {
      if (g == null || !g.send(node, cmds)) {
        cmds.forEach(c -> unsent.add(new Object[] {c.getGuestId()}));
      }
    });
    if (!unsent.isEmpty()) {
      // not connected: the resend pass sends it when the node is back
      jdbc.batchUpdate("UPDATE firewall_guest SET dispatched_at = NULL WHERE guest_id = ?", unsent);
    }
  }

  // ------------------------------------------------------------------ results

  private static final String GUEST_SELECT = "SELECT guest_id, subscriber_id, node_name, attachment, desired, state,"
      + " stateful, command_generation, inflight_policy_gen, applied_policy_gen, dispatched_at FROM firewall_guest";

  private static Guest guest(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
    Timestamp d = rs.getTimestamp(11);
    return new Guest(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        rs.getString(6), rs.getBoolean(7), rs.getLong(8), (Long) rs.getObject(9), rs.getLong(10),
        d == null ? null : d.toInstant());
  }

  /** Applies results and events; returns the subscribers to look at again. */
  private Set<String> applyResults(List<Result> results, List<Event> events) {
    Set<String> again = new HashSet<>();
    Instant now = Instant.now();
    List<Outgoing> out = new ArrayList<>();
    tx.executeWithoutResult(s -> {
      Set<String> ids = new HashSet<>();
      results.forEach(r -> ids.add(r.r().getGuestId()));
      events.forEach(e -> ids.add(e.e().getGuestId()));
      Map<String, Guest> rows = new HashMap<>();
      for (Guest g : jdbc.query(GUEST_SELECT + " WHERE guest_id = ANY(?) FOR UPDATE", FirewallProvisioner::guest,
          (Object) ids.toArray(String[]::new))) {
        rows.put(g.guestId(), g);
      }
      List<Object[]> running = new ArrayList<>();
      List<Object[]> failed = new ArrayList<>();
      List<Object[]> deleted = new ArrayList<>();
      List<Guest> crashed = new ArrayList<>();
      Map<String, Long> settled = new HashMap<>();
      Map<String, String> crashReason = new HashMap<>();
      for (Result res : results) {
        CommandResult r = res.r();
        Guest g = rows.get(r.getGuestId());
        if (g == null || !g.node().equals(res.node())) {
          continue;
        }
        if ("DELETED".equals(g.desired())) {
          if (r.getOk() || "NOT_FOUND".equals(r.getErrorCode()) || r.getState() == GuestState.DESTROYED) {
            deleted.add(new Object[] {g.guestId()});
            rows.remove(g.guestId());
          }
          continue;
        }
        if (r.getGeneration() != g.commandGeneration()) {
          boolean firstWriteFailed = !r.getOk() && "UPDATING".equals(g.state())
              && r.getGeneration() == g.commandGeneration() - 1 && !"STALE_GENERATION".equals(r.getErrorCode());
          if (firstWriteFailed) {
            failed.add(new Object[] {msg(r), ts(now), g.guestId()});
            again.add(g.subscriberId());
          }
          continue;
        }
        if (r.getOk()) {
          running.add(new Object[] {g.inflight() == null ? g.applied() : g.inflight(), ts(now), g.guestId()});
          rows.put(g.guestId(), new Guest(g.guestId(), g.subscriberId(), g.node(), g.attachment(), g.desired(),
              "RUNNING", g.stateful(), g.commandGeneration(), null, g.inflight() == null ? g.applied() : g.inflight(),
              null));
          meters.counter("mayfly.firewall.results", "ok", "true").increment();
          if (g.subscriberId() != null) {
            settled.put(g.subscriberId(), g.inflight() == null ? g.applied() : g.inflight());
          }
        } else {
          failed.add(new Object[] {msg(r), ts(now), g.guestId()});
          meters.counter("mayfly.firewall.results", "ok", "false").increment();
          if (g.subscriberId() != null) {
            again.add(g.subscriberId());
          }
        }
      }
      // a guest now runs the generation it was sent: look at its subscriber again only when
      // that is no longer the subscriber's (every change of what it must enforce, a move, a
      // deleted policy, bumps policy_generation) or the subscriber is gone; a bulk run would
      // otherwise sync every subscriber a second time for nothing
      if (!settled.isEmpty()) {
        Map<String, Long> current = new HashMap<>();
        jdbc.query("SELECT id, policy_generation FROM subscriber WHERE id = ANY(?)",
            rs -> {
              current.put(rs.getString(1), rs.getLong(2));
            }, (Object) settled.keySet().toArray(String[]::new));
        settled.forEach((sub, gen) -> {
          if (!gen.equals(current.get(sub))) {
            again.add(sub);
          }
        });
      }
      for (Event ev : events) {
        GuestEvent e = ev.e();
        Guest g = rows.get(e.getGuestId());
        if (g == null || !g.node().equals(ev.node())) {
          continue;
        }
        if ("DELETED".equals(g.desired())) {
          if (e.getState() == GuestState.DESTROYED) {
            deleted.add(new Object[] {g.guestId()});
            rows.remove(g.guestId());
          }
        } else if (e.getState() == GuestState.CRASHED || e.getState() == GuestState.STOPPED
            || e.getState() == GuestState.FAILED || e.getState() == GuestState.DESTROYED) {
          String why = "guest " + e.getState().name().toLowerCase() + (e.getReason().isEmpty() ? ""
              : ": " + e.getReason());
          boolean ran = "RUNNING".equals(g.state()) || "UPDATING".equals(g.state());
          if (ran && e.getState() != GuestState.FAILED && g.subscriberId() != null) {
            // it ran and went away on its own: replace it (restart(), after these updates)
            crashed.add(g);
            crashReason.put(g.guestId(), why);
            rows.remove(g.guestId());
          } else if (!"PENDING".equals(g.state()) || e.getState() != GuestState.FAILED) {
            failed.add(new Object[] {why, ts(now), g.guestId()});
          }
        }
      }
      if (!running.isEmpty()) {
        jdbc.batchUpdate("UPDATE firewall_guest SET state = 'RUNNING', applied_policy_gen = ?, inflight_policy_gen = NULL,"
            + " error = NULL, dispatched_at = NULL, updated_at = ? WHERE guest_id = ?", running);
      }
      if (!failed.isEmpty()) {
        jdbc.batchUpdate("UPDATE firewall_guest SET state = 'FAILED', error = ?, dispatched_at = NULL, updated_at = ?"
            + " WHERE guest_id = ?", failed);
      }
      if (!deleted.isEmpty()) {
        jdbc.batchUpdate("DELETE FROM firewall_guest WHERE guest_id = ?", deleted);
      }
      for (Guest g : crashed) {
        restart(g, crashReason.get(g.guestId()), now, out, again);
      }
    });
    send(out);
    return again;
  }

  /**
   * A guest that was RUNNING crashed, stopped or vanished while its subscriber still wants it:
   * destroy what is left of it and create a new guest (new id) for the same subscriber, at
   * once the first time, then after a growing back-off; after {@code max-restarts} restarts
   * within {@code restart-window} it stays FAILED (the next PUT of the policy replaces it).
   * The count travels with the new row ({@code restarts}, {@code last_restart_at}); while the
   * new guest is pending its {@code error} says why it was restarted. A guest in the middle of
   * a handover is left to the migration (shown FAILED).
   */
  private void restart(Guest g, String why, Instant now, List<Outgoing> out, Set<String> again) {
    Integer migrating = jdbc.queryForObject("SELECT count(*) FROM migration WHERE subscriber_id = ?"
        + " AND state NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK')", Integer.class, g.subscriberId());
    if (migrating != null && migrating > 0) {
      jdbc.update("UPDATE firewall_guest SET state = 'FAILED', error = ?, dispatched_at = NULL, updated_at = ?"
          + " WHERE guest_id = ?", why + " (during a handover: not restarted)", ts(now), g.guestId());
      return;
    }
    Map<String, Object> prev = jdbc.queryForMap("SELECT restarts, last_restart_at FROM firewall_guest"
        + " WHERE guest_id = ?", g.guestId());
    Timestamp last = (Timestamp) prev.get("last_restart_at");
    int earlier = last != null && last.toInstant().isAfter(now.minus(cfg.restartWindow()))
        ? ((Number) prev.get("restarts")).intValue() : 0;
    int n = earlier + 1;
    if (n > cfg.maxRestarts()) {
      String msg = why + "; not restarted again: restarted " + earlier + " times within " + cfg.restartWindow()
          + " (mayfly.firewall.max-restarts=" + cfg.maxRestarts() + "); a new PUT of the policy replaces it";
      jdbc.update("UPDATE firewall_guest SET state = 'FAILED', error = ?, dispatched_at = NULL, updated_at = ?"
          + " WHERE guest_id = ?", msg, ts(now), g.guestId());
      log.warn("subscriber {}: firewall guest {} on {}: {}", g.subscriberId(), g.guestId(), g.node(), msg);
      meters.counter("mayfly.firewall.restarts", "outcome", "limit").increment();
      return;
    }
    long gen = g.commandGeneration() + 1;
    jdbc.update("UPDATE firewall_guest SET desired = 'DELETED', state = 'TERMINATING', error = ?,"
        + " command_generation = ?, dispatched_at = ?, updated_at = ? WHERE guest_id = ?", why, gen, ts(now), ts(now),
        g.guestId());
    out.add(new Outgoing(g.node(), destroy(g.guestId(), gen)));
    Wanted w = wanted(g.subscriberId());
    FirewallPolicy eff = w == null ? null : effective(w);
    if (eff == null || !w.node().equals(g.node()) || !w.attachment().equals(g.attachment())) {
      again.add(g.subscriberId()); // changed meanwhile: sync decides
      return;
    }
    CompiledFirewall c = compile(eff, w);
    if (c == null) {
      return;
    }
    java.time.Duration wait = cfg.backoff(n);
    String guestId = GUEST_PREFIX + UUID.randomUUID();
    String note = "restart " + n + " of at most " + cfg.maxRestarts() + " within " + cfg.restartWindow()
        + " (guest " + g.guestId() + ": " + why + ")";
    boolean at = wait.isZero();
    jdbc.update("INSERT INTO firewall_guest (guest_id, subscriber_id, node_name, attachment, desired, state, stateful,"
        + " command_generation, inflight_policy_gen, error, dispatched_at, restarts, last_restart_at, restart_at,"
        + " created_at, updated_at) VALUES (?, ?, ?, ?, 'RUNNING', 'PENDING', ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        guestId, w.id(), w.node(), w.attachment(), eff.stateful(), w.generation(), note, at ? ts(now) : null, n,
        ts(now), at ? null : ts(now.plus(wait)), ts(now), ts(now));
    if (at) {
      out.add(new Outgoing(w.node(), create(guestId, 1, w, c)));
    }
    log.warn("subscriber {}: firewall guest {} on {}: {}; replaced by {} (restart {} of at most {}, in {} ms)",
        w.id(), g.guestId(), g.node(), why, guestId, n, cfg.maxRestarts(), wait.toMillis());
    meters.counter("mayfly.firewall.restarts", "outcome", "restarted").increment();
  }

  private Wanted wanted(String subscriberId) {
    List<Wanted> ws = jdbc.query("SELECT id, ue_ip, edge_node, attachment, fail_open, policy, policy_generation"
        + " FROM subscriber WHERE id = ?", (rs, n) -> new Wanted(rs.getString(1), rs.getString(2),
            rs.getString(3), rs.getString(4), (Boolean) rs.getObject(5), rs.getString(6), rs.getLong(7)),
        subscriberId);
    return ws.isEmpty() ? null : ws.get(0);
  }

  private static String msg(CommandResult r) {
    String m = r.getErrorMessage().isEmpty() ? r.getErrorCode() : r.getErrorCode() + ": " + r.getErrorMessage();
    return m.length() > 2000 ? m.substring(0, 2000) : m;
  }

  private void applyReport(Report rep) {
    Map<String, GuestEvent> held = new HashMap<>();
    for (GuestEvent g : rep.r().getGuestsList()) {
      if (g.getGuestId().startsWith(GUEST_PREFIX)) {
        held.put(g.getGuestId(), g);
      }
    }
    List<Outgoing> out = new ArrayList<>();
    tx.executeWithoutResult(s -> {
      List<Object[]> lost = new ArrayList<>();
      List<Object[]> gone = new ArrayList<>();
      for (Guest g : jdbc.query(GUEST_SELECT + " WHERE node_name = ? FOR UPDATE", FirewallProvisioner::guest,
          rep.node())) {
        GuestEvent h = held.remove(g.guestId());
        if (h == null) {
          if ("DELETED".equals(g.desired())) {
            gone.add(new Object[] {g.guestId()});
          } else if (!"FAILED".equals(g.state())) {
            lost.add(new Object[] {g.guestId()}); // the agent lost it: create it again
          }
        }
      }
      if (!lost.isEmpty()) {
        jdbc.batchUpdate("UPDATE firewall_guest SET state = 'PENDING', command_generation = 1,"
            + " inflight_policy_gen = NULL, applied_policy_gen = 0, dispatched_at = NULL WHERE guest_id = ?", lost);
      }
      if (!gone.isEmpty()) {
        jdbc.batchUpdate("DELETE FROM firewall_guest WHERE guest_id = ?", gone);
      }
    });
    // firewall guests nobody wants any more (e.g. the database was reset): destroy them
    for (GuestEvent h : held.values()) {
      log.info("node {} holds firewall guest {} that no subscriber owns: destroying it", rep.node(), h.getGuestId());
      out.add(new Outgoing(rep.node(), destroy(h.getGuestId(), h.getGeneration() + 1)));
    }
    send(out);
    resendPass(rep.node());
  }

  /**
   * Resends what is unanswered: creates (PENDING: the current policy, same generation, so a
   * duplicate is answered from the agent's memory), live updates (UPDATING: written again
   * with new generations) and destroys (TERMINATING).
   */
  void resendPass(String onlyNode) {
    AgentGateway gw = gateways.get();
    if (gw == null) {
      return;
    }
    Set<String> connected = gw.connectedNodes();
    if (connected.isEmpty()) {
      return;
    }
    Instant now = Instant.now();
    Instant before = now.minus(cfg.resendAfter());
    List<Guest> due = jdbc.query(GUEST_SELECT + " WHERE state IN ('PENDING', 'UPDATING', 'TERMINATING')"
        + " AND (dispatched_at IS NULL OR dispatched_at < ?) AND (restart_at IS NULL OR restart_at <= ?)"
        + (onlyNode != null ? " AND node_name = ?" : "") + " ORDER BY dispatched_at NULLS FIRST LIMIT 5000",
        FirewallProvisioner::guest,
        onlyNode != null ? new Object[] {ts(before), ts(now), onlyNode} : new Object[] {ts(before), ts(now)});
    List<String> resync = new ArrayList<>();
    List<Outgoing> out = new ArrayList<>();
    tx.executeWithoutResult(s -> {
      List<Object[]> touched = new ArrayList<>();
      for (Guest g : due) {
        if (!connected.contains(g.node())) {
          continue;
        }
        if ("TERMINATING".equals(g.state())) {
          out.add(new Outgoing(g.node(), destroy(g.guestId(), g.commandGeneration())));
          touched.add(new Object[] {ts(now), g.guestId()});
        } else if ("UPDATING".equals(g.state())) {
          // back to RUNNING at the applied generation; sync writes the current policy again
          jdbc.update("UPDATE firewall_guest SET state = 'RUNNING', inflight_policy_gen = NULL WHERE guest_id = ?",
              g.guestId());
          resync.add(g.subscriberId());
        } else if (g.subscriberId() != null) {
          Instant since = gw.connectedSince(g.node());
          if (since != null && g.dispatchedAt() != null && !g.dispatchedAt().isBefore(since)
              && g.dispatchedAt().isAfter(now.minus(cfg.resendAfterLive()))) {
            continue; // sent over the live connection: the agent has it (see resendAfterLive)
          }
          Wanted one = wanted(g.subscriberId());
          List<Wanted> ws = one == null ? List.of() : List.of(one);
          FirewallPolicy eff = ws.isEmpty() ? null : effective(ws.get(0));
          if (eff == null || !ws.get(0).node().equals(g.node()) || eff.stateful() != g.stateful()) {
            resync.add(g.subscriberId());
            continue;
          }
          CompiledFirewall c = compile(eff, ws.get(0));
          if (c == null) {
            continue;
          }
          jdbc.update("UPDATE firewall_guest SET inflight_policy_gen = ?, dispatched_at = ? WHERE guest_id = ?",
              ws.get(0).generation(), ts(now), g.guestId());
          out.add(new Outgoing(g.node(), create(g.guestId(), g.commandGeneration(), ws.get(0), c)));
        }
      }
      if (!touched.isEmpty()) {
        jdbc.batchUpdate("UPDATE firewall_guest SET dispatched_at = ? WHERE guest_id = ?", touched);
      }
    });
    send(out);
    if (!resync.isEmpty()) {
      sync(resync);
    }
  }

  private static Timestamp ts(Instant i) {
    return Timestamp.from(i);
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public void start() {
    running = true;
    Thread t = new Thread(this::loop, "mayfly-firewall");
    t.setDaemon(true);
    worker = t;
    t.start();
  }

  @Override
  public void stop() {
    running = false;
    Thread t = worker;
    worker = null;
    if (t != null) {
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return worker != null;
  }

  /** Waits until everything queued so far has been handled (tests). */
  public boolean awaitIdle(long timeoutMs) throws InterruptedException {
    java.util.concurrent.CountDownLatch l = new java.util.concurrent.CountDownLatch(1);
    queue.add(new Flush(l, false));
    return l.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Runs a resend pass (what the worker does every {@code interval}) on the worker and waits for it (tests). */
  public boolean awaitResendPass(long timeoutMs) throws InterruptedException {
    java.util.concurrent.CountDownLatch l = new java.util.concurrent.CountDownLatch(1);
    queue.add(new Flush(l, true));
    return l.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private record Flush(java.util.concurrent.CountDownLatch latch, boolean pass) {}
}
