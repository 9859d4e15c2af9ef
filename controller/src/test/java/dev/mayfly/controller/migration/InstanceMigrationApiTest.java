package dev.mayfly.controller.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.client.ApiException;
import dev.mayfly.client.api.MobilityApi;
import dev.mayfly.client.model.InstanceState;
import dev.mayfly.client.model.MigrateRequest;
import dev.mayfly.client.model.NfInstance;
import dev.mayfly.client.model.NfInstanceCreate;
import dev.mayfly.client.model.Operation;
import dev.mayfly.client.model.OperationPhase;
import dev.mayfly.client.model.OperationState;
import dev.mayfly.client.model.OperationType;
import dev.mayfly.client.model.PortAttachment;
import dev.mayfly.client.model.ResourceType;
import dev.mayfly.controller.instance.ClusterViews;
import dev.mayfly.controller.support.ApiTestBase;
import dev.mayfly.migration.flow.MigrationSnapshot;
import dev.mayfly.migration.flow.MigrationState;
import dev.mayfly.migration.flow.Phase;
import dev.mayfly.migration.flow.StepRecord;
import dev.mayfly.migration.flow.StepStatus;
import dev.mayfly.southbound.v1.Capacity;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.Register;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * {@code POST /nf-instances/{id}/migrate} through the generated Java client (and raw calls checked
 * against openapi.yaml), against a scripted test double of the agents as in
 * {@link MigrationApiTest}: a background thread answers each command the controller sends, and
 * every result goes to both southbound listeners — {@link AgentCommands} (the migration steps) and
 * the reconciler's event handler, as the real fan-out does — so the test also shows that the
 * instance bookkeeping ignores the migration's own results.
 */
class InstanceMigrationApiTest extends ApiTestBase {

  @Autowired
  AgentCommands agentCommands;
  @Autowired
  MigrationService migrations;
  @Autowired
  MigrationStore store;
  @Autowired
  ClusterViews clusterViews;

  MobilityApi mobility;
  Thread answerer;
  volatile boolean answering;
  final Set<String> answered = ConcurrentHashMap.newKeySet();
  /** node, command → result to send, or null to stay silent. */
  volatile BiFunction<String, Command, CommandResult> script = (n, c) -> ok(c);
  UUID instance;
  String guestId;

  void register(String name, int slots, String... caps) {
    gateway.connect(name);
    agents.agentRegistered(name, Register.newBuilder().setNodeName(name).setAgentVersion("test")
        .setDriver("sandbox").addAllCapabilities(List.of(caps)).setDataPlaneAddress("127.0.0.1:75" + name.length())
        .setCapacity(Capacity.newBuilder().setCpus(2).setMemoryBytes(1L << 30).setGuestSlots(slots)).build());
  }

  /** Creates an instance pinned to {@code node} and lets the (scripted) agent report it RUNNING. */
  UUID running(String node, List<PortAttachment> ports) throws Exception {
    Operation op = instancesApi.createNfInstance(new NfInstanceCreate().nf("passthrough").node(node)
        .ports(new ArrayList<>(ports)));
    UUID id = UUID.fromString(op.getResource().getId());
    reconciler.reconcileNow();
    Command create = gateway.sentTo(node).stream().filter(c -> c.hasCreate()
        && c.getCreate().getSpec().getLabelsMap().get("mayfly.instance").equals(id.toString())).findFirst()
        .orElseThrow();
    answered.add(create.getCommandId());
    agents.commandResult(node, CommandResult.newBuilder().setCommandId(create.getCommandId())
        .setGuestId(create.getGuestId()).setGeneration(create.getGeneration()).setOk(true)
        .setState(GuestState.RUNNING).build());
    assertThat(instancesApi.getNfInstance(id).getState()).isEqualTo(InstanceState.RUNNING);
    return id;
  }

