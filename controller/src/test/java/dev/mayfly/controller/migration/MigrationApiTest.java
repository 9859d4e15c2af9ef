package dev.mayfly.controller.migration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.client.api.SubscribersApi;
import dev.mayfly.client.model.FirewallAction;
import dev.mayfly.client.model.FirewallPolicy;
import dev.mayfly.client.model.FirewallRule;
import dev.mayfly.client.model.Operation;
import dev.mayfly.client.model.OperationPhase;
import dev.mayfly.client.model.OperationState;
import dev.mayfly.client.model.OperationType;
import dev.mayfly.client.model.SubscriberCreate;
import dev.mayfly.controller.firewall.FirewallProvisioner;
import dev.mayfly.controller.support.ApiTestBase;
import dev.mayfly.migration.flow.MigrationSnapshot;
import dev.mayfly.migration.flow.MigrationState;
import dev.mayfly.migration.flow.Phase;
import dev.mayfly.migration.flow.StepRecord;
import dev.mayfly.migration.flow.StepStatus;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.Timing;
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
 * Handover orchestration against a scripted test double of the agents: the
 * {@link dev.mayfly.controller.support.RecordingGateway} records what the controller sends and a
 * background thread answers each command through {@link AgentCommands}, as the agents'
 * southbound results would, with per-test faults (refusals, silence, a target that disconnects
 * mid-transfer). Operations and bad input are checked through the REST API (responses validated
 * against openapi.yaml).
 */
class MigrationApiTest extends ApiTestBase {

  static final String SUB = "001010000000042";

  @Autowired
  FirewallProvisioner provisioner;
  @Autowired
  AgentCommands agentCommands;
  @Autowired
  MigrationService migrations;
  @Autowired
  MigrationStore store;

  SubscribersApi subscribers;
  Thread answerer;
  volatile boolean answering;
  final Set<String> answered = ConcurrentHashMap.newKeySet();
  /** node, command → result to send, or null to stay silent. */
  volatile BiFunction<String, Command, CommandResult> script = (n, c) -> ok(c);
  String guestId;

  @BeforeEach
  void setUp() throws Exception {
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest, migration");
    migrations.timeouts(new AgentMigrationSteps.Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(3),
        Duration.ofMillis(200)));
    subscribers = new SubscribersApi(client);
    registerNode("edge-a");
    registerNode("edge-b");
    registerNode("edge-c");
    nodesApi.cordonEdgeNode("edge-c");
    subscribers.createSubscriber(new SubscriberCreate().id(SUB).ueIp("10.77.1.42").edgeNode("edge-a")
        .attachment("ue1"));
    subscribers.putSubscriberPolicy(SUB, new FirewallPolicy().rules(new ArrayList<>(List.of(new FirewallRule()
        .action(FirewallAction.ALLOW).direction(FirewallRule.DirectionEnum.OUTBOUND)
        .protocol(FirewallRule.ProtocolEnum.TCP).remoteCidr("10.77.0.0/17"))))
        .defaultOutbound(FirewallAction.DENY).defaultInbound(FirewallAction.DENY).stateful(true));
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    Command create = gateway.sentTo("edge-a").stream().filter(Command::hasCreate).findFirst().orElseThrow();
    guestId = create.getGuestId();
    provisioner.commandResult("edge-a", CommandResult.newBuilder().setCommandId(create.getCommandId())
        .setGuestId(guestId).setGeneration(create.getGeneration()).setOk(true).setState(GuestState.RUNNING).build());
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    assertThat(jdbc.queryForObject("SELECT state FROM firewall_guest WHERE guest_id = ?", String.class, guestId))
        .isEqualTo("RUNNING");
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

  static CommandResult ok(Command c) {
    CommandResult.Builder b = CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setGeneration(c.getGeneration()).setOk(true).setState(GuestState.RUNNING);
    if (c.hasCheckpoint() || c.hasMigrateOut()) {
      b.setCheckpointBytes(4242);
    }
    if (c.hasCheckpoint() || c.hasMigrateOut() && c.getMigrateOut().getLive()) {
      b.putHandlers("fw.size", "3").putHandlers("out_count.count", "15");
    }
    if (c.hasMigrateOut() && c.getMigrateOut().getLive()) { // the source agent's timings of the downtime
      LIVE_MS.forEach((phase, ms) -> b.addTimings(Timing.newBuilder().setPhase(phase).setMillis(ms)));
    }
    if (c.hasReadHandlers()) {
      b.putHandlers("fw.size", "3").putHandlers("fw.flows", "not recorded").putHandlers("out_count.count", "17");
    }
    return b.build();
  }

