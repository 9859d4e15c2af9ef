package dev.mayfly.controller.migration;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.controller.catalog.CatalogService;
import dev.mayfly.controller.catalog.NfDescriptorEntity;
import dev.mayfly.controller.catalog.NfDescriptorRepository;
import dev.mayfly.controller.config.Json;
import dev.mayfly.controller.instance.ClusterViews;
import dev.mayfly.controller.placement.Placer;
import dev.mayfly.controller.placement.PlacementRequest;
import dev.mayfly.controller.placement.Plan;
import dev.mayfly.controller.web.ApiProblem;
import dev.mayfly.migration.flow.MigrationContext;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.Port;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Live migration of a catalog NF instance ({@code POST /nf-instances/{id}/migrate}): the checks,
 * the guest spec on the target, and what "moving the traffic" means for an instance (its row in
 * {@code nf_instance}). The phases and agent commands are the ones of the subscriber handover
 * ({@link AgentMigrationSteps}, {@link dev.mayfly.migration.flow.MigrationMachine}).
 *
 * <p><b>Ports.</b> An instance's ports attach to bridges of its node (or stay unplugged); the
 * restored guest on the target attaches the same port to the bridge of the same name there. A
 * port cross-connected to an interface ({@code xconnect}) is node-local and does not move: such
 * an instance is refused.
 *
 * <p><b>Generations.</b> Agents remember per guest the last generation applied and refuse older
 * ones, and a guest's events carry the generation it was booted or restored with. The migration's
 * commands use {@code base+1 .. base+10} on both agents, where {@code base} is the larger of the
 * instance's generation and its {@code generation_floor} (above everything an earlier migration
 * of the same guest sent). The restored guest on the target carries
 * {@code base+}{@link #RESTORED_GENERATION} (the generation of {@code RestoreMigrated}), so when
 * the traffic moves the instance's generation becomes that value; after a rollback it is the
 * instance's generation from before (the source guest's own). Either way
 * {@code generation_floor = base+10}, so the next command the reconciler sends (delete, restart)
 * and the next migration are newer than anything this one sent.
 *
 * <p>While a migration runs, the reconciler has nothing to send (observed = desired generation),
 * the event handler keeps tracking the source guest (PAUSED, RUNNING again after a rollback),
 * ignores the target's guest until the row names the target, and a delete of the instance is
 * refused (409). A drain or restart that changes the row meanwhile makes the traffic move fail,
 * and the migration rolls back.
 *
 * <p><b>Leftovers on the target.</b> After a rollback the target may still hold a copy of the guest
 * (booted ahead, or restored) when its agent could not be reached for the discard (killed,
 * disconnected). A {@code guest_cleanup} row (target node, guest id) makes the reconciler destroy
 * it once that agent is connected again (a {@code NOT_FOUND} answer also clears it); until then a
 * new migration of the instance to that node is refused.
 */
@Component
class InstanceMigrations {
  /** Generation offset of {@code RestoreMigrated} in {@link AgentMigrationSteps} (target: expect +1, restore +2). */
  static final int RESTORED_GENERATION = 2;
  /** Capabilities a node's driver must register for a guest to leave or land on it. */
  static final List<String> NEEDED_CAPABILITIES = List.of("pause", "checkpoint");

  private final JdbcTemplate jdbc;
  private final TransactionTemplate tx;
  private final ClusterViews clusterViews;
  private final Placer placer;
  private final NfDescriptorRepository descriptors;

  InstanceMigrations(JdbcTemplate jdbc, TransactionTemplate tx, ClusterViews clusterViews, Placer placer,
      NfDescriptorRepository descriptors) {
    this.jdbc = jdbc;
    this.tx = tx;
    this.clusterViews = clusterViews;
    this.placer = placer;
    this.descriptors = descriptors;
  }

  record Instance(UUID id, String nf, String node, String guestId, String desired, String observed,
      long generation, long observedGeneration, long memoryBytes, String constraintLabels, String ports,
      long generationFloor) {}

  record Node(String name, String status, String dataPlane, List<String> capabilities) {}

  private static ApiProblem conflict(String type, String field, String detail) {
    return new ApiProblem(HttpStatus.CONFLICT, type, "Conflict", detail, List.of(new FieldError(field, detail)));
  }

