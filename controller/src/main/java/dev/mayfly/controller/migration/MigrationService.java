package dev.mayfly.controller.migration;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.catalog.firewall.CompiledFirewall;
import dev.mayfly.catalog.firewall.FirewallCompiler;
import dev.mayfly.catalog.firewall.FirewallPolicy;
import dev.mayfly.controller.firewall.FirewallProvisioner;
import dev.mayfly.controller.firewall.FirewallSettings;
import dev.mayfly.controller.firewall.PolicyMapper;
import dev.mayfly.controller.reconcile.ReconcileTrigger;
import dev.mayfly.controller.web.ApiProblem;
import dev.mayfly.migration.flow.MigrationContext;
import dev.mayfly.migration.flow.MigrationMachine;
import dev.mayfly.migration.flow.MigrationSnapshot;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.Port;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Starts, runs and (after a restart) resumes migrations. A handover is checked and recorded in
 * one transaction (operation row, migration row, the guest's generations reserved), then a
 * {@link MigrationMachine} runs it on a worker thread with {@link MigrationStore#save} as its
 * listener. On start-up every unfinished migration is passed to
 * {@link MigrationMachine#resume(MigrationSnapshot, dev.mayfly.migration.flow.MigrationSteps)}.
 */
@Service
public class MigrationService implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(MigrationService.class);
  static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.@-]{1,15}");
  /** Command generations a migration reserves on its guest (see {@link AgentMigrationSteps}). */
  static final int RESERVED_GENERATIONS = 10;

  private final JdbcTemplate jdbc;
  private final TransactionTemplate tx;
  private final MigrationStore store;
  private final AgentCommands agents;
  private final FirewallProvisioner provisioner;
  private final FirewallSettings fw;
  private final InstanceMigrations instances;
  private final ReconcileTrigger reconcile;
  private final Map<String, MigrationMachine> running = new ConcurrentHashMap<>();
  private final AtomicInteger threads = new AtomicInteger();
  private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
    Thread th = new Thread(r, "migration-" + threads.incrementAndGet());
    th.setDaemon(true);
    return th;
  });
  private volatile AgentMigrationSteps.Timeouts timeouts = AgentMigrationSteps.Timeouts.defaults();
  private volatile boolean started;

  public MigrationService(JdbcTemplate jdbc, TransactionTemplate tx, MigrationStore store, AgentCommands agents,
      FirewallProvisioner provisioner, FirewallSettings fw, InstanceMigrations instances,
      ReconcileTrigger reconcile) {
    this.jdbc = jdbc;
    this.instances = instances;
    this.reconcile = reconcile;
    this.tx = tx;
    this.store = store;
    this.agents = agents;
    this.provisioner = provisioner;
    this.fw = fw;
  }

  /** For tests: shorter step timeouts. */
  public void timeouts(AgentMigrationSteps.Timeouts t) {
    this.timeouts = t;
  }

  /** The migration machines running in this process, by migration id. */
  public Map<String, MigrationMachine> running() {
    return Map.copyOf(running);
  }

  // ------------------------------------------------------------------ handover

  private record Sub(String id, String ueIp, String node, String attachment, Boolean failOpen, String policy) {}

  private record FwGuest(String guestId, String state, long generation) {}

  private record Node(String name, String status, String dataPlane) {}

  /**
   * Checks a handover request and starts it; returns the operation id.
   *
   * @throws ApiProblem 404 unknown subscriber, 422 bad or unknown field, 409 cordoned target,
   *     same node, attachment taken, firewall not running, a migration already in progress
   */
  public UUID handover(String subscriberId, String targetNode, String attachment) {
    if (targetNode == null || targetNode.isBlank()) {
      throw ApiProblem.invalid("targetNode", "is required");
    }
    if (attachment == null || attachment.isBlank()) {
      throw ApiProblem.invalid("attachment", "is required");
    }
    if (!IFNAME.matcher(attachment).matches()) {
      throw ApiProblem.invalid("attachment", "must be a Linux interface name (1..15 of A-Z a-z 0-9 _ . @ -)");
    }
    Instant now = Instant.now();
    String migId = "mig-" + UUID.randomUUID();
    UUID opId = UUID.randomUUID();
    MigrationStore.Row row;
    try {
      row = tx.execute(s -> {
        List<Sub> subs = jdbc.query("SELECT id, ue_ip, edge_node, attachment, fail_open, policy FROM subscriber"
            + " WHERE id = ? FOR UPDATE", (rs, n) -> new Sub(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), (Boolean) rs.getObject(5), rs.getString(6)), subscriberId);
        if (subs.isEmpty()) {
          throw ApiProblem.notFound("subscriber", subscriberId);
        }
        Sub sub = subs.get(0);
        List<Node> nodes = jdbc.query("SELECT name, status, data_plane_address FROM edge_node WHERE name = ?",
            (rs, n) -> new Node(rs.getString(1), rs.getString(2), rs.getString(3)), targetNode);
        if (nodes.isEmpty()) {
          throw ApiProblem.invalid("targetNode", "edge node '" + targetNode + "' does not exist");
        }
        Node node = nodes.get(0);
        if (targetNode.equals(sub.node())) {
          throw ApiProblem.invalid("targetNode", "subscriber " + subscriberId + " is already on node " + targetNode);
        }
        if (!"READY".equals(node.status())) {
          throw conflict("node-not-ready", "targetNode", "edge node '" + targetNode + "' is " + node.status()
              + " and takes no new guests");
        }
        if (node.dataPlane() == null || node.dataPlane().isBlank()) {
          throw conflict("no-data-plane", "targetNode", "edge node '" + targetNode
              + "' registered no data-plane address (agent flag --data-plane-address)");
        }
        Integer taken = jdbc.queryForObject("SELECT count(*) FROM subscriber WHERE edge_node = ? AND attachment = ?",
            Integer.class, targetNode, attachment);
        if (taken != null && taken > 0) {
          throw conflict("attachment-taken", "attachment", "attachment '" + attachment + "' on node " + targetNode
              + " belongs to another subscriber");
        }
        Integer active = jdbc.queryForObject("SELECT count(*) FROM migration WHERE subscriber_id = ?"
            + " AND state NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK')", Integer.class, subscriberId);
        if (active != null && active > 0) {
          throw conflict("migration-in-progress", null, "subscriber " + subscriberId
              + " has a handover in progress");
        }
        List<FwGuest> guests = jdbc.query("SELECT guest_id, state, command_generation FROM firewall_guest"
            + " WHERE subscriber_id = ? AND desired = 'RUNNING' FOR UPDATE",
            (rs, n) -> new FwGuest(rs.getString(1), rs.getString(2), rs.getLong(3)), subscriberId);
        if (guests.isEmpty()) {
          throw conflict("no-firewall", null, "subscriber " + subscriberId + " has no personal firewall guest"
              + " to move (no policy and fail-closed)");
        }
        FwGuest g = guests.get(0);
        if (!"RUNNING".equals(g.state())) {
          throw conflict("firewall-busy", null, "the firewall of subscriber " + subscriberId + " is " + g.state()
              + "; retry when it is RUNNING");
        }
        jdbc.update("UPDATE firewall_guest SET command_generation = command_generation + ?, updated_at = ?"
            + " WHERE guest_id = ?", RESERVED_GENERATIONS, MigrationStore.ts(now), g.guestId());
        store.insertOperation(opId, "HANDOVER", "SUBSCRIBER", subscriberId, now);
        MigrationStore.Row r = new MigrationStore.Row(migId, "HANDOVER", opId, subscriberId, g.guestId(),
            FirewallProvisioner.NF_TYPE, sub.node(), targetNode, sub.attachment(), attachment, g.generation(),
            "PENDING", null);
        store.insert(r, now);
        return r;
      });
    } catch (DuplicateKeyException e) {
      throw conflict("migration-in-progress", null, "subscriber " + subscriberId + " has a handover in progress");
    }
    MigrationContext ctx = new MigrationContext(row.id(), row.guestId(), row.sourceNode(), row.targetNode());
    start(new MigrationMachine(ctx, firewallSteps(row)).listener(store::save), row);
    return opId;
  }

  // ------------------------------------------------------------------ NF instance

  /**
   * Checks a migrate request for an NF instance and starts it; returns the operation id. The
   * checks and the instance-specific parts are in {@link InstanceMigrations}.
   *
   * @throws ApiProblem 404 unknown instance, 422 missing/unknown/same target, 409 not RUNNING,
   *     not migratable (node without checkpoint, cross-connected port), target not feasible
   *     (unreachable, cordoned, full, labels), a migration already in progress
   */
  public UUID migrateInstance(UUID instanceId, String targetNode) {
    Instant now = Instant.now();
    String migId = "mig-" + UUID.randomUUID();
    UUID opId = UUID.randomUUID();
    MigrationStore.Row row;
    try {
      row = tx.execute(s -> instances.check(instanceId, targetNode, store, opId, migId, now));
    } catch (DuplicateKeyException e) {
      throw conflict("migration-in-progress", "instanceId", "NF instance " + instanceId
          + " has a migration in progress");
    }
    MigrationContext ctx = new MigrationContext(row.id(), row.guestId(), row.sourceNode(), row.targetNode());
    start(new MigrationMachine(ctx, instanceSteps(row)).listener(store::save), row);
    return opId;
  }

  /** The steps of an NF-instance migration described by {@code row}. */
  AgentMigrationSteps instanceSteps(MigrationStore.Row row) {
    return instances.steps(agents, row, () -> jdbc.queryForObject("SELECT data_plane_address FROM edge_node"
        + " WHERE name = ?", String.class, row.targetNode()), timeouts);
  }

  /** The steps of the migration {@code row} by its kind, or null for a kind this controller does not know. */
  AgentMigrationSteps stepsFor(MigrationStore.Row row) {
    return switch (row.kind()) {
      case "HANDOVER" -> firewallSteps(row);
      case "MIGRATE" -> instanceSteps(row);
      default -> null;
    };
  }

  private static ApiProblem conflict(String type, String field, String detail) {
    return new ApiProblem(HttpStatus.CONFLICT, type, "Conflict", detail,
        field == null ? null : List.of(new FieldError(field, detail)));
  }

  private void start(MigrationMachine m, MigrationStore.Row row) {
    running.put(row.id(), m);
    workers.execute(() -> {
      try {
        MigrationSnapshot s = m.run();
        log.info("migration {} of {} {} -> {}: {} (downtime {} ms, total {} ms){}", row.id(), row.guestId(),
            row.sourceNode(), row.targetNode(), s.state(), s.downtimeMillis(), s.totalMillis(),
            s.error() == null ? "" : ": " + s.error());
      } catch (RuntimeException e) {
        log.error("migration {} crashed", row.id(), e);
      } finally {
        running.remove(row.id());
        if (row.subscriberId() != null) {
          provisioner.enqueue(row.subscriberId()); // let the provisioner look at the final rows
        } else {
          reconcile.kick(); // an NF instance: the reconciler looks at its final row
        }
      }
    });
  }

  /** The steps of a personal-firewall migration described by {@code row}. */
  AgentMigrationSteps firewallSteps(MigrationStore.Row row) {
    return new AgentMigrationSteps(agents, row.baseGeneration(), () -> firewallSpec(row),
        () -> jdbc.queryForObject("SELECT data_plane_address FROM edge_node WHERE name = ?", String.class,
            row.targetNode()),
        new FirewallTraffic(row), timeouts, AgentMigrationSteps.Mode.LIVE); // issue 6: the downtime agent to agent
  }

  /** The firewall guest's spec on the target node: same policy, ports of the target. */
  GuestSpec firewallSpec(MigrationStore.Row row) {
    Sub sub = jdbc.queryForObject("SELECT id, ue_ip, edge_node, attachment, fail_open, policy FROM subscriber"
        + " WHERE id = ?", (rs, n) -> new Sub(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), (Boolean) rs.getObject(5), rs.getString(6)), row.subscriberId());
    FirewallPolicy p = sub.policy() != null ? PolicyMapper.toModel(PolicyMapper.fromJson(sub.policy()))
        : PolicyMapper.PASS_ALL;
    CompiledFirewall c = FirewallCompiler.compile(p, sub.ueIp());
    String bridge = provisioner.coreBridge(row.targetNode(), sub.id());
    return GuestSpec.newBuilder()
        .setNfType(FirewallProvisioner.NF_TYPE)
        .setClickConfig(c.clickConfig())
        .addPorts(Port.newBuilder().setName(FirewallCompiler.ACCESS_PORT).setXconnect(row.targetAttachment()))
        .addPorts(Port.newBuilder().setName(FirewallCompiler.CORE_PORT).setBridge(bridge))
        .setMemoryBytes(fw.memoryMib() * 1024L * 1024L)
        .setCpuWeight(fw.cpuWeight())
        .setPidsMax(fw.pidsMax())
        .putLabels("mayfly.subscriber", sub.id())
        .putLabels("mayfly.migration", row.id())
        .build();
  }

  /** Moves the subscriber (edge node, attachment) and its firewall row between the nodes. */
  private final class FirewallTraffic implements AgentMigrationSteps.TrafficMover {
    private final MigrationStore.Row row;

    FirewallTraffic(MigrationStore.Row row) {
      this.row = row;
    }

    @Override
    public void toTarget(MigrationContext ctx) {
      move(row.targetNode(), row.targetAttachment(), row.sourceNode(), row.sourceAttachment());
    }

    @Override
    public void toSource(MigrationContext ctx) {
      move(row.sourceNode(), row.sourceAttachment(), row.targetNode(), row.targetAttachment());
    }

    private void move(String node, String att, String fromNode, String fromAtt) {
      Instant now = Instant.now();
      tx.executeWithoutResult(s -> {
        jdbc.execute("SET LOCAL synchronous_commit = off");
        jdbc.update("UPDATE subscriber SET edge_node = ?, attachment = ?, updated_at = ? WHERE id = ?"
            + " AND edge_node = ? AND attachment = ?", node, att, MigrationStore.ts(now), row.subscriberId(),
            fromNode, fromAtt);
        jdbc.update("UPDATE firewall_guest SET node_name = ?, attachment = ?, state = 'RUNNING', error = NULL,"
            + " updated_at = ? WHERE guest_id = ? AND node_name = ?", node, att, MigrationStore.ts(now),
            row.guestId(), fromNode);
      });
    }
  }

  // ------------------------------------------------------------------ restart

  /**
   * Resumes or rolls back every unfinished migration found in the database, each with the steps
   * of its kind (a subscriber's firewall or an NF instance).
   */
  public int resumeUnfinished() {
    int n = 0;
    for (MigrationStore.Row row : store.unfinished()) {
      if (running.containsKey(row.id())) {
        continue;
      }
      AgentMigrationSteps steps = stepsFor(row);
      if (steps == null) {
        log.error("migration {} has unknown kind '{}'; left as it is", row.id(), row.kind());
        continue;
      }
      MigrationSnapshot snap = row.snapshot();
      MigrationMachine m = snap == null
          ? new MigrationMachine(new MigrationContext(row.id(), row.guestId(), row.sourceNode(), row.targetNode()),
              steps)
          : MigrationMachine.resume(snap, steps);
      log.info("resuming migration {} of {} ({} -> {}) from state {}", row.id(), row.guestId(), row.sourceNode(),
          row.targetNode(), row.state());
      start(m.listener(store::save), row);
      n++;
    }
    return n;
  }

  @Override
  public void start() {
    started = true;
    workers.execute(() -> {
      try {
        resumeUnfinished();
      } catch (RuntimeException e) {
        log.error("resuming unfinished migrations failed", e);
      }
    });
  }

  /**
   * No new migrations; running ones are not interrupted (an interrupt would roll them back while
   * the southbound goes down). Whatever they had stored last is resumed by the next start.
   */
  @Override
  public void stop() {
    started = false;
    workers.shutdown();
  }

  @Override
  public boolean isRunning() {
    return started;
  }

  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 100; // after the southbound server and the provisioner
  }
}