  /** What the fake source agent reports for a live migration (ms). */
  static final Map<String, Double> LIVE_MS = new java.util.LinkedHashMap<>();

  static {
    LIVE_MS.put("pause", 0.05);
    LIVE_MS.put("checkpoint", 0.4);
    LIVE_MS.put("transfer", 1.2);
    LIVE_MS.put("restore", 0.8);
    LIVE_MS.put("move_traffic", 0.0);
    LIVE_MS.put("resume", 0.01);
  }

  static boolean live(Command c) {
    return c.hasMigrateOut() && c.getMigrateOut().getLive();
  }

  static CommandResult fail(Command c, String code, String msg) {
    return CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setGeneration(c.getGeneration()).setOk(false).setErrorCode(code).setErrorMessage(msg).build();
  }

  HttpResponse<String> handover(String sub, String body) throws Exception {
    return call("POST", "/subscribers/" + sub + "/handover", "application/json", body);
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

  UUID accepted(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    String loc = r.headers().firstValue("Location").orElseThrow();
    return UUID.fromString(loc.substring(loc.lastIndexOf('/') + 1));
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

  String subscriberNode() {
    return jdbc.queryForObject("SELECT edge_node || '/' || attachment FROM subscriber WHERE id = ?", String.class,
        SUB);
  }

  String guestNode() {
    return jdbc.queryForObject("SELECT node_name || '/' || attachment FROM firewall_guest WHERE guest_id = ?",
        String.class, guestId);
  }

  // ------------------------------------------------------------------ happy path

  @Test
  void handoverMovesTheFirewallWithTimings() throws Exception {
    UUID op = accepted(handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\"}"));
    Operation o = awaitFinal(op);
    assertThat(o.getState()).as(String.valueOf(o.getError())).isEqualTo(OperationState.SUCCEEDED);
    assertThat(o.getType()).isEqualTo(OperationType.HANDOVER);
    assertThat(o.getResource().getId()).isEqualTo(SUB);
    assertThat(o.getPhases()).extracting(OperationPhase::getName).containsExactly("PREPARE_TARGET", "PAUSE_SOURCE",
        "CHECKPOINT", "TRANSFER", "RESTORE_TARGET", "MOVE_TRAFFIC", "RESUME", "DESTROY_SOURCE", "downtime", "total");
    assertThat(o.getPhases()).allSatisfy(p -> {
      assertThat(p.getState()).isEqualTo(OperationState.SUCCEEDED);
      assertThat(p.getDurationMs()).isNotNull().isGreaterThanOrEqualTo(0.0);
    });
    // the downtime phases carry the source agent's timings; the downtime is their sum (no
    // controller round trip inside it)
    List<Double> reported = new ArrayList<>(LIVE_MS.values());
    double sum = 0;
    for (int i = 0; i < 6; i++) {
      assertThat(o.getPhases().get(1 + i).getDurationMs()).isCloseTo(reported.get(i), org.assertj.core.data.Offset
          .offset(0.002));
      sum += reported.get(i);
    }
    assertThat(o.getPhases().get(8).getDurationMs()).isCloseTo(sum, org.assertj.core.data.Offset.offset(0.01));

    // the commands, per node, in order: the target boots the guest ahead, the source opens its
    // connection, then ONE live command runs the downtime agent to agent
    assertThat(actions("edge-b")).containsExactly("EXPECT_MIGRATION", "READ_HANDLERS");
    assertThat(actions("edge-a")).containsExactly("MIGRATE_OUT", "MIGRATE_OUT", "DESTROY");
    Command expect = gateway.sentTo("edge-b").stream().filter(Command::hasExpectMigration).findFirst().orElseThrow();
    Command open = gateway.sentTo("edge-a").stream().filter(Command::hasMigrateOut).findFirst().orElseThrow();
    assertThat(open.getMigrateOut().getOpenOnly()).as("connection opened ahead of the pause").isTrue();
    Command out = gateway.sentTo("edge-a").stream().filter(c -> c.hasMigrateOut() && !c.getMigrateOut().getOpenOnly())
        .findFirst().orElseThrow();
    assertThat(out.getMigrateOut().getLive()).isTrue();
    String migId = expect.getExpectMigration().getMigrationId();
    assertThat(out.getMigrateOut().getToken()).isEqualTo(expect.getExpectMigration().getToken()).hasSizeGreaterThan(30);
    assertThat(out.getMigrateOut().getMigrationId()).isEqualTo(migId);
    assertThat(out.getMigrateOut().getTargetAddress()).isEqualTo("127.0.0.1:7500");
    assertThat(expect.getExpectMigration().hasSpec()).as("target boots the guest ahead").isTrue();
    assertThat(expect.getExpectMigration().getGuestGeneration()).isEqualTo(expect.getGeneration() + 1);
    assertThat(expect.getExpectMigration().getSpec().getPortsList()).anySatisfy(p -> {
      assertThat(p.getName()).isEqualTo("access");
      assertThat(p.getXconnect()).isEqualTo("ue1b");
    });
    assertThat(expect.getExpectMigration().getSpec().getClickConfig()).contains("FlowFirewall");
    // generations: newer than the create, increasing per node
    long created = 1;
    long prev = created;
    for (Command c : gateway.sentTo("edge-a")) {
      if (c.getGuestId().equals(guestId) && !c.hasCreate()) {
        assertThat(c.getGeneration()).isGreaterThan(prev);
        prev = c.getGeneration();
      }
    }
    assertThat(o.getPhases().get(7).getDetail())
        .isEqualTo("flow state: source [fw.size=3 out_count.count=15] target [fw.size=3 out_count.count=17]");
    // the subscriber and its firewall are on edge-b now; the secret token is not persisted
    assertThat(subscriberNode()).isEqualTo("edge-b/ue1b");
    assertThat(guestNode()).isEqualTo("edge-b/ue1b");
    String snap = jdbc.queryForObject("SELECT snapshot FROM migration WHERE id = ?", String.class, migId);
    assertThat(snap).doesNotContain(expect.getExpectMigration().getToken()).contains("\"checkpointBytes\":\"4242\"");
    // the provisioner leaves the migrated guest alone (no destroy/create for the move)
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    assertThat(gateway.sentTo("edge-b").stream().filter(c -> c.hasCreate() || c.hasDestroy()).toList()).isEmpty();
    assertThat(agentCommands.outstanding()).isZero();
    // and a second handover back works (generations keep growing)
    UUID back = accepted(handover(SUB, "{\"targetNode\":\"edge-a\",\"attachment\":\"ue1\"}"));
    assertThat(awaitFinal(back).getState()).isEqualTo(OperationState.SUCCEEDED);
    assertThat(subscriberNode()).isEqualTo("edge-a/ue1");
  }

  // ------------------------------------------------------------------ bad input

  @Test
  void badInputIsRefusedNamingTheField() throws Exception {
    HttpResponse<String> r = handover("nobody", "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\"}");
    assertThat(r.statusCode()).isEqualTo(404);
    r = handover(SUB, "{\"targetNode\":\"edge-z\",\"attachment\":\"ue1b\"}");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("\"field\":\"targetNode\"").contains("edge-z");
    r = handover(SUB, "{\"targetNode\":\"edge-a\",\"attachment\":\"ue1b\"}");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("\"field\":\"targetNode\"").contains("already on node edge-a");
    r = handover(SUB, "{\"targetNode\":\"edge-c\",\"attachment\":\"ue1b\"}");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).contains("\"field\":\"targetNode\"").contains("CORDONED");
    r = handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"this-name-is-far-too-long\"}");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("\"field\":\"attachment\"");
    r = handover(SUB, "{\"targetNode\":\"edge-b\"}");
    assertThat(r.statusCode()).isBetween(400, 422);
    assertThat(r.body()).contains("attachment");
    r = handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\",");
    assertThat(r.statusCode()).isEqualTo(400);
    // nothing was started, nothing sent, the firewall stays where it was
    assertThat(jdbc.queryForObject("SELECT count(*) FROM migration", Integer.class)).isZero();
    assertThat(actions("edge-a")).isEmpty();
    assertThat(guestNode()).isEqualTo("edge-a/ue1");
  }

  @Test
  void concurrentHandoverOfOneSubscriberIsAConflict() throws Exception {
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
    UUID first = accepted(handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\"}"));
    HttpResponse<String> second = handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1c\"}");
    assertThat(second.statusCode()).isEqualTo(409);
    assertThat(second.body()).contains("handover in progress");
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
    assertThat(awaitFinal(first).getState()).isEqualTo(OperationState.SUCCEEDED);
  }

  // ------------------------------------------------------------------ faults

  @Test
  void corruptedCheckpointRollsBackAndResumesTheSource() throws Exception {
    // what the source agent answers when the target's receiver caught a corrupted stream
    script = (n, c) -> live(c) ? fail(c, "INTERNAL", "TRANSFER: receiver 127.0.0.1:7500 aborted migration m:"
        + " CRC32C mismatch over 290046 bytes of migration m: sender 0x1, received 0x2; stream corrupted,"
        + " checkpoint discarded (source guest resumed)") : ok(c);
    Operation o = awaitFinal(accepted(handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\"}")));
    assertThat(o.getState()).isEqualTo(OperationState.FAILED);
    assertThat(o.getError().getDetail()).contains("TRANSFER failed").contains("CRC32C mismatch");
    assertThat(o.getError().getTitle()).contains("still runs on edge-a");
    assertThat(actions("edge-a")).containsExactly("MIGRATE_OUT", "MIGRATE_OUT", "UNPAUSE");
    assertThat(actions("edge-b")).containsExactly("EXPECT_MIGRATION", "CANCEL_MIGRATION", "DESTROY");
    assertThat(o.getPhases()).extracting(OperationPhase::getName).contains("compensate:RESUME_SOURCE",
        "compensate:DISCARD_TARGET", "downtime");
    assertThat(subscriberNode()).isEqualTo("edge-a/ue1");
    assertThat(guestNode()).isEqualTo("edge-a/ue1");
    // the provisioner's next command to the source is newer than everything the migration sent
    long maxSent = gateway.sentTo("edge-a").stream().filter(c -> c.getGuestId().equals(guestId))
        .mapToLong(Command::getGeneration).max().orElseThrow();
    assertThat(jdbc.queryForObject("SELECT command_generation FROM firewall_guest WHERE guest_id = ?", Long.class,
        guestId)).isGreaterThan(maxSent);
  }

  @Test
  void refusedImportOnTheTargetRollsBackAtRestore() throws Exception {
    script = (n, c) -> live(c) ? fail(c, "INTERNAL", "RESTORE_TARGET: receiver 127.0.0.1:7500 aborted migration m:"
        + " migration m was not committed on the target: import into g: checkpoint: checksum mismatch"
        + " (source guest resumed)") : ok(c);
    Operation o = awaitFinal(accepted(handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\"}")));
    assertThat(o.getState()).isEqualTo(OperationState.FAILED);
    assertThat(o.getError().getDetail()).contains("RESTORE_TARGET failed").contains("checksum mismatch");
    assertThat(o.getPhases().get(1).getState()).isEqualTo(OperationState.SUCCEEDED);
    assertThat(o.getPhases().get(4).getState()).isEqualTo(OperationState.FAILED);
    assertThat(actions("edge-a")).containsExactly("MIGRATE_OUT", "MIGRATE_OUT", "UNPAUSE");
    assertThat(subscriberNode()).isEqualTo("edge-a/ue1");
  }

  @Test
  void targetAgentKilledMidTransferLeavesTheSourceRunning() throws Exception {
    script = (n, c) -> {
      if (c.hasMigrateOut() && !c.getMigrateOut().getOpenOnly()) {
        // the target agent dies while the checkpoint streams: its connection drops, and the
        // source's sender reports the broken stream
        gateway.disconnect("edge-b");
        agentCommands.agentDisconnected("edge-b", "connection reset by peer");
        return fail(c, "INTERNAL", "TRANSFER: receiver 127.0.0.1:7500 closed the connection after 262144 of"
            + " 1048576 bytes were written (source guest resumed)");
      }
      return ok(c);
    };
    Operation o = awaitFinal(accepted(handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\"}")));
    assertThat(o.getState()).isEqualTo(OperationState.FAILED);
    assertThat(o.getError().getDetail()).contains("TRANSFER failed").contains("closed the connection");
    assertThat(actions("edge-a")).containsExactly("MIGRATE_OUT", "MIGRATE_OUT", "UNPAUSE");
    assertThat(subscriberNode()).isEqualTo("edge-a/ue1");
    assertThat(guestNode()).isEqualTo("edge-a/ue1");
  }

  @Test
  void silentTargetTimesOutAndRollsBack() throws Exception {
    script = (n, c) -> live(c) ? null : ok(c); // the source agent never answers the live command
    migrations.timeouts(new AgentMigrationSteps.Timeouts(Duration.ofMillis(300), Duration.ofMillis(300),
        Duration.ofMillis(200)));
    Operation o = awaitFinal(accepted(handover(SUB, "{\"targetNode\":\"edge-b\",\"attachment\":\"ue1b\"}")));
    assertThat(o.getState()).isEqualTo(OperationState.FAILED);
    assertThat(o.getError().getDetail()).contains("PAUSE_SOURCE failed").contains("no answer within");
    assertThat(actions("edge-a")).endsWith("UNPAUSE");
    assertThat(agentCommands.outstanding()).isZero();
  }

  // ------------------------------------------------------------------ restart

  /** A migration row as a controller that died during {@code running} would have left it. */
  String crashedAt(Phase running) {
    long base = jdbc.queryForObject("SELECT command_generation FROM firewall_guest WHERE guest_id = ?", Long.class,
        guestId);
    jdbc.update("UPDATE firewall_guest SET command_generation = command_generation + 10 WHERE guest_id = ?",
        guestId);
    String id = "mig-" + UUID.randomUUID();
    UUID op = UUID.randomUUID();
    Instant t0 = Instant.now().minusSeconds(2);
    store.insertOperation(op, "HANDOVER", "SUBSCRIBER", SUB, t0);
    store.insert(new MigrationStore.Row(id, "HANDOVER", op, SUB, guestId, FirewallProvisioner.NF_TYPE, "edge-a",
        "edge-b", "ue1", "ue1b", base, "PENDING", null), t0);
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
    if (running.movesTraffic()) {
      jdbc.update("UPDATE subscriber SET edge_node = 'edge-b', attachment = 'ue1b' WHERE id = ?", SUB);
      jdbc.update("UPDATE firewall_guest SET node_name = 'edge-b', attachment = 'ue1b' WHERE guest_id = ?", guestId);
    }
    store.save(new MigrationSnapshot(id, guestId, "edge-a", "edge-b", MigrationState.RUNNING, running, null, null,
        null, phases, List.of(), Map.of("checkpointBytes", "4242"), t0, t, null, -1, -1, 0));
    return id;
  }

  @Test
  void restartAfterTheRestoreRollsForward() throws Exception {
    String id = crashedAt(Phase.MOVE_TRAFFIC);
    assertThat(migrations.resumeUnfinished()).isEqualTo(1);
    Operation o = awaitFinal(store.find(id).operationId());
    assertThat(o.getState()).as(String.valueOf(o.getError())).isEqualTo(OperationState.SUCCEEDED);
    assertThat(store.find(id).snapshot().recoveries()).isEqualTo(1);
    assertThat(o.getPhases().get(o.getPhases().size() - 1).getDetail()).contains("1 controller restart");
    assertThat(actions("edge-a")).containsExactly("DESTROY");
    assertThat(subscriberNode()).isEqualTo("edge-b/ue1b");
    assertThat(guestNode()).isEqualTo("edge-b/ue1b");
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
    assertThat(actions("edge-b")).containsExactly("CANCEL_MIGRATION", "DESTROY");
    assertThat(subscriberNode()).isEqualTo("edge-a/ue1");
    // a finished migration is not resumed again
    assertThat(migrations.resumeUnfinished()).isZero();
  }
}