  @BeforeEach
  void setUp() throws Exception {
    jdbc.execute("TRUNCATE migration");
    migrations.timeouts(new AgentMigrationSteps.Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(3),
        Duration.ofMillis(200)));
    mobility = new MobilityApi(client);
    register("edge-a", 16, "pause", "checkpoint", "handlers");
    register("edge-b", 16, "pause", "checkpoint", "handlers");
    register("edge-c", 16, "pause", "checkpoint");
    nodesApi.cordonEdgeNode("edge-c");
    register("edge-nockpt", 16, "pause");
    register("edge-full", 1, "pause", "checkpoint");
    instance = running("edge-a", List.of(new PortAttachment().name("access").bridge("mfcore0"),
        new PortAttachment().name("core").bridge("mfcore1")));
    guestId = instancesApi.getNfInstance(instance).getGuestId();
    running("edge-full", List.of());
    answered.addAll(gateway.sent().stream().map(s -> s.command().getCommandId()).toList());
    answering = true;
    answerer = new Thread(this::answerLoop, "fake-agents");
    answerer.setDaemon(true);
    answerer.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    answering = false;
    answerer.join(5000);
  }

  private void answerLoop() {
    while (answering) {
      for (var s : gateway.sent()) {
        if (answered.add(s.command().getCommandId())) {
          CommandResult r = script.apply(s.node(), s.command());
          if (r != null) {
            agentCommands.commandResult(s.node(), r);
            agents.commandResult(s.node(), r); // the real fan-out: the instance bookkeeping sees it too
          }
        }
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The handover test's scripted answer (so both follow changes of the agent protocol), with the guest state. */
  static CommandResult ok(Command c) {
    return MigrationApiTest.ok(c).toBuilder().setState(c.hasDestroy() ? GuestState.DESTROYED
        : c.hasPause() ? GuestState.PAUSED : c.hasCheckpoint() ? GuestState.CHECKPOINTED : GuestState.RUNNING).build();
  }

  /** The guest spec a command to the target carries (whichever migration action holds one). */
  static java.util.Optional<dev.mayfly.southbound.v1.GuestSpec> specIn(Command c) {
    for (Object action : c.getAllFields().values()) {
      if (action instanceof com.google.protobuf.Message m) {
        for (Object v : m.getAllFields().values()) {
          if (v instanceof dev.mayfly.southbound.v1.GuestSpec spec) {
            return java.util.Optional.of(spec);
          }
        }
      }
    }
    return java.util.Optional.empty();
  }

  static CommandResult fail(Command c, String code, String msg) {
    return CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setGeneration(c.getGeneration()).setOk(false).setErrorCode(code).setErrorMessage(msg).build();
  }

  Operation awaitFinal(UUID op) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      Operation o = operationsApi.getOperation(op);
      if (o.getState() != OperationState.RUNNING && o.getState() != OperationState.PENDING
          && migrations.running().isEmpty()) {
        return o;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("operation " + op + " did not finish");
  }

  List<String> actions(String node) {
    List<String> out = new ArrayList<>();
    for (Command c : gateway.sentTo(node)) {
      if (c.getGuestId().equals(guestId) && !c.hasCreate()) {
        out.add(c.getActionCase().name());
      }
    }
    return out;
  }

  HttpResponse<String> migrate(UUID id, String body) throws Exception {
    return call("POST", "/nf-instances/" + id + "/migrate", "application/json", body);
  }

  String nodeOf(UUID id) {
    return jdbc.queryForObject("SELECT node_name FROM nf_instance WHERE id = ?", String.class, id);
  }

  long maxGenerationSent() {
    return gateway.sent().stream().filter(s -> s.command().getGuestId().equals(guestId))
        .mapToLong(s -> s.command().getGeneration()).max().orElseThrow();
  }

  /** Deleting the instance now: the reconciler's DestroyGuest goes to {@code node}, newer than anything sent. */
  void deleteGoesTo(String node) throws Exception {
    long max = maxGenerationSent();
    script = (n, c) -> null; // the test answers the destroy itself
    Operation del = instancesApi.deleteNfInstance(instance);
    reconciler.reconcileNow();
    Command destroy = gateway.sentTo(node).stream().filter(c -> c.hasDestroy() && c.getGuestId().equals(guestId)
        && c.getGeneration() > max).findFirst().orElseThrow(() -> new AssertionError("no DestroyGuest above "
            + max + " to " + node + ": " + gateway.sent()));
    answered.add(destroy.getCommandId());
    agents.commandResult(node, ok(destroy));
    assertThat(operationsApi.getOperation(del.getId()).getState()).isEqualTo(OperationState.SUCCEEDED);
    assertThat(jdbc.queryForObject("SELECT count(*) FROM nf_instance WHERE id = ?", Integer.class, instance))
        .isZero();
  }

  // ------------------------------------------------------------------ happy path

  @Test
  void migrateMovesTheInstanceWithTimings() throws Exception {
    long base = instancesApi.getNfInstance(instance).getGeneration();
    Operation accepted = mobility.migrateNfInstance(instance, new MigrateRequest().targetNode("edge-b"));
    assertThat(accepted.getType()).isEqualTo(OperationType.MIGRATE);
    assertThat(accepted.getResource().getType()).isEqualTo(ResourceType.NF_INSTANCE);
    assertThat(accepted.getResource().getId()).isEqualTo(instance.toString());
    Operation o = awaitFinal(accepted.getId());
    assertThat(o.getState()).as(String.valueOf(o.getError())).isEqualTo(OperationState.SUCCEEDED);
    assertThat(o.getPhases()).extracting(OperationPhase::getName).containsExactly("PREPARE_TARGET", "PAUSE_SOURCE",
        "CHECKPOINT", "TRANSFER", "RESTORE_TARGET", "MOVE_TRAFFIC", "RESUME", "DESTROY_SOURCE", "downtime", "total");
    assertThat(o.getPhases()).allSatisfy(p -> {
      assertThat(p.getState()).isEqualTo(OperationState.SUCCEEDED);
      assertThat(p.getDurationMs()).isNotNull().isGreaterThanOrEqualTo(0.0);
    });
    assertThat(actions("edge-a")).as("the source guest goes last").endsWith("DESTROY");
    assertThat(actions("edge-b")).doesNotContain("DESTROY", "CANCEL_MIGRATION");
    // the guest on the target: same descriptor, same bridges, labelled with its instance
    var spec = gateway.sentTo("edge-b").stream().filter(c -> c.getGuestId().equals(guestId))
        .map(InstanceMigrationApiTest::specIn).flatMap(java.util.Optional::stream).findFirst().orElseThrow();
    assertThat(spec.getNfType()).isEqualTo("passthrough");
    assertThat(spec.getPortsList()).extracting(p -> p.getName() + "@" + p.getBridge())
        .containsExactly("access@mfcore0", "core@mfcore1");
    assertThat(spec.getLabelsMap()).containsEntry("mayfly.instance", instance.toString());
    assertThat(spec.getClickConfig()).contains("FromDevice(access)");
    Command out = gateway.sentTo("edge-a").stream().filter(c -> c.hasMigrateOut()).findFirst().orElseThrow();
    assertThat(out.getMigrateOut().getTargetAddress()).isEqualTo("127.0.0.1:756");
    assertThat(out.getMigrateOut().getTargetNode()).isEqualTo("edge-b");

    // the instance is on edge-b, RUNNING, and its events from there count (the restored guest's generation)
    NfInstance after = instancesApi.getNfInstance(instance);
    assertThat(after.getNode()).isEqualTo("edge-b");
    assertThat(after.getState()).isEqualTo(InstanceState.RUNNING);
    assertThat(after.getGuestId()).isEqualTo(guestId);
    long restored = base + InstanceMigrations.RESTORED_GENERATION; // the restored guest's generation
    assertThat(after.getGeneration()).isEqualTo(restored);
    reconciler.reconcileNow();
    assertThat(gateway.sent().stream().filter(s -> s.command().getGuestId().equals(guestId)
        && s.command().hasCreate() && !s.node().equals("edge-a")).toList()).as("no re-create").isEmpty();
    agents.guestEvent("edge-a", GuestEvent.newBuilder().setGuestId(guestId).setGeneration(base)
        .setState(GuestState.DESTROYED).build());
    assertThat(instancesApi.getNfInstance(instance).getState()).as("the source's late event is ignored")
        .isEqualTo(InstanceState.RUNNING);
    agents.guestEvent("edge-b", GuestEvent.newBuilder().setGuestId(guestId).setGeneration(restored)
        .setState(GuestState.PAUSED).build());
    assertThat(instancesApi.getNfInstance(instance).getState()).isEqualTo(InstanceState.PAUSED);
    agents.guestEvent("edge-b", GuestEvent.newBuilder().setGuestId(guestId).setGeneration(restored)
        .setState(GuestState.RUNNING).build());
    assertThat(agentCommands.outstanding()).isZero();
    // placement counts it on edge-b now
    assertThat(nodesApi.getEdgeNode("edge-b").getInstances()).isEqualTo(1);
    assertThat(nodesApi.getEdgeNode("edge-a").getInstances()).isZero();
    // and it can go back (the agents refuse generations older than what they applied to this guest:
    // every command of the second migration is newer than the first's), then be deleted
    long firstMax = maxGenerationSent();
    Operation back = awaitFinal(mobility.migrateNfInstance(instance, new MigrateRequest().targetNode("edge-a"))
        .getId());
    assertThat(back.getState()).as(String.valueOf(back.getError())).isEqualTo(OperationState.SUCCEEDED);
    assertThat(nodeOf(instance)).isEqualTo("edge-a");
    List<Long> second = gateway.sent().stream().filter(s -> s.command().getGuestId().equals(guestId)
        && s.command().hasExpectMigration() && s.node().equals("edge-a")).map(s -> s.command().getGeneration())
        .toList();
    assertThat(second).hasSize(1).allSatisfy(g -> assertThat(g).isGreaterThan(firstMax));
    assertThat(instancesApi.getNfInstance(instance).getGeneration())
        .isEqualTo(base + MigrationService.RESERVED_GENERATIONS + InstanceMigrations.RESTORED_GENERATION);
    deleteGoesTo("edge-a");
  }

  // ------------------------------------------------------------------ bad input

  void refused(HttpResponse<String> r, int status, String field, String text) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    if (field != null) {
      assertThat(r.body()).contains("\"field\":\"" + field + "\"");
    }
    assertThat(r.body()).contains(text);
  }

  @Test
  void badInputIsRefusedNamingTheField() throws Exception {
    script = (n, c) -> c.hasCreate() ? null : ok(c); // instances created here stay unanswered unless running()
    refused(migrate(UUID.randomUUID(), "{\"targetNode\":\"edge-b\"}"), 404, null, "NF instance");
    HttpResponse<String> r = migrate(instance, "{}");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("targetNode");
    refused(migrate(instance, "{\"targetNode\":\"edge-z\"}"), 422, "targetNode", "'edge-z' does not exist");
    refused(migrate(instance, "{\"targetNode\":\"edge-a\"}"), 422, "targetNode", "already runs on node edge-a");
    refused(migrate(instance, "{\"targetNode\":\"edge-c\"}"), 409, "targetNode", "cordoned");
    refused(migrate(instance, "{\"targetNode\":\"edge-nockpt\"}"), 409, "targetNode", "cannot checkpoint guests");
    refused(migrate(instance, "{\"targetNode\":\"edge-full\"}"), 409, "targetNode", "no free guest slot (1/1)");
    gateway.disconnect("edge-b");
    agents.markUnreachable("edge-b", "test");
    refused(migrate(instance, "{\"targetNode\":\"edge-b\"}"), 409, "targetNode", "unreachable");
    refused(migrate(instance, "{\"targetNode\":\"edge-b\",}"), 400, null, "");
    // through the generated client: a problem document naming the field
    assertThatThrownBy(() -> mobility.migrateNfInstance(instance, new MigrateRequest().targetNode("edge-c")))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(problemOf(e)).contains("\"field\":\"targetNode\"");
        });
    // an instance that is not RUNNING, one on a node without checkpoint, one with a cross-connected port
    Operation pending = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node("edge-a"));
    refused(migrate(UUID.fromString(pending.getResource().getId()), "{\"targetNode\":\"edge-b\"}"), 409,
        "instanceId", "only a RUNNING instance");
    register("edge-b", 16, "pause", "checkpoint");
    UUID onOld = running("edge-nockpt", List.of());
    refused(migrate(onOld, "{\"targetNode\":\"edge-b\"}"), 409, "instanceId", "cannot checkpoint guests");
    UUID xc = running("edge-a", List.of(new PortAttachment().name("access").xconnect("ue7")));
    refused(migrate(xc, "{\"targetNode\":\"edge-b\"}"), 409, "instanceId", "cross-connected to interface 'ue7'");
    // nothing was started or sent, the instance stays where it was
    assertThat(jdbc.queryForObject("SELECT count(*) FROM migration", Integer.class)).isZero();
    assertThat(jdbc.queryForObject("SELECT count(*) FROM operation WHERE type = 'MIGRATE'", Integer.class)).isZero();
    assertThat(jdbc.queryForObject("SELECT max(generation_floor) FROM nf_instance", Long.class)).isZero();
    assertThat(actions("edge-a")).isEmpty();
    assertThat(nodeOf(instance)).isEqualTo("edge-a");
  }

  @Test
  void concurrentMigrationAndDeleteAreConflicts() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Command> held = new ArrayList<>();
    script = (n, c) -> {
      if (c.hasExpectMigration() && release.getCount() > 0) {
        synchronized (held) {
          held.add(c);
        }
        return null; // silent until released
      }
      return ok(c);
    };
    Operation first = mobility.migrateNfInstance(instance, new MigrateRequest().targetNode("edge-b"));
    refused(migrate(instance, "{\"targetNode\":\"edge-b\"}"), 409, "instanceId", "migration in progress");
    refused(call("DELETE", "/nf-instances/" + instance, null, null), 409, "instanceId", "being live-migrated");
    // placement already counts the instance that is moving in on the target
    assertThat(clusterViews.snapshot().node("edge-b").orElseThrow().guests()).isEqualTo(1);
    release.countDown();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (held.isEmpty() && System.nanoTime() < end) {
      Thread.sleep(5);
    }
    synchronized (held) {
      for (Command c : held) {
        agentCommands.commandResult("edge-b", ok(c));
      }
    }
    assertThat(awaitFinal(first.getId()).getState()).isEqualTo(OperationState.SUCCEEDED);
    assertThat(nodeOf(instance)).isEqualTo("edge-b");
    deleteGoesTo("edge-b");
  }

  // ------------------------------------------------------------------ faults

  @Test
  void targetAgentKilledMidTransferLeavesTheSourceRunning() throws Exception {
    long base = instancesApi.getNfInstance(instance).getGeneration();
    script = (n, c) -> {
      if (c.hasMigrateOut() && !c.getMigrateOut().getOpenOnly()) {
        gateway.disconnect("edge-b");
        agentCommands.agentDisconnected("edge-b", "connection reset by peer");
        return fail(c, "INTERNAL", "TRANSFER: receiver 127.0.0.1:756 closed the connection after 0 of 512 bytes"
            + " were written (source guest resumed)");
      }
      return ok(c);
    };
    Operation o = awaitFinal(mobility.migrateNfInstance(instance, new MigrateRequest().targetNode("edge-b"))
        .getId());
    assertThat(o.getState()).isEqualTo(OperationState.FAILED);
    assertThat(o.getError().getDetail()).contains("TRANSFER failed").contains("closed the connection");
    assertThat(o.getError().getTitle()).contains("still runs on edge-a");
    assertThat(o.getPhases()).extracting(OperationPhase::getName).contains("compensate:RESUME_SOURCE", "downtime");
    assertThat(actions("edge-a")).endsWith("UNPAUSE").doesNotContain("DESTROY");
    // the source guest's own events still count: paused during the attempt, running after the rollback
    agents.guestEvent("edge-a", GuestEvent.newBuilder().setGuestId(guestId).setGeneration(base)
        .setState(GuestState.RUNNING).build());
    NfInstance i = instancesApi.getNfInstance(instance);
    assertThat(i.getNode()).isEqualTo("edge-a");
    assertThat(i.getState()).isEqualTo(InstanceState.RUNNING);
    assertThat(i.getGeneration()).isEqualTo(base);
    // edge-b's copy (if any) goes to the reconciler's cleanup: destroyed once its agent is back
    assertThat(cleanupsOn("edge-b")).isEqualTo(1);
    script = (n, c) -> null; // the test answers from here on
    register("edge-b", 16, "pause", "checkpoint", "handlers");
    refused(migrate(instance, "{\"targetNode\":\"edge-b\"}"), 409, "targetNode", "still holds a copy");
    reconciler.reconcileNow();
    Command destroy = gateway.sentTo("edge-b").stream().filter(c -> c.hasDestroy()
        && c.getGuestId().equals(guestId)).findFirst().orElseThrow();
    assertThat(destroy.getGeneration()).as("above every generation the migration sent")
        .isEqualTo(base + MigrationService.RESERVED_GENERATIONS);
    answered.add(destroy.getCommandId());
    agents.commandResult("edge-b", fail(destroy, "NOT_FOUND", "no guest " + guestId));
    assertThat(cleanupsOn("edge-b")).isZero();
    deleteGoesTo("edge-a");
  }

  int cleanupsOn(String node) {
    return jdbc.queryForObject("SELECT count(*) FROM guest_cleanup WHERE guest_id = ? AND node_name = ?",
        Integer.class, guestId, node);
  }

  @Test
  void failedRestoreRollsBackAndDiscardsTheTarget() throws Exception {
    long base = instancesApi.getNfInstance(instance).getGeneration();
    // live: the source agent reports the target's refusal with the phase; stop-and-copy: the restore fails
    script = (n, c) -> MigrationApiTest.live(c) ? fail(c, "INTERNAL", "RESTORE_TARGET: receiver 127.0.0.1:756"
        + " refused the checkpoint: invalid checkpoint: trailer at offset 90: CRC32C mismatch (source guest resumed)")
        : c.hasRestoreMigrated() ? fail(c, "CONFIG_REJECTED", "invalid checkpoint: trailer at offset 90: CRC32C"
            + " mismatch") : ok(c);
    Operation o = awaitFinal(mobility.migrateNfInstance(instance, new MigrateRequest().targetNode("edge-b"))
        .getId());
    assertThat(o.getState()).isEqualTo(OperationState.FAILED);
    assertThat(o.getError().getDetail()).contains("RESTORE_TARGET failed").contains("CRC32C mismatch");
    assertThat(actions("edge-b")).containsSubsequence("CANCEL_MIGRATION", "DESTROY"); // (+ the cleanup's, below)
    assertThat(actions("edge-a")).endsWith("UNPAUSE").doesNotContain("DESTROY");
    assertThat(nodeOf(instance)).isEqualTo("edge-a");
    assertThat(nodesApi.getEdgeNode("edge-b").getInstances()).isZero();
    // the reconciler's cleanup makes sure: one more DestroyGuest to edge-b, then the row is gone.
    // The cleanup row is registered by the migration's worker as it finishes the rollback, which
    // can be just after the operation reads FAILED: wait for it (or for its destroy) first.
    long registered = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cleanupsOn("edge-b") == 0 && System.nanoTime() < registered && gateway.sentTo("edge-b").stream()
        .noneMatch(c -> c.hasDestroy() && c.getGeneration() == base + MigrationService.RESERVED_GENERATIONS)) {
      Thread.sleep(10);
    }
    reconciler.reconcileNow();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cleanupsOn("edge-b") > 0 && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    assertThat(cleanupsOn("edge-b")).isZero();
    // at most one cleanup destroy: none when edge-b's answer to the discard's destroy already
    // settled the cleanup row (the answer and the row's insert race; both orders are correct)
    assertThat(gateway.sentTo("edge-b").stream().filter(c -> c.hasDestroy() && c.getGuestId().equals(guestId)
        && c.getGeneration() == base + MigrationService.RESERVED_GENERATIONS).toList()).hasSizeLessThanOrEqualTo(1);
    assertThat(gateway.sentTo("edge-b").stream().filter(c -> c.hasDestroy() && c.getGuestId().equals(guestId))
        .toList()).isNotEmpty();
    assertThat(nodeOf(instance)).isEqualTo("edge-a");
  }

  // ------------------------------------------------------------------ restart

  /** A MIGRATE row as a controller that died during {@code running} would have left it. */
  String crashedAt(Phase running) {
    long base = jdbc.queryForObject("SELECT generation FROM nf_instance WHERE id = ?", Long.class, instance);
    jdbc.update("UPDATE nf_instance SET generation_floor = generation + 10 WHERE id = ?", instance);
    String id = "mig-" + UUID.randomUUID();
    UUID op = UUID.randomUUID();
    Instant t0 = Instant.now().minusSeconds(2);
    store.insertOperation(op, "MIGRATE", "NF_INSTANCE", instance.toString(), t0);
    store.insert(new MigrationStore.Row(id, "MIGRATE", op, null, guestId, "passthrough", "edge-a", "edge-b", null,
        null, base, "PENDING", null, base), t0);
    List<StepRecord> phases = new ArrayList<>();
    Instant t = t0;
    for (Phase p : Phase.values()) {
      if (p.compareTo(running) < 0) {
        phases.add(new StepRecord(p.name(), StepStatus.SUCCEEDED, t, t.plusMillis(1), 1000, null));
      } else if (p == running) {
        phases.add(new StepRecord(p.name(), StepStatus.RUNNING, t, null, -1, null));
      } else {
        phases.add(new StepRecord(p.name(), StepStatus.PENDING, null, null, -1, null));
      }
      t = t.plusMillis(1);
    }
    store.save(new MigrationSnapshot(id, guestId, "edge-a", "edge-b", MigrationState.RUNNING, running, null, null,
        null, phases, List.of(), Map.of("checkpointBytes", "512"), t0, t, null, -1, -1, 0));
    return id;
  }

  @Test
  void restartAfterTheRestoreRollsForwardWithTheInstanceSteps() throws Exception {
    String id = crashedAt(Phase.MOVE_TRAFFIC);
    assertThat(migrations.resumeUnfinished()).isEqualTo(1);
    Operation o = awaitFinal(store.find(id).operationId());
    assertThat(o.getState()).as(String.valueOf(o.getError())).isEqualTo(OperationState.SUCCEEDED);
    assertThat(o.getType()).isEqualTo(OperationType.MIGRATE);
    assertThat(store.find(id).snapshot().recoveries()).isEqualTo(1);
    assertThat(actions("edge-a")).containsExactly("DESTROY");
    // the NF instance's row moved (the firewall steps would have moved no instance)
    assertThat(nodeOf(instance)).isEqualTo("edge-b");
    assertThat(instancesApi.getNfInstance(instance).getState()).isEqualTo(InstanceState.RUNNING);
    deleteGoesTo("edge-b");
  }

  @Test
  void restartDuringTheTransferRollsBack() throws Exception {
    String id = crashedAt(Phase.TRANSFER);
    assertThat(migrations.resumeUnfinished()).isEqualTo(1);
    Operation o = awaitFinal(store.find(id).operationId());
    assertThat(o.getState()).isEqualTo(OperationState.FAILED);
    assertThat(o.getError().getDetail()).contains("controller restarted during TRANSFER");
    assertThat(store.find(id).state()).isEqualTo("ROLLED_BACK");
    assertThat(actions("edge-a")).containsExactly("UNPAUSE");
    assertThat(actions("edge-b")).containsSubsequence("CANCEL_MIGRATION", "DESTROY")
        .containsOnly("CANCEL_MIGRATION", "DESTROY"); // the discard, and the cleanup's destroy
    assertThat(nodeOf(instance)).isEqualTo("edge-a");
    assertThat(migrations.resumeUnfinished()).isZero();
  }
}