  Instance instance(UUID id, boolean lock) {
    List<Instance> l = jdbc.query("SELECT id, nf_name, node_name, guest_id, desired_state, observed_state, generation,"
        + " observed_generation, memory_bytes, constraint_labels, ports, generation_floor FROM nf_instance WHERE id = ?"
        + (lock ? " FOR UPDATE" : ""), (rs, n) -> new Instance((UUID) rs.getObject(1), rs.getString(2),
            rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8),
            rs.getLong(9), rs.getString(10), rs.getString(11), rs.getLong(12)), id);
    return l.isEmpty() ? null : l.get(0);
  }

  private Node node(String name) {
    List<Node> l = jdbc.query("SELECT name, status, data_plane_address, capabilities FROM edge_node WHERE name = ?",
        (rs, n) -> new Node(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4) == null ? List.of() : Json.readList(rs.getString(4))), name);
    return l.isEmpty() ? null : l.get(0);
  }

  /** Why {@code n}'s agent cannot take part in a migration, or null. */
  private static String unfit(Node n) {
    for (String c : NEEDED_CAPABILITIES) {
      if (!n.capabilities().contains(c)) {
        return "the guest driver of edge node '" + n.name() + "' cannot " + c + " guests (capabilities: "
            + String.join(", ", n.capabilities()) + "), so the instance cannot be live-migrated";
      }
    }
    if (n.dataPlane() == null || n.dataPlane().isBlank()) {
      return "edge node '" + n.name() + "' registered no data-plane address (agent flag --data-plane-address)"
          + " and takes no part in migrations";
    }
    return null;
  }

  /**
   * Checks a migrate request and records it (operation, migration row, generations reserved) in
   * the caller's transaction; returns the migration row.
   *
   * @throws ApiProblem 404 unknown instance, 422 missing/unknown/same target, 409 otherwise
   */
  MigrationStore.Row check(UUID instanceId, String targetNode, MigrationStore store, UUID opId, String migId,
      Instant now) {
    Instance i = instance(instanceId, true);
    if (i == null) {
      throw ApiProblem.notFound("NF instance", instanceId.toString());
    }
    if (targetNode == null || targetNode.isBlank()) {
      throw ApiProblem.invalid("targetNode", "is required");
    }
    Node target = node(targetNode);
    if (target == null) {
      throw ApiProblem.invalid("targetNode", "edge node '" + targetNode + "' does not exist");
    }
    if (targetNode.equals(i.node())) {
      throw ApiProblem.invalid("targetNode", "NF instance " + instanceId + " already runs on node " + targetNode);
    }
    Long active = jdbc.queryForObject("SELECT count(*) FROM migration WHERE guest_id = ?"
        + " AND state NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK')", Long.class, i.guestId());
    if (active != null && active > 0) {
      throw conflict("migration-in-progress", "instanceId", "NF instance " + instanceId
          + " has a migration in progress");
    }
    if (!"RUNNING".equals(i.desired())) {
      throw conflict("instance-not-running", "instanceId", "NF instance " + instanceId + " is being deleted");
    }
    if (!"RUNNING".equals(i.observed()) || i.observedGeneration() != i.generation() || i.node() == null) {
      throw conflict("instance-not-running", "instanceId", "NF instance " + instanceId + " is " + i.observed()
          + (i.observedGeneration() != i.generation() ? " (generation " + i.generation() + " not yet applied)" : "")
          + "; only a RUNNING instance can be live-migrated");
    }
    Node source = node(i.node());
    String why = source == null ? "its node " + i.node() + " is not registered" : unfit(source);
    if (why != null) {
      throw conflict("not-migratable", "instanceId", why);
    }
    List<Map> ports = Json.readList(i.ports(), Map.class);
    for (int k = 0; k < ports.size(); k++) {
      Object x = ports.get(k).get("xconnect");
      if (x != null) {
        throw conflict("not-migratable", "instanceId", "port '" + ports.get(k).get("name") + "' of NF instance "
            + instanceId + " is cross-connected to interface '" + x + "' of node " + i.node()
            + ", which does not move with it; only bridged ports migrate");
      }
    }
    Integer leftover = jdbc.queryForObject("SELECT count(*) FROM guest_cleanup WHERE guest_id = ? AND node_name = ?",
        Integer.class, i.guestId(), targetNode);
    if (leftover != null && leftover > 0) {
      throw conflict("node-not-feasible", "targetNode", "edge node '" + targetNode + "' still holds a copy of"
          + " this instance's guest from an earlier migration attempt, to be destroyed when its agent is connected;"
          + " retry then");
    }
    if (!descriptors.existsById(i.nf())) {
      throw conflict("not-migratable", "instanceId", "network function '" + i.nf() + "' is no longer in the catalog");
    }
    // the target through the placement filters (health, cordon, the instance's label constraints, capacity)
    Plan plan = placer.place(clusterViews.lockAndSnapshot(), new PlacementRequest(i.memoryBytes(),
        i.constraintLabels() == null ? Map.of() : Json.readMap(i.constraintLabels()), null, targetNode, Set.of()));
    if (!plan.feasible()) {
      throw conflict("node-not-feasible", "targetNode", "edge node '" + targetNode + "' cannot take NF instance "
          + instanceId + ": " + plan.rejections().getOrDefault(targetNode, "rejected by placement"));
    }
    why = unfit(target);
    if (why != null) {
      throw conflict("node-not-feasible", "targetNode", why);
    }
    long base = Math.max(i.generation(), i.generationFloor());
    jdbc.update("UPDATE nf_instance SET generation_floor = ?, updated_at = ? WHERE id = ?",
        base + MigrationService.RESERVED_GENERATIONS, MigrationStore.ts(now), instanceId);
    store.insertOperation(opId, "MIGRATE", "NF_INSTANCE", instanceId.toString(), now);
    MigrationStore.Row r = new MigrationStore.Row(migId, "MIGRATE", opId, null, i.guestId(), i.nf(), i.node(),
        targetNode, null, null, base, "PENDING", null, i.generation());
    store.insert(r, now);
    return r;
  }

  /** The instance's guest spec on the target: descriptor, resources, labels, the same bridges. */
  GuestSpec spec(MigrationStore.Row row) {
    Instance i = byGuest(row.guestId());
    if (i == null) {
      throw new IllegalStateException("NF instance with guest " + row.guestId() + " no longer exists");
    }
    NfDescriptorEntity d = descriptors.findById(i.nf()).orElseThrow(() -> new IllegalStateException(
        "network function '" + i.nf() + "' is no longer in the catalog"));
    Map<String, String> labels = jdbc.queryForObject("SELECT labels FROM nf_instance WHERE id = ?",
        (rs, n) -> rs.getString(1) == null ? Map.<String, String>of() : Json.readMap(rs.getString(1)), i.id());
    GuestSpec.Builder b = GuestSpec.newBuilder()
        .setNfType(d.name())
        .setClickConfig(d.clickConfig())
        .setMemoryBytes(i.memoryBytes())
        .setCpuWeight(d.cpuWeight())
        .setPidsMax(d.pidsMax())
        .putAllLabels(labels)
        .putLabels("mayfly.instance", i.id().toString())
        .putLabels("mayfly.migration", row.id());
    // as the reconciler's create: every descriptor port in descriptor order, attached as the instance says
    Map<String, Map> attach = new HashMap<>();
    for (Map m : Json.readList(i.ports(), Map.class)) {
      attach.put(String.valueOf(m.get("name")), m);
    }
    for (String name : CatalogService.portNames(d)) {
      Port.Builder pb = Port.newBuilder().setName(name);
      Map m = attach.get(name);
      if (m != null) {
        if (m.get("bridge") != null) {
          pb.setBridge(String.valueOf(m.get("bridge")));
        } else if (m.get("xconnect") != null) {
          pb.setXconnect(String.valueOf(m.get("xconnect")));
        }
        if (m.get("mac") != null) {
          pb.setMac(String.valueOf(m.get("mac")));
        }
      }
      b.addPorts(pb);
    }
    return b.build();
  }

  /** The steps of the NF-instance migration {@code row}. */
  AgentMigrationSteps steps(AgentCommands agents, MigrationStore.Row row, Supplier<String> targetAddress,
      AgentMigrationSteps.Timeouts timeouts) {
    return new Steps(agents, row, () -> spec(row), targetAddress, new Traffic(row), timeouts);
  }

  /**
   * The shared agent steps, live like a handover (the guest booted ahead on the target with the
   * instance's spec; the downtime in one agent-to-agent command); after the discard of the target (a compensation) the target's copy is
   * also handed to the reconciler's cleanup, in case the agent could not be reached.
   */
  final class Steps extends AgentMigrationSteps {
    private final MigrationStore.Row row;

    Steps(AgentCommands agents, MigrationStore.Row row, Supplier<GuestSpec> spec, Supplier<String> targetAddress,
        Traffic traffic, AgentMigrationSteps.Timeouts timeouts) {
      super(agents, row.baseGeneration(), spec, targetAddress, traffic, timeouts, Mode.LIVE); // as a handover
      this.row = row;
    }

    @Override
    public void discardTarget(MigrationContext ctx) throws Exception {
      try {
        super.discardTarget(ctx);
      } finally {
        leaveCleanup(row);
      }
    }
  }

  /**
   * Registers the target's copy of the guest for the reconciler's cleanup (DestroyGuest at
   * {@code base+10}, above every generation the migration sent) unless the instance lives there.
   */
  void leaveCleanup(MigrationStore.Row row) {
    jdbc.update("INSERT INTO guest_cleanup (guest_id, node_name, generation, created_at) SELECT ?, ?, ?, ?"
        + " WHERE NOT EXISTS (SELECT 1 FROM nf_instance WHERE guest_id = ? AND node_name = ?)"
        + " ON CONFLICT (guest_id) DO NOTHING", row.guestId(), row.targetNode(),
        row.baseGeneration() + MigrationService.RESERVED_GENERATIONS - 1, MigrationStore.ts(Instant.now()),
        row.guestId(), row.targetNode());
  }

  private Instance byGuest(String guestId) {
    List<UUID> ids = jdbc.queryForList("SELECT id FROM nf_instance WHERE guest_id = ?", UUID.class, guestId);
    return ids.isEmpty() ? null : instance(ids.get(0), false);
  }

  /** "Moving the traffic" of an NF instance: its row names the target node (or the source again). */
  final class Traffic implements AgentMigrationSteps.TrafficMover {
    private final MigrationStore.Row row;

    Traffic(MigrationStore.Row row) {
      this.row = row;
    }

    /** The instance's generation when the migration started (the source guest's). */
    private long before() {
      return row.instanceGeneration() != null ? row.instanceGeneration() : row.baseGeneration();
    }

    @Override
    public void toTarget(MigrationContext ctx) {
      long before = before();
      long restored = row.baseGeneration() + RESTORED_GENERATION;
      Instant now = Instant.now();
      tx.executeWithoutResult(s -> {
        jdbc.execute("SET LOCAL synchronous_commit = off");
        int n = jdbc.update("UPDATE nf_instance SET node_name = ?, generation = ?, observed_generation = ?,"
            + " dispatched_generation = ?, dispatched_at = ?, observed_state = 'RUNNING', last_error = NULL,"
            + " updated_at = ? WHERE guest_id = ? AND node_name = ? AND generation = ? AND desired_state = 'RUNNING'",
            row.targetNode(), restored, restored, restored, MigrationStore.ts(now), MigrationStore.ts(now),
            row.guestId(), row.sourceNode(), before);
        if (n == 0) {
          Integer already = jdbc.queryForObject("SELECT count(*) FROM nf_instance WHERE guest_id = ? AND node_name = ?"
              + " AND generation = ?", Integer.class, row.guestId(), row.targetNode(), restored);
          if (already == null || already == 0) { // not a repeat after a restart: the row changed under us
            throw new IllegalStateException("NF instance with guest " + row.guestId() + " changed during the"
                + " migration (deleted, drained or restarted); not moved");
          }
        }
      });
    }

    @Override
    public void toSource(MigrationContext ctx) {
      long before = before();
      Instant now = Instant.now();
      tx.executeWithoutResult(s -> {
        jdbc.execute("SET LOCAL synchronous_commit = off");
        jdbc.update("UPDATE nf_instance SET node_name = ?, generation = ?, observed_generation = ?,"
            + " dispatched_generation = ?, dispatched_at = ?, updated_at = ? WHERE guest_id = ? AND node_name = ?"
            + " AND generation = ?", row.sourceNode(), before, before, before, MigrationStore.ts(now),
            MigrationStore.ts(now), row.guestId(), row.targetNode(), row.baseGeneration() + RESTORED_GENERATION);
      });
    }
  }
}
